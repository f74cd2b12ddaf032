import Bus
import CRMStore
import Foundation
import GatewayCore
import Logging
import Matching
import Segmentation
import ServiceLifecycle

/// Publishes the `customer.segment` changes segmentation runs leave in the store's outbox (whichever
/// process ran them) through the pipeline, so they take the gateway's next seqs in order.
///
/// Exactly once, across restarts, when the journal is on: a change is marked announced, with the
/// bus seq at that moment, *before* it is handed to the pipeline, and confirmed once its event is
/// found in the journal (the event carries the change's UUID). After a crash, an announced but
/// unconfirmed change is searched for in the journal from its seq on: found, it is confirmed; not
/// found, it never reached the bus and is announced again. The pipeline emits in order, so what a
/// crash loses is always the tail of a batch and re-announcing keeps the order. Without a journal
/// there is nothing to search, and a change handed to the pipeline counts as published: a crash in
/// that instant loses it (at most once).
struct SegmentOutboxService: Service {
    let database: CRMDatabase
    let pipeline: StorePipeline
    let journal: Journal?
    /// The publisher's last seq: an announced change's event gets a higher one.
    let lastSeq: @Sendable () -> UInt64
    var interval: Duration = .seconds(1)
    let logger: Logger

    func run() async throws {
        do {
            try recover()
        } catch {
            logger.error("segment outbox: cannot recover unconfirmed changes: \(error)")
        }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try confirm()
                try drain()
            } catch {
                logger.warning("segment outbox: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Settles the changes a previous run announced: confirmed if the journal has them, queued again if not.
    func recover() throws {
        let unconfirmed = try database.unconfirmedSegmentChanges()
        guard !unconfirmed.isEmpty else { return }
        let found = journal == nil ? [:] : try search(for: unconfirmed)
        try database.confirmSegmentChanges(found)
        let lost = unconfirmed.filter { found[$0.changeID] == nil }.map(\.id)
        try database.reopenSegmentChanges(lost)
        logger.info("segment outbox recovered", metadata: ["published": "\(found.count)", "requeued": "\(lost.count)"])
    }

    /// Confirms announced changes whose events the journal now holds.
    func confirm() throws {
        guard journal != nil else { return }
        let unconfirmed = try database.unconfirmedSegmentChanges()
        guard !unconfirmed.isEmpty else { return }
        try database.confirmSegmentChanges(try search(for: unconfirmed))
    }

    /// Hands waiting changes to the pipeline, oldest first.
    func drain() throws {
        let waiting = try database.waitingSegmentChanges()
        guard !waiting.isEmpty else { return }
        try database.markSegmentChangesAnnounced(waiting.map(\.id), afterSeq: lastSeq())
        for change in waiting {
            pipeline.announce(.customerSegment(change.payload))
        }
        if journal == nil {
            // Nothing to confirm against: handed over is as published as it gets (seq unknown: 0).
            try database.confirmSegmentChanges(Dictionary(uniqueKeysWithValues: waiting.map { ($0.changeID, 0) }))
        }
        logger.debug("segment changes announced", metadata: ["count": "\(waiting.count)"])
    }

    /// Finds the journal seq of each change, reading from the earliest announcement on.
    private func search(for changes: [SegmentChange]) throws -> [String: UInt64] {
        guard let journal else { return [:] }
        var wanted = Set(changes.map(\.changeID))
        var found: [String: UInt64] = [:]
        var next = (changes.compactMap(\.announcedAfter).min() ?? 0) + 1
        let last = journal.lastSeq
        let codec = EventCodec()
        let marker = Array("customer.segment".utf8)
        while next <= last, !wanted.isEmpty {
            let records = try journal.read(from: next, through: last, limit: 1_000)
            guard let final = records.last else { break }
            for (seq, body) in records where Self.contains(body, marker) {
                guard case .customerSegment(let segment) = try? codec.decode(topic: "customer.segment", body: body).payload,
                      let change = segment.change, wanted.remove(change) != nil else { continue }
                found[change] = seq
            }
            next = final.0 + 1
        }
        return found
    }

    private static func contains(_ body: [UInt8], _ marker: [UInt8]) -> Bool {
        guard body.count >= marker.count else { return false }
        var index = 0
        while index + marker.count <= body.count {
            if body[index] == marker[0], body[index..<index + marker.count].elementsEqual(marker) { return true }
            index += 1
        }
        return false
    }
}

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
    /// The segmentation services of `gateway run`: the outbox publisher always, the schedule when configured.
    func segmentationServices() -> [(service: any Service, name: String)] {
        let publisher = self.publisher
        var services: [(any Service, String)] = [
            (SegmentOutboxService(database: database, pipeline: pipeline, journal: publisher.journal,
                                  lastSeq: { publisher.statistics.lastSeq }, logger: logger), "segment-outbox"),
        ]
        if case .daily(let hour, let minute) = config.segmentation.schedule {
            services.append((SegmentationScheduleService(job: SegmentationJob(database: database, settings: config.segmentation, logger: logger),
                                                         hour: hour, minute: minute, logger: logger), "segmentation-schedule"))
        }
        return services
    }
}
