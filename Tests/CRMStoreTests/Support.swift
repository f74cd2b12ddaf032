import Foundation
import GatewayCore
import Logging

@testable import CRMStore

/// A scratch folder with a fresh store in it, removed when the test ends.
final class Scratch {
    let folder: String
    let database: CRMDatabase
    let logger = Logger(label: "CRMStoreTests", factory: { _ in SwiftLogNoOpLogHandler() })
    let tokenizer = CustomerTokenizer(keyBytes: Array(repeating: 0x42, count: 32))

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("crmstore-\(UUID().uuidString)").path
        // A nested path: opening must create the folders.
        database = try CRMDatabase(path: "\(folder)/data/crm.sqlite", logger: logger)
    }

    deinit {
        try? database.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    var importer: CSVImporter { CSVImporter(database: database, logger: logger) }
    var writer: StoreWriter { StoreWriter(database: database, logger: logger) }

    /// Writes `text` to a file in the scratch folder and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let path = "\(folder)/\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Events for the writer tests, one gateway, timestamps a second apart.
enum Events {
    static let base = Timestamp(rfc3339: "2026-03-01T10:00:00.000Z")!

    static func event(_ seq: UInt64, _ payload: EventPayload, gateway: String = "gw-1") -> GatewayEvent {
        GatewayEvent(seq: seq, gateway: gateway, store: "store-1", ts: base.adding(milliseconds: Int64(seq) * 1_000), payload: payload)
    }

    static func sale(key sequence: String, token: String? = nil, total: Decimal = Decimal(string: "12.35")!) -> EnrichedTransaction {
        EnrichedTransaction(
            source: "pos-1", key: "S1/W2/2026-03-01/\(sequence)", posStore: "S1", workstation: "W2", sequenceNumber: sequence,
            businessDay: "2026-03-01", endedAt: base, operatorId: "op-7", currency: "EUR",
            lines: [
                .init(number: 1, kind: .sale, gtin: "04006381333931", itemId: nil, description: "Pencil", product: "Pencil HB",
                      category: "stationery", quantity: 2, unitPrice: Decimal(string: "1.10")!, amount: Decimal(string: "2.20")!, discount: 0),
                .init(number: 2, kind: .sale, gtin: nil, itemId: "W-1", description: "Apples", product: nil, category: nil,
                      quantity: Decimal(string: "0.455")!, unitPrice: Decimal(string: "2.99")!, amount: Decimal(string: "1.36")!, discount: 0),
            ],
            tenders: [.init(type: "Cash", amount: total)], total: total, tax: Decimal(string: "1.97")!, token: token)
    }

    /// One customer's visit with everything a store sees: reader states, presence of a customer, an item
    /// and a visitor, a VIP arrival, a sale and its basket link, the visit's end. Seqs 1 to 9.
    static func visitBatch(token: String) -> [GatewayEvent] {
        [
            event(1, .readerStatus(ReaderStatus(reader: "door", state: .connected, message: "up", reads: 0, drops: 0))),
            event(2, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: token, visit: "v-1"))),
            event(3, .vipArrival(Arrival(token: token, visit: "v-1", zone: "entrance", reader: "door", firstName: "Ada", tier: "vip"))),
            event(4, .presenceEnter(Presence(zone: "floor", reader: "floor-1", antenna: 2, subject: .item,
                                                    epc: "urn:epc:id:sgtin:4006381.033393.1", gtin: "04006381333931", product: "Pencil"))),
            event(5, .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .visitor))),
            event(6, .posTransaction(sale(key: "1001", token: token))),
            event(7, .basketLink(BasketLink(transaction: "S1/W2/2026-03-01/1001", zone: "checkout", matched: [], unmatched: []))),
            event(8, .presenceExit(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: token,
                                                   visit: "v-1", dwellMs: 420_000, visitEnd: true))),
            event(9, .readerStatus(ReaderStatus(reader: "door", state: .dropping, message: "ring full", reads: 1_000, drops: 12))),
        ]
    }
}
