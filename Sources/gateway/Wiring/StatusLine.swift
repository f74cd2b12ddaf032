import Bus
import Foundation
import GatewayCore
import Matching
import ServiceLifecycle

/// Prints a line of live counters to standard error every few seconds: what a person watching the
/// demo wants to see moving.
struct StatusLine: Service {
    let interval: Duration
    let pipeline: StorePipeline
    let publisher: EventPublisher
    let sinks: [ReadSink]
    let store: StoreIngestService?
    let gateway: String

    func run() async throws {
        var lastReads: UInt64 = 0
        var lastTime = ContinuousClock.now
        while !Task.isShuttingDownGracefully {
            do { try await Task.sleep(for: interval) } catch { return }
            let stats = pipeline.statistics.snapshot
            let bus = publisher.statistics
            let now = ContinuousClock.now
            let seconds = Double((now - lastTime).components.seconds) + Double((now - lastTime).components.attoseconds) / 1e18
            let rate = seconds > 0 ? Double(stats.reads - lastReads) / seconds : 0
            lastReads = stats.reads
            lastTime = now
            let drops = sinks.reduce(UInt64(0)) { $0 + $1.ring.dropped }
            var line = "[\(Timestamp.now().rfc3339)] reads \(stats.reads) (\(Int(rate))/s) · present \(stats.present) · visits \(stats.visits)"
                + " · sales \(stats.transactions) · events \(bus.lastSeq) · foreign \(stats.foreign) · ring drops \(drops) · bus refused \(bus.refused)"
            if let store {
                line += " · store seq \(store.appliedSeqs[gateway] ?? 0)/\(bus.lastSeq)"
            }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
