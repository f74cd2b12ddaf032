import CRMStore
import Foundation
import Logging

extension BenchCommand {
    /// Journal append and store ingest figures: SQLite always (a scratch file), and every `--store` given.
    func storeFigures(into report: inout BenchReport, logger: Logger, progress: (String) -> Void) async throws {
        let bench = StoreIngestBench(events: quick ? 20_000 : 200_000, logger: logger)

        progress("journal append (group commit beside an fsync per record)")
        let journal = try bench.journalAppend(groupCommit: .milliseconds(5))
        report.add("journal.append_records_per_s", journal.grouped, "records/s")
        report.add("journal.fsync_each_baseline_per_s", journal.fsyncEach, "records/s")
        report.add("journal.group_vs_fsync_each", journal.grouped / journal.fsyncEach, "×")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-bench-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var stores: [(name: String, location: StoreLocation)] = [("sqlite", .sqlite(path: "\(folder)/crm.sqlite"))]
        for url in store {
            let location = try StoreLocation.parse(url, origin: "--store")
            if case .postgres = location { stores.append(("postgres", location)) } else { stores.append(("sqlite_given", location)) }
        }
        for (name, location) in stores {
            progress("store ingest into \(location) (batches of \(bench.batchSize) beside one event per transaction)")
            let rates = try await withEventStore(location, logger: logger) { store in try await bench.ingest(into: store) }
            report.add("store.\(name)_batched_events_per_s", rates.batched, "events/s", atLeast: 100_000)
            report.add("store.\(name)_batch_size", Double(bench.batchSize), "events")
            report.add("store.\(name)_single_events_per_s", rates.single, "events/s")
            report.add("store.\(name)_batched_vs_single", rates.batched / rates.single, "×")
        }
    }
}

/// Runs `body` with a writer for `location`; a PostgreSQL writer's connection pool runs only meanwhile.
private func withEventStore<T: Sendable>(_ location: StoreLocation, logger: Logger,
                                         _ body: @Sendable (any CRMEventStore) async throws -> T) async throws -> T {
    switch location {
    case .sqlite(let path):
        let database = try CRMDatabase(path: path, logger: logger)
        defer { try? database.close() }
        return try await body(StoreWriter(database: database, logger: logger))
    case .postgres(let server):
        let writer = PostgresStoreWriter(location: server, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await writer.run(); return nil }
            defer { group.cancelAll() }
            try await writer.migrate()
            return try await body(writer)
        }
    }
}
