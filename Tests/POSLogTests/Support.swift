import Foundation
import GatewayCore
import Logging
import POSIngest
@testable import POSLog

let quietLogger = Logger(label: "POSLogTests", factory: { _ in SwiftLogNoOpLogHandler() })

let arts = "http://www.nrf-arts.org/IXRetail/namespace/"

/// The fixtures copied into the repository (real NCR ACS exports, BSD-3, see Fixtures/README.md).
enum Fixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }
}

/// A parser that reads offset-less times as UTC, so expectations do not depend on the host.
let utcParser = POSLogParser(timeZone: TimeZone(identifier: "UTC")!)

/// A fresh temporary folder, removed by the caller.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("poslog-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A transaction sink whose ring the test drains itself.
func makeSink(name: String = "poslog", index: UInt16 = 0, capacity: Int = 1024) -> TransactionSink {
    let doorbell = Doorbell()
    return TransactionSink(source: SourceDescriptor(index: index, name: name, driver: "poslog"),
                           ring: SPSCRing<PosTransaction>(capacity: capacity, lossless: .block, doorbell: doorbell),
                           inbox: ControlInbox(doorbell: doorbell))
}

/// Everything in the ring now.
func drain(_ sink: TransactionSink) -> [PosTransaction] {
    var items: [PosTransaction] = []
    while sink.ring.drain({ items.append($0) }) > 0 {}
    return items
}

/// Polls `condition` until it holds or the deadline passes; generous, the machine is shared.
func waitUntil(_ timeout: Duration = .seconds(20), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}

/// A small POSLog document, in v6 (BusinessUnit/UnitID) or 2.x (RetailStoreID) shape.
struct POSLogBuilder {
    var v6 = true
    var prefix = ""
    var transactions: [String] = []

    func element(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix):\(name)" }

    mutating func retail(store: String = "12", workstation: String = "3", sequence: String, day: String = "2026-03-01",
                         end: String = "2026-03-01T10:15:00", body: String, total: String, tax: String = "0.00") {
        let e = element
        let storeXML = v6 ? "<\(e("BusinessUnit"))><\(e("UnitID")) TypeCode=\"RetailStore\">\(store)</\(e("UnitID"))></\(e("BusinessUnit"))>"
                          : "<\(e("RetailStoreID"))>\(store)</\(e("RetailStoreID"))>"
        transactions.append("""
        <\(e("Transaction"))>\(storeXML)<\(e("WorkstationID"))>\(workstation)</\(e("WorkstationID"))>\
        <\(e("SequenceNumber"))>\(sequence)</\(e("SequenceNumber"))><\(e("BusinessDayDate"))>\(day)</\(e("BusinessDayDate"))>\
        <\(e("BeginDateTime"))>2026-03-01T10:11:00</\(e("BeginDateTime"))><\(e("EndDateTime"))>\(end)</\(e("EndDateTime"))>\
        <\(e("OperatorID"))>7</\(e("OperatorID"))><\(e("CurrencyCode"))>EUR</\(e("CurrencyCode"))>
        <\(e("RetailTransaction"))>
        \(body)
        <\(e("Total")) TotalType="TransactionGrandAmount">\(total)</\(e("Total"))>
        <\(e("Total")) TotalType="TransactionTaxAmount">\(tax)</\(e("Total"))>
        </\(e("RetailTransaction"))></\(e("Transaction"))>
        """)
    }

    mutating func control(sequence: String) {
        let e = element
        transactions.append("""
        <\(e("Transaction"))><\(e("RetailStoreID"))>12</\(e("RetailStoreID"))><\(e("WorkstationID"))>3</\(e("WorkstationID"))>\
        <\(e("SequenceNumber"))>\(sequence)</\(e("SequenceNumber"))><\(e("BusinessDayDate"))>2026-03-01</\(e("BusinessDayDate"))>\
        <\(e("EndDateTime"))>2026-03-01T09:00:00</\(e("EndDateTime"))>\
        <\(e("ControlTransaction"))><\(e("OperatorSignOn"))/></\(e("ControlTransaction"))></\(e("Transaction"))>
        """)
    }

    func sale(_ number: Int, gtin: String? = nil, itemID: String? = nil, description: String = "Item", quantity: String = "1",
              price: String, amount: String, discount: String? = nil, kind: String = "Sale", void: Bool = false) -> String {
        let e = element
        let identity = gtin.map { "<\(e("POSIdentity")) POSIDType=\"GTIN\"><\(e("POSItemID"))>\($0)</\(e("POSItemID"))></\(e("POSIdentity"))>" } ?? ""
        let id = itemID.map { "<\(e("ItemID"))>\($0)</\(e("ItemID"))>" } ?? ""
        let off = discount.map { "<\(e("DiscountAmount"))>\($0)</\(e("DiscountAmount"))>" } ?? ""
        return """
        <\(e("LineItem"))\(void ? " VoidFlag=\"true\"" : "")><\(e("SequenceNumber"))>\(number)</\(e("SequenceNumber"))>\
        <\(e(kind)) ItemType="Stock">\(identity)\(id)<\(e("Description"))>\(description)</\(e("Description"))>\
        <\(e("RegularSalesUnitPrice"))>\(price)</\(e("RegularSalesUnitPrice"))><\(e("ExtendedAmount"))>\(amount)</\(e("ExtendedAmount"))>\
        \(off)<\(e("Quantity"))>\(quantity)</\(e("Quantity"))></\(e(kind))></\(e("LineItem"))>
        """
    }

    func tender(_ number: Int, type: String = "Cash", amount: String, inner: String = "") -> String {
        let e = element
        return """
        <\(e("LineItem"))><\(e("SequenceNumber"))>\(number)</\(e("SequenceNumber"))><\(e("Tender")) TenderType="\(type)">\
        <\(e("Amount"))>\(amount)</\(e("Amount"))>\(inner)</\(e("Tender"))></\(e("LineItem"))>
        """
    }

    var xml: String {
        let root = element("POSLog")
        let ns = prefix.isEmpty ? "xmlns=\"\(arts)\"" : "xmlns:\(prefix)=\"\(arts)\""
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(root) \(ns) MajorVersion=\"6\">\n"
            + transactions.joined(separator: "\n") + "\n</\(root)>\n"
    }

    var bytes: [UInt8] { Array(xml.utf8) }
}
