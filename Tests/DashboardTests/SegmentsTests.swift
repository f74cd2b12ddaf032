import Bus
import CRMStore
import Dashboard
import Foundation
import GatewayCore
import Logging
import Segmentation
import ServiceLifecycle
import Synchronization
import Testing

/// A CRM store in a scratch folder with named customers, one objector, and a year of purchases by
/// them and 30 others, so the models have enough to fit.
final class SegmentStore {
    let folder: String
    let database: CRMDatabase
    let logger = Logger(label: "DashboardTests", factory: { _ in SwiftLogNoOpLogHandler() })
    let tokenizer = CustomerTokenizer(keyBytes: Array(repeating: 0x42, count: 32))
    static let asOf = Day(iso: "2024-06-30")!

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString)").path
        database = try CRMDatabase(path: "\(folder)/crm.sqlite", logger: logger)
        let importer = CSVImporter(database: database, logger: logger)
        _ = try importer.importCustomers(file: try file("customers.csv", """
            customer_id,first_name,last_name,email,tier,credentials,recognition_consent,profiling_consent
            C-1,Ada,Lovelace,ada@example.com,vip,,yes,yes
            C-2,Bo,Regular,bo@example.com,regular,,yes,yes
            C-3,Cy,Shopper,cy@example.com,regular,,yes,yes
            C-4,Di,Objector,di@example.com,regular,,yes,no
            """), tokenizer: tokenizer)
        var lines = ["customer_id,date,amount"]
        var state: UInt64 = 7
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let start = Day(iso: "2023-07-01")!
        func purchases(_ id: String, count: Int, amount: ClosedRange<Int>) {
            for _ in 0..<count {
                lines.append("\(id),\(start.adding(days: next(365)).iso),\(amount.lowerBound + next(amount.count)).00")
            }
        }
        purchases("C-1", count: 12, amount: 150...400)
        purchases("C-2", count: 3, amount: 20...60)
        purchases("C-3", count: 6, amount: 40...90)
        purchases("C-4", count: 10, amount: 500...900)
        for index in 0..<30 { purchases("H\(index)", count: 1 + next(6), amount: 10...80) }
        _ = try importer.importTransactions(file: try file("history.csv", lines.joined(separator: "\n") + "\n"), tokenizer: tokenizer,
                                            profilingDefault: true)
    }

    deinit {
        try? database.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    func token(_ id: String) -> String { tokenizer.token(for: id) }

    /// Runs segmentation as the nightly job does.
    func segment(asOf: Day = SegmentStore.asOf) throws -> SegmentationReport {
        try SegmentationJob(database: database, settings: SegmentationSettings(), logger: logger).run(asOf: asOf)
    }

    private func file(_ name: String, _ text: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

@Suite struct SegmentSummaryTests {
    @Test func theSummaryIsTheLatestRunsCountsAndRanking() throws {
        let store = try SegmentStore()
        let empty = try SegmentSummary.read(from: store.database)
        #expect(empty.lastRun == nil && empty.bySegmentAndTier.isEmpty && empty.topCustomers.isEmpty)
        #expect(empty.tiers == ["vip": 1, "regular": 33])

        let report = try store.segment()
        #expect(report.customers == 33 && report.excluded == 1)
        let summary = try SegmentSummary.read(from: store.database)
        #expect(summary.lastRun?.asOf == "2024-06-30")
        #expect(summary.lastRun?.customers == 33)
        #expect(summary.tiers == report.tiers)
        var perSegment: [String: Int] = [:]
        for cell in summary.bySegmentAndTier { perSegment[cell.segment, default: 0] += cell.count }
        #expect(perSegment == report.segments)
        #expect(summary.bySegmentAndTier.filter { $0.tier == "vip" }.map(\.count).reduce(0, +) == 1)
        // The same ranking the run reported: token, first name (empty for a customer known only from purchases), CLV.
        try #require(!report.topCustomers.isEmpty, "the models fitted no CLV: \(report.warnings)")
        #expect(summary.topCustomers == report.topCustomers.map { .init(token: $0.token, firstName: $0.firstName ?? "", clv: $0.clv) })
        #expect(summary.topCustomers.first?.firstName == "Ada")
        // The objector is in no count and no ranking.
        #expect(!summary.topCustomers.contains { $0.token == store.token("C-4") })
    }

    @Test func anObjectionOrAnErasureTakesTheCustomerOutBeforeTheNextRun() throws {
        let store = try SegmentStore()
        _ = try store.segment()
        let before = try SegmentSummary.read(from: store.database)
        let segmented = before.bySegmentAndTier.map(\.count).reduce(0, +)
        #expect(before.topCustomers.contains { $0.token == store.token("C-3") })

        _ = try store.database.recordConsent(customerID: "C-3", [ConsentDecision(purpose: .profiling, granted: false)], source: "test")
        let objected = try SegmentSummary.read(from: store.database)
        #expect(!objected.topCustomers.contains { $0.token == store.token("C-3") })
        #expect(objected.bySegmentAndTier.map(\.count).reduce(0, +) == segmented - 1)

        _ = try store.database.erase(customerID: "C-1")
        let erased = try SegmentSummary.read(from: store.database)
        #expect(!erased.topCustomers.contains { $0.token == store.token("C-1") })
        #expect(erased.bySegmentAndTier.map(\.count).reduce(0, +) == segmented - 2)
        #expect(erased.tiers["vip"] == nil)
    }
}

/// Events handed to the dashboard by the test instead of a bus.
final class QueuedEvents: EventReceiver, Sendable {
    private let queue = Mutex<[GatewayEvent]>([])

    func push(_ events: [GatewayEvent]) { queue.withLock { $0 += events } }
    func resume(gateway: String, after seq: UInt64) {}
    func lastSeq(gateway: String) -> UInt64? { nil }
    var statistics: SubscriberStatistics { SubscriberStatistics() }
    func close() {}

    func receive(maxBatch: Int, timeout: Duration) throws(BusError) -> [GatewayEvent] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let batch = queue.withLock { queue in
                let batch = Array(queue.prefix(maxBatch))
                queue.removeFirst(batch.count)
                return batch
            }
            if !batch.isEmpty || ContinuousClock.now >= deadline { return batch }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(within timeout: Duration, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

@Suite struct DashboardServiceSegmentsTests {
    @Test(.timeLimit(.minutes(1))) func aDashboardStartedAfterTheRunShowsItAtOnceAndFollowsTheNextRun() async throws {
        let store = try SegmentStore()
        // The nightly run happened, and its changes went out on the bus, before this dashboard started.
        _ = try store.segment()
        let events = QueuedEvents()
        var configuration = DashboardConfig()
        configuration.port = 0
        configuration.users = [.init(name: "anna", passwordHash: PasswordHasher.hash("correct horse", cost: 10))]
        let setup = DashboardService.Setup(configuration: configuration, source: events, database: store.database, dataDirectory: store.folder)
        let service = try DashboardService(setup: setup, logger: store.logger)
        let group = ServiceGroup(configuration: .init(services: [service], logger: store.logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }

        let segments = { service.core.aggregator.state.segments }
        #expect(await eventually(within: .seconds(5)) { segments().lastRun != nil })
        let first = try SegmentSummary.read(from: store.database)
        #expect(segments().fromStore)
        #expect(segments().lastRun == first.lastRun)
        #expect(segments().topCustomers == first.topCustomers)
        #expect(segments().segments.map(\.count).reduce(0, +) == 33)

        // The next run (a later day): its changes come as customer.segment events, and the page
        // follows within seconds, not at the 30 s re-read.
        let report = try store.segment(asOf: Day(iso: "2024-12-31")!)
        let changed = Timestamp.now()
        events.push([GatewayEvent(seq: 1, gateway: "gw-1", store: "s", ts: changed,
                                  payload: .customerSegment(CustomerSegment(token: store.token("C-2"), segment: "at risk", tier: "regular")))])
        #expect(await eventually(within: .seconds(5)) { segments().lastRun?.asOf == "2024-12-31" })
        #expect(segments().segments.map(\.count).reduce(0, +) == report.customers)

        // An erasure: gone from the ranking at once, and from the counts at the next read.
        _ = try store.database.erase(customerID: "C-1")
        events.push([GatewayEvent(seq: 2, gateway: "gw-1", store: "s", ts: changed,
                                  payload: .customerErased(CustomerErased(token: store.token("C-1"))))])
        #expect(await eventually(within: .seconds(5)) {
            !segments().topCustomers.contains { $0.token == store.token("C-1") } && !segments().tiers.contains { $0.name == "vip" }
        })
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
