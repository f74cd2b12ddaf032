import CRMStore
import Foundation
import GatewayCore
import Logging

/// Store ingest: bus events written into the CRM store through the same `CRMEventStore` the store
/// ingest uses, in the ingest's batches (`crm.batch.maxEvents`) beside the baseline of one event per
/// transaction, each into a new, empty store.
struct StoreIngestBench {
    /// What one run measured.
    struct Figures {
        var batchedEventsPerSecond = 0.0
        var singleEventsPerSecond = 0.0
        var batchSize = 0
    }

    let logger: Logger

    /// Measures SQLite in new files named after `path` (`PATH` and `PATH.baseline`), removed afterwards;
    /// in the temporary directory when `path` is `nil`.
    ///
    /// PostgreSQL is not measured here yet. ``measure(_:events:batch:)`` only needs a `CRMEventStore`, so
    /// a `--db postgres://…` run is a `PostgresStoreWriter` (run as a service for its connection pool)
    /// on a throw-away database handed to it.
    func runSQLite(path: String?, events: Int, baselineEvents: Int) async throws -> Figures {
        let base = path ?? FileManager.default.temporaryDirectory.appendingPathComponent("gateway-bench-\(getpid())-ingest.sqlite").path
        let batchedPath = base
        let singlePath = base + ".baseline"
        for file in [batchedPath, singlePath] where FileManager.default.fileExists(atPath: file) {
            throw CLIError("bench: \(file) exists; the store ingest figures are written into new, empty files only")
        }
        defer {
            for file in [batchedPath, singlePath] {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: file + suffix) }
            }
        }
        var figures = Figures()
        figures.batchSize = CRMConfig.Batch().maxEvents
        let batched = try CRMDatabase(path: batchedPath, logger: logger)
        figures.batchedEventsPerSecond = try await measure(StoreWriter(database: batched, logger: logger), events: events, batch: figures.batchSize)
        try batched.close()
        let single = try CRMDatabase(path: singlePath, logger: logger)
        figures.singleEventsPerSecond = try await measure(StoreWriter(database: single, logger: logger), events: baselineEvents, batch: 1)
        try single.close()
        return figures
    }

    /// Events per second through `store.applyBatch` in batches of `batch`: item presence, an enter and
    /// an exit per tag, as most of a store's bus traffic is.
    func measure(_ store: any CRMEventStore, events: Int, batch: Int) async throws -> Double {
        let all = Self.events(count: events)
        let start = monotonicNanos()
        var next = 0
        while next < all.count {
            let end = min(next + batch, all.count)
            let result = try await store.applyBatch(Array(all[next..<end]))
            guard result.applied == end - next else {
                throw CLIError("bench: the store applied \(result.applied) of \(end - next) events; is \(store.location) new and empty?")
            }
            next = end
        }
        return Double(all.count) / (Double(monotonicNanos() - start) / 1e9)
    }

    /// `count` bus events of synthetic items, seqs from 1, a millisecond apart.
    static func events(count: Int) -> [GatewayEvent] {
        let base = Timestamp.now().microseconds
        return (0..<count).map { i in
            let serial = UInt64(i / 2)
            var presence = Presence(zone: "floor", reader: "bench-0", antenna: 1, subject: .item,
                                    epc: "urn:epc:id:sgtin:\(SyntheticTags.companyPrefix).812345.\(serial)", gtin: SyntheticTags.gtin,
                                    product: "Blue Scarf", rssi: -55.5)
            let payload: EventPayload
            if i % 2 == 0 {
                payload = .presenceEnter(presence)
            } else {
                presence.dwellMs = 3_000
                payload = .presenceExit(presence)
            }
            return GatewayEvent(seq: UInt64(i + 1), gateway: "gw-bench", store: "bench", ts: Timestamp(microseconds: base + UInt64(i) * 1_000),
                                payload: payload)
        }
    }
}
