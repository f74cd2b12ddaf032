import Bus
import CRMStore
import Foundation
import GatewayCore
import Logging

/// The durable end of the bus: journal appends with group commit, and store ingest on SQLite and
/// PostgreSQL, each next to its one-at-a-time baseline measured in the same run.
struct StoreIngestBench {
    /// Events per batched run; the one-event-per-transaction baseline runs a tenth as many.
    var events: Int
    /// Events per store transaction, as `crm.batch.maxEvents` sets it for the real store.
    var batchSize = 500
    var logger: Logger

    /// Events per second into `store`: in batches, and one event per transaction.
    func ingest(into store: any CRMEventStore) async throws -> (batched: Double, single: Double) {
        // Each run its own gateway id, so its cursor starts at zero and nothing is skipped.
        let run = UUID().uuidString.prefix(8)
        let batched = Self.storeEvents(count: events, gateway: "bench-\(run)-batched")
        var began = monotonicNanos()
        for start in stride(from: 0, to: batched.count, by: batchSize) {
            let result = try await store.applyBatch(Array(batched[start..<min(start + batchSize, batched.count)]))
            precondition(result.skipped == 0, "the bench's events were skipped: not a fresh gateway id")
        }
        let batchedRate = Double(batched.count) / (Double(monotonicNanos() - began) / 1e9)

        let single = Self.storeEvents(count: max(events / 10, 100), gateway: "bench-\(run)-single")
        began = monotonicNanos()
        for event in single { _ = try await store.applyBatch([event]) }
        let singleRate = Double(single.count) / (Double(monotonicNanos() - began) / 1e9)
        return (batchedRate, singleRate)
    }

    /// Records per second into a journal in a temporary folder, each durable: group commit (appends,
    /// then waiting for the commit thread's fsync) beside a flush after every record.
    func journalAppend(groupCommit: Duration) throws -> (grouped: Double, fsyncEach: Double) {
        let payload = try EventCodec().encode(Self.storeEvents(count: 1, gateway: "bench")[0]).body
        func measure(records: Int, flushEach: Bool) throws -> Double {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-bench-journal-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let journal = try Journal.open(directory: folder, groupCommit: groupCommit, logger: logger)
            defer { journal.close() }
            let began = monotonicNanos()
            for seq in 1...UInt64(records) {
                try journal.append(seq: seq, payload: payload)
                if flushEach { try journal.flush() }
            }
            // Durable means synced: wait for the commit thread to cover the last record.
            while journal.durableSeq < UInt64(records) { usleep(200) }
            return Double(records) / (Double(monotonicNanos() - began) / 1e9)
        }
        return (try measure(records: events, flushEach: false), try measure(records: max(events / 100, 50), flushEach: true))
    }

    /// A store's day in miniature: items and shoppers entering and leaving zones, and every tenth event a sale.
    static func storeEvents(count: Int, gateway: String) -> [GatewayEvent] {
        let base = Timestamp.now()
        return (0..<count).map { index in
            let seq = UInt64(index + 1)
            let payload: EventPayload
            if index % 10 == 9 {
                payload = .posTransaction(sale(number: index, at: base))
            } else {
                let item = index % 3 != 0
                let presence = Presence(zone: index % 2 == 0 ? "floor" : "checkout", reader: "bench-reader", antenna: 1 + index % 4,
                                        subject: item ? .item : .customer,
                                        token: item ? nil : String(format: "%032x", index % 5_000),
                                        visit: item ? nil : "visit-\(index % 5_000)",
                                        epc: item ? "urn:epc:id:sgtin:0614141.812345.\(index)" : nil,
                                        gtin: item ? "00614141123452" : nil, product: item ? "Scarf" : nil)
                payload = index % 4 == 3 ? .presenceExit(presence) : .presenceEnter(presence)
            }
            return GatewayEvent(seq: seq, gateway: gateway, store: "bench-store", ts: base.adding(milliseconds: Int64(index)), payload: payload)
        }
    }

    private static func sale(number: Int, at time: Timestamp) -> EnrichedTransaction {
        let price = Decimal(string: "19.99")!
        return EnrichedTransaction(
            source: "bench-till", key: "S1/W1/2026-01-01/\(number)", posStore: "S1", workstation: "W1", sequenceNumber: "\(number)",
            businessDay: "2026-01-01", endedAt: time, operatorId: "op", currency: "USD",
            lines: [
                .init(number: 1, kind: .sale, gtin: "00614141123452", itemId: nil, description: "Scarf", product: "Scarf",
                      category: "accessories", quantity: 1, unitPrice: price, amount: price, discount: 0),
                .init(number: 2, kind: .sale, gtin: nil, itemId: "BAG", description: "Bag", product: nil, category: nil,
                      quantity: 1, unitPrice: Decimal(string: "0.10")!, amount: Decimal(string: "0.10")!, discount: 0),
            ],
            tenders: [.init(type: "CreditDebit", amount: Decimal(string: "20.09")!)], total: Decimal(string: "20.09")!,
            tax: Decimal(string: "1.48")!, token: nil)
    }
}
