import Bus
import CRMStore
import Foundation
import GatewayCore
import Logging
import Matching
import Segmentation
import ServiceLifecycle

/// Runs the segmentation inside `gateway run` on `segmentation.schedule` (e.g. `daily 02:30`, local time).
struct SegmentationScheduleService: Service {
    let job: SegmentationJob
    let hour: Int
    let minute: Int
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let wait = Self.delay(until: hour, minute, from: Date())
            logger.info("next segmentation run in \(Int(wait / 60)) min")
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(wait)) }
            } catch {
                return
            }
            guard !Task.isShuttingDownGracefully else { return }
            let job = self.job
            let logger = self.logger
            // The fits take seconds on a large store: off the service's executor.
            await Task.detached(priority: .background) {
                do {
                    let report = try job.run(asOf: Day(Date()))
                    logger.info("scheduled segmentation done", metadata: [
                        "customers": "\(report.customers)", "tierChanges": "\(report.tierChanges)", "published": "\(report.published)",
                    ])
                } catch {
                    logger.error("scheduled segmentation failed: \(error)")
                }
            }.value
        }
    }

    /// Seconds from `now` to the next `hour:minute` local time (a full day when it is that minute now).
    static func delay(until hour: Int, _ minute: Int, from now: Date, calendar: Calendar = .current) -> Double {
        let next = calendar.nextDate(after: now, matching: DateComponents(hour: hour, minute: minute, second: 0),
                                     matchingPolicy: .nextTime) ?? now.addingTimeInterval(86_400)
        return max(1, next.timeIntervalSince(now))
    }
}

extension Gateway {
    /// The segmentation schedule of `gateway run`, when configured.
    func segmentationServices() -> [(service: any Service, name: String)] {
        guard case .daily(let hour, let minute) = config.segmentation.schedule else { return [] }
        return [(SegmentationScheduleService(job: SegmentationJob(database: database, settings: config.segmentation, logger: logger),
                                             hour: hour, minute: minute, logger: logger), "segmentation-schedule")]
    }
}
