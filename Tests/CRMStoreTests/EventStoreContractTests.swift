import Foundation
import GRDB
import GatewayCore
import Logging
import PostgresNIO
import Synchronization
import Testing

@testable import CRMStore

/// The two back ends of the CRM store.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// One store under test and a way to read its tables back.
///
/// Reads go through plain SQL both back ends understand; every column is read as text (`CAST(… AS
/// TEXT)` where it is not), and ``time(_:)`` renders a timestamp column the same way on both.
final class StoreUnderTest: Sendable {
    let backend: Backend
    let store: any CRMEventStore
    private let rowsOf: @Sendable (String) async throws -> [[String?]]
    private let executeSQL: @Sendable (String) async throws -> Void
    private let second: @Sendable () async throws -> any CRMEventStore
    private let teardown: @Sendable () async -> Void

    private init(backend: Backend, store: any CRMEventStore, rows: @escaping @Sendable (String) async throws -> [[String?]],
                 execute: @escaping @Sendable (String) async throws -> Void,
                 second: @escaping @Sendable () async throws -> any CRMEventStore, teardown: @escaping @Sendable () async -> Void) {
        self.backend = backend
        self.store = store
        self.rowsOf = rows
        self.executeSQL = execute
        self.second = second
        self.teardown = teardown
    }

    /// A fresh, empty store: a SQLite file in a scratch folder, or a new database on the test server.
    static func make(_ backend: Backend) async throws -> StoreUnderTest {
        let logger = Logger(label: "CRMStoreTests", factory: { _ in SwiftLogNoOpLogHandler() })
        switch backend {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crmstore-\(UUID().uuidString)").path
            let path = "\(folder)/crm.sqlite"
            let database = try CRMDatabase(path: path, logger: logger)
            let others = Mutex<[CRMDatabase]>([])
            return StoreUnderTest(
                backend: backend, store: StoreWriter(database: database, logger: logger),
                rows: { sql in
                    try database.pool.read { db in
                        try Row.fetchAll(db, sql: sql).map { row in row.databaseValues.map(Self.text) }
                    }
                },
                execute: { sql in try database.pool.write { db in try db.execute(sql: sql) } },
                second: {
                    let other = try CRMDatabase(path: path, logger: logger)
                    others.withLock { $0.append(other) }
                    return StoreWriter(database: other, logger: logger)
                },
                teardown: {
                    for other in others.withLock({ $0 }) { try? other.close() }
                    try? database.close()
                    try? FileManager.default.removeItem(atPath: folder)
                })
        case .postgres:
            let location = try await PostgresTestServer.shared.freshDatabase()
            let writers = Mutex<[Task<Void, any Error>]>([])
            @Sendable func started() -> PostgresStoreWriter {
                let writer = PostgresStoreWriter(location: location, logger: logger, connectTimeout: .seconds(10))
                let run = Task { try await writer.run() }
                writers.withLock { $0.append(run) }
                return writer
            }
            let writer = started()
            try await writer.migrate()
            return StoreUnderTest(
                backend: backend, store: writer,
                rows: { sql in
                    var result: [[String?]] = []
                    for try await row in try await writer.client.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                        result.append(try row.map { try $0.decode(String?.self) })
                    }
                    return result
                },
                execute: { sql in try await writer.client.query(PostgresQuery(unsafeSQL: sql), logger: logger) },
                second: { started() },
                teardown: {
                    for run in writers.withLock({ $0 }) {
                        run.cancel()
                        _ = await run.result
                    }
                })
        }
    }

    /// Another writer on the same database, as a second store process would be.
    func secondWriter() async throws -> any CRMEventStore { try await second() }

    /// Ends the store and removes what it wrote to disk.
    func close() async { await teardown() }

    /// The rows of `sql`, every column as text.
    func rows(_ sql: String) async throws -> [[String?]] { try await rowsOf(sql) }

    /// The first column of every row of `sql`.
    func column(_ sql: String) async throws -> [String?] { try await rows(sql).map { $0.first ?? nil } }

    /// `SELECT count(*) FROM table [WHERE condition]`.
    func count(_ table: String, where condition: String = "1 = 1") async throws -> Int {
        Int(try await column("SELECT CAST(count(*) AS TEXT) FROM \(table) WHERE \(condition)").first.flatMap { $0 } ?? "") ?? -1
    }

    /// SQL rendering a timestamp column as RFC 3339 UTC with milliseconds, as events carry it.
    func time(_ column: String) -> String {
        switch backend {
        case .sqlite: column
        case .postgres: #"to_char(\#(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#
        }
    }

    /// Runs a statement that returns nothing (the tests' sabotage).
    func execute(_ sql: String) async throws { try await executeSQL(sql) }

    private static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .null: nil
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .string(let text): text
        case .blob(let data): data.map { String(format: "%02x", $0) }.joined()
        }
    }
}

/// The store's contract, run against SQLite and against a throw-away PostgreSQL server: the same
/// events give the same rows, and exactly once, on both back ends.
@Suite struct EventStoreContractTests {
    private static let token = "0123456789abcdef0123456789abcdef"

    private func withStore(_ backend: Backend, _ body: (StoreUnderTest) async throws -> Void) async throws {
        let store = try await StoreUnderTest.make(backend)
        do {
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    @Test(arguments: Backend.allCases) func eventsBecomeRows(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let result = try await store.store.applyBatch(Events.visitBatch(token: Self.token))
            #expect(result == StoreWriter.ApplyResult(applied: 9, skipped: 0, cursors: ["gw-1": 9]))
            #expect(try await store.count("presence") == 4)
            #expect(try await store.rows("""
                SELECT CAST(seq AS TEXT), kind, zone, reader, subject, token, epc, gtin, CAST(dwell_ms AS TEXT), \(store.time("ts"))
                FROM presence ORDER BY seq
                """) == [
                    ["2", "enter", "entrance", "door", "customer", Self.token, nil, nil, nil, "2026-03-01T10:00:02.000Z"],
                    ["4", "enter", "floor", "floor-1", "item", nil, "urn:epc:id:sgtin:4006381.033393.1", "04006381333931", nil,
                     "2026-03-01T10:00:04.000Z"],
                    ["5", "enter", "entrance", "door", "visitor", nil, nil, nil, nil, "2026-03-01T10:00:05.000Z"],
                    ["8", "exit", "entrance", "door", "customer", Self.token, nil, nil, "420000", "2026-03-01T10:00:08.000Z"],
                ])
            #expect(try await store.rows("""
                SELECT gateway, visit_id, token, \(store.time("started_at")), \(store.time("ended_at")), zone FROM visits
                """) == [["gw-1", "v-1", Self.token, "2026-03-01T10:00:02.000Z", "2026-03-01T10:00:08.000Z", "entrance"]])
            #expect(try await store.rows("""
                SELECT gateway, CAST(seq AS TEXT), tx_key, pos_store, workstation, sequence_number, business_day, currency,
                       CAST(total AS TEXT), CAST(tax AS TEXT), token, \(store.time("ended_at"))
                FROM transactions
                """) == [["gw-1", "6", "S1/W2/2026-03-01/1001", "S1", "W2", "1001", "2026-03-01", "EUR", "12.35", "1.97", Self.token,
                          "2026-03-01T10:00:00.000Z"]])
            let lines = try await store.rows("""
                SELECT CAST(line_number AS TEXT), kind, gtin, item_id, CAST(quantity AS TEXT), CAST(unit_price AS TEXT), CAST(amount AS TEXT)
                FROM transaction_lines ORDER BY line_number
                """)
            #expect(lines == [["1", "sale", "04006381333931", nil, "2", "1.1", "2.2"], ["2", "sale", nil, "W-1", "0.455", "2.99", "1.36"]],
                    "quantities and money are exact decimals")
            #expect(try await store.rows("SELECT type, CAST(amount AS TEXT) FROM tenders") == [["Cash", "12.35"]])
            #expect(try await store.rows("""
                SELECT gateway, reader, state, message, CAST(reads AS TEXT), CAST(drops AS TEXT), \(store.time("ts")) FROM reader_status
                """) == [["gw-1", "door", "dropping", "ring full", "1000", "12", "2026-03-01T10:00:09.000Z"]])
        }
    }

    @Test(arguments: Backend.allCases) func applyingTheSameBatchTwiceChangesNothing(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let batch = Events.visitBatch(token: Self.token)
            _ = try await store.store.applyBatch(batch)
            let again = try await store.store.applyBatch(batch)
            #expect(again == StoreWriter.ApplyResult(applied: 0, skipped: 9, cursors: ["gw-1": 9]))
            #expect(try await store.store.lastAppliedSeq(gateway: "gw-1") == 9)
            #expect(try await store.count("presence") == 4)
            #expect(try await store.count("transactions") == 1)
            #expect(try await store.count("transaction_lines") == 2)
            #expect(try await store.count("visits") == 1)

            // A replay that overlaps: only the new tail is applied.
            let tail = [Events.event(9, .basketLink(BasketLink(transaction: "x", zone: "checkout", matched: [], unmatched: []))),
                        Events.event(10, .presenceEnter(Presence(zone: "floor", reader: "floor-1", antenna: 1, subject: .visitor)))]
            #expect(try await store.store.applyBatch(tail) == StoreWriter.ApplyResult(applied: 1, skipped: 1, cursors: ["gw-1": 10]))
            #expect(try await store.count("presence") == 5)
        }
    }

    @Test(arguments: Backend.allCases) func aResentSaleIsNotASecondSale(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            _ = try await store.store.applyBatch([Events.event(1, .posTransaction(Events.sale(key: "7")))])
            // The POS retried: same key, new seq, in a later batch and in the same batch.
            _ = try await store.store.applyBatch([Events.event(2, .posTransaction(Events.sale(key: "7"))),
                                                  Events.event(3, .posTransaction(Events.sale(key: "8"))),
                                                  Events.event(4, .posTransaction(Events.sale(key: "8")))])
            #expect(try await store.column("SELECT CAST(seq AS TEXT) FROM transactions ORDER BY seq") == ["1", "3"],
                    "the first delivery of each sale is the one kept")
            #expect(try await store.count("transaction_lines") == 4)
            #expect(try await store.store.lastAppliedSeq(gateway: "gw-1") == 4)
        }
    }

    @Test(arguments: Backend.allCases) func eachGatewayHasItsOwnCursorAndReaders(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let status = EventPayload.readerStatus(ReaderStatus(reader: "door", state: .connected, message: nil, reads: 0, drops: 0))
            _ = try await store.store.applyBatch([Events.event(5, status, gateway: "gw-a"), Events.event(1, status, gateway: "gw-b"),
                                                  Events.event(6, status, gateway: "gw-a")])
            #expect(try await store.store.cursors() == ["gw-a": 6, "gw-b": 1])
            #expect(try await store.store.lastAppliedSeq(gateway: "gw-c") == 0)
            let result = try await store.store.applyBatch([Events.event(6, status, gateway: "gw-a"), Events.event(2, status, gateway: "gw-b")])
            #expect(result == StoreWriter.ApplyResult(applied: 1, skipped: 1, cursors: ["gw-a": 6, "gw-b": 2]))
            #expect(try await store.store.applyBatch([]) == StoreWriter.ApplyResult(applied: 0, skipped: 0, cursors: [:]))
            #expect(try await store.rows("SELECT gateway, reader FROM reader_status ORDER BY gateway") == [["gw-a", "door"], ["gw-b", "door"]],
                    "two stores' doors are two readers")
        }
    }

    @Test(arguments: Backend.allCases) func visitStartAndArrivalMayComeInEitherOrder(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            // The arrival (seq 2, later ts) is written before an earlier enter of the same visit arrives in seq 3 with an older ts.
            var enter = Events.event(3, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer,
                                                                token: Self.token, visit: "v-9")))
            enter.ts = Events.base
            _ = try await store.store.applyBatch([
                Events.event(2, .customerArrival(Arrival(token: Self.token, visit: "v-9", zone: "lobby", reader: "door", firstName: "Ada", tier: "regular"))),
                enter,
            ])
            #expect(try await store.rows("SELECT \(store.time("started_at")), zone, \(store.time("ended_at")) FROM visits")
                    == [[Events.base.rfc3339, "entrance", nil]])
        }
    }

    @Test(arguments: Backend.allCases) func aVisitSpreadOverBatchesMergesAsIfAppliedOneByOne(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            func enter(_ seq: UInt64, zone: String, at second: Int64, token: String? = nil) -> GatewayEvent {
                var event = Events.event(seq, .presenceEnter(Presence(zone: zone, reader: "door", antenna: 1, subject: .customer,
                                                                      token: token, visit: "v-7")))
                event.ts = Events.base.adding(milliseconds: second * 1_000)
                return event
            }
            func exit(_ seq: UInt64, at second: Int64) -> GatewayEvent {
                var event = Events.event(seq, .presenceExit(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer,
                                                                     token: Self.token, visit: "v-7", dwellMs: 1, visitEnd: true)))
                event.ts = Events.base.adding(milliseconds: second * 1_000)
                return event
            }
            // The end arrives first, alone; then a start, then an earlier start and a later one in one batch, then a second end.
            _ = try await store.store.applyBatch([exit(1, at: 50)])
            #expect(try await store.rows("SELECT token, \(store.time("started_at")), zone, \(store.time("ended_at")) FROM visits")
                    == [[Self.token, nil, nil, "2026-03-01T10:00:50.000Z"]])
            _ = try await store.store.applyBatch([enter(2, zone: "floor", at: 20)])
            _ = try await store.store.applyBatch([enter(3, zone: "lobby", at: 30), enter(4, zone: "entrance", at: 10), enter(5, zone: "till", at: 15)])
            #expect(try await store.rows("SELECT \(store.time("started_at")), zone, \(store.time("ended_at")) FROM visits")
                    == [["2026-03-01T10:00:10.000Z", "entrance", "2026-03-01T10:00:50.000Z"]])
            _ = try await store.store.applyBatch([exit(6, at: 60), enter(7, zone: "floor", at: 12)])
            #expect(try await store.rows("SELECT token, \(store.time("started_at")), zone, \(store.time("ended_at")) FROM visits")
                    == [[Self.token, "2026-03-01T10:00:10.000Z", "entrance", "2026-03-01T10:01:00.000Z"]])
        }
    }

    @Test(arguments: Backend.allCases) func anErasedTokenLeavesOnlyAnonymousSales(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let other = "fedcba9876543210fedcba9876543210"
            _ = try await store.store.applyBatch([
                Events.event(1, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: Self.token, visit: "v-1"))),
                Events.event(2, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: other, visit: "v-2"))),
                Events.event(3, .posTransaction(Events.sale(key: "1", token: Self.token))),
            ])
            // The erasure and a later event in one batch: the back end must write what came before the tombstone first.
            _ = try await store.store.applyBatch([
                Events.event(4, .presenceExit(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: Self.token,
                                                       visit: "v-1", dwellMs: 1_000, visitEnd: true))),
                Events.event(5, .customerErased(CustomerErased(token: Self.token))),
            ])
            #expect(try await store.count("presence", where: "token = '\(Self.token)'") == 0)
            #expect(try await store.column("SELECT token FROM presence") == [other])
            let visits = try await store.column("SELECT token FROM visits WHERE token IS NOT NULL")
            #expect(visits == [other])
            #expect(try await store.count("visits") == 2, "the erased customer's visit stays, anonymous")
            #expect(try await store.rows("SELECT tx_key, token FROM transactions") == [["S1/W2/2026-03-01/1", nil]], "the sale stays, anonymous")
            #expect(try await store.store.lastAppliedSeq(gateway: "gw-1") == 5)
        }
    }

    @Test(arguments: Backend.allCases) func aFailedBatchWritesNothingAndKeepsTheCursor(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            _ = try await store.store.applyBatch([Events.event(1, .presenceEnter(Presence(zone: "z", reader: "r", antenna: 1, subject: .visitor)))])
            // Sabotage the table a later event needs, so the transaction fails midway.
            try await store.execute("DROP TABLE reader_status")
            let batch = [
                Events.event(2, .presenceEnter(Presence(zone: "z", reader: "r", antenna: 1, subject: .visitor))),
                Events.event(3, .readerStatus(ReaderStatus(reader: "r", state: .error, message: nil, reads: 0, drops: 0))),
            ]
            // The error names the store: the SQLite file, or the server and database (never the password).
            let named = store.store.location.replacingOccurrences(of: "sqlite:", with: "")
            await #expect {
                _ = try await store.store.applyBatch(batch)
            } throws: { error in
                (error as? CRMStoreError)?.code == .write && "\(error)".contains("apply 2 events") && "\(error)".contains(named)
            }
            #expect(try await store.store.lastAppliedSeq(gateway: "gw-1") == 1)
            #expect(try await store.count("presence") == 1)
        }
    }

    @Test(arguments: Backend.allCases) func purgeRemovesOnlyWhatIsDue(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            _ = try await store.store.applyBatch(Events.visitBatch(token: Self.token))
            // Presence at :02 :04 :05 :08, the visit ended at :08, the sale ended at :00.
            let cutoff = Events.base.adding(milliseconds: 5_000)
            let report = try await store.store.purge(presenceBefore: cutoff, visitsBefore: cutoff, transactionsBefore: nil)
            #expect(report == PurgeReport(presence: 2, visits: 0, transactions: 0))
            #expect(try await store.column("SELECT CAST(seq AS TEXT) FROM presence ORDER BY seq") == ["5", "8"])
            let all = try await store.store.purge(presenceBefore: nil, visitsBefore: nil, transactionsBefore: Events.base.adding(milliseconds: 1))
            #expect(all == PurgeReport(presence: 0, visits: 0, transactions: 1))
            #expect(try await store.count("transaction_lines") == 0, "lines go with their sale")
            #expect(try await store.count("tenders") == 0)
            #expect(try await store.count("visits") == 1)
        }
    }

    @Test(arguments: Backend.allCases) func twoWritersFedTheSameEventsApplyEachOnce(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let second = try await store.secondWriter()
            // Overlapping batches from two store processes subscribed to the same gateway, racing.
            let events = (1...400).map { seq in
                Events.event(UInt64(seq), .presenceEnter(Presence(zone: "z", reader: "r", antenna: 1, subject: .visitor)))
            }
            let batches = stride(from: 0, to: events.count, by: 50).map { Array(events[$0..<min($0 + 80, events.count)]) }
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in [store.store, second] {
                    group.addTask {
                        var applied = 0
                        for batch in batches {
                            while true {
                                do {
                                    applied += try await writer.applyBatch(batch).applied
                                    break
                                } catch where "\(error)".localizedCaseInsensitiveContains("locked") || "\(error)".contains("busy") {
                                    continue  // SQLite's writer lock; PostgreSQL queues on the cursor row instead.
                                }
                            }
                        }
                        return applied
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(applied == 400)
            #expect(try await store.count("presence") == 400)
            #expect(try await store.column("SELECT CAST(count(DISTINCT seq) AS TEXT) FROM presence") == ["400"])
            #expect(try await store.store.lastAppliedSeq(gateway: "gw-1") == 400)
        }
    }
}
