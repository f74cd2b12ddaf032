import Foundation
import GatewayCore
import Testing
@testable import ESCPOS

@Suite("Receipt layout rules")
struct ReceiptLayoutTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func layout(_ options: [String: String] = [:], name: String = "till-1") throws -> ReceiptLayout.Compiled {
        var all = ["input": "/dev/ttyS0", "timeZone": "UTC"]
        all.merge(options) { $1 }
        return try ESCPOSTapConfig(source: SourceConfig(name: name, driver: "escpos", kind: .transactions, options: all, path: "sources[2]"))
            .layout.compile()
    }

    static let receipt = ESCPOSReceipt(lines: [
        "ACME STORE", "Receipt: 1042", "Till 3", "Cashier: Ann", "2026-11-23 10:15:30",
        "Milk 1L          2 x 1.25   2.50", "04006381333931 Café crème   3.10", "Bread                 1.99",
        "SUBTOTAL              7.59", "VAT 19%               1.21", "TOTAL                 7.59", "CASH                 10.00",
        "CHANGE                2.41", "Loyalty card: L-00042", "Thank you!",
    ], end: .cut)

    @Test("the default rules read items, quantity and unit price, GTIN, total, tax, tender, loyalty, number, till, cashier and date")
    func defaults() throws {
        let sale = try Self.layout().transaction(from: Self.receipt)
        #expect(sale.confidence == .low)
        #expect(sale.storeID == "till-1")
        #expect(sale.workstationID == "3")
        #expect(sale.sequenceNumber == "1042")
        #expect(sale.operatorID == "Ann")
        #expect(sale.businessDay == "2026-11-23")
        #expect(sale.endedAt == Timestamp(rfc3339: "2026-11-23T10:15:30.000Z"))
        #expect(sale.lines == [
            .init(number: 1, description: "Milk 1L", quantity: 2, unitPrice: Decimal(string: "1.25")!, amount: Decimal(string: "2.50")!),
            .init(number: 2, gtin: "04006381333931", description: "Café crème", quantity: 1, unitPrice: Decimal(string: "3.10")!,
                  amount: Decimal(string: "3.10")!),
            .init(number: 3, description: "Bread", quantity: 1, unitPrice: Decimal(string: "1.99")!, amount: Decimal(string: "1.99")!),
        ])
        #expect(sale.total == Decimal(string: "7.59")!)
        #expect(sale.tax == Decimal(string: "1.21")!)
        #expect(sale.tenders == [.init(type: "cash", amount: 10)])
        #expect(sale.loyaltyID == "L-00042")
        #expect(sale.currency == "USD")
        #expect(sale.flags.isEmpty)
    }

    @Test("lines that do not add up to the total are flagged totals-mismatch; the sale is still read")
    func mismatch() throws {
        var receipt = Self.receipt
        receipt.lines[7] = "Bread                 2.99"
        let sale = try Self.layout().transaction(from: receipt)
        #expect(sale.flags == ["totals-mismatch"])
        #expect(sale.total == Decimal(string: "7.59")!)
    }

    @Test("a receipt without a total line is not a sale")
    func notASale() throws {
        let report = ESCPOSReceipt(lines: ["X REPORT", "Sales 1,234.00", "Cash 234.00"], end: .cut)
        let layout = try Self.layout()
        #expect(throws: ESCPOSError.self) { try layout.transaction(from: report) }
        do {
            _ = try layout.transaction(from: report)
            Issue.record("a report was read as a sale")
        } catch {
            #expect(error.code == .notASale)
            #expect(error.message.contains("X REPORT"))
        }
    }

    @Test("without a receipt number the key is a hash of the text: the same receipt again is the same key, another is not")
    func textKey() throws {
        let plain = ESCPOSReceipt(lines: ["Tea  1.00", "TOTAL 1.00", "2026-01-02"], end: .cut)
        let layout = try Self.layout()
        let first = try layout.transaction(from: plain, now: Timestamp(rfc3339: "2026-05-05T12:00:00.000Z")!)
        let again = try layout.transaction(from: plain, now: Timestamp(rfc3339: "2026-05-06T12:00:00.000Z")!)
        var other = plain
        other.lines[0] = "Tea  1.01"
        other.lines[1] = "TOTAL 1.01"
        let different = try layout.transaction(from: other)
        #expect(first.key == again.key)
        #expect(first.sequenceNumber.hasPrefix("h") && first.sequenceNumber.count == 17)
        #expect(first.businessDay == "2026-01-02")
        #expect(first.endedAt == Timestamp(rfc3339: "2026-05-05T12:00:00.000Z"))
        #expect(different.key != first.key)
    }

    @Test("a store's own rules: comma decimals, its own words, a date in day.month.year, a time zone, workstation and store options")
    func customRules() throws {
        let layout = try Self.layout([
            "itemLine": #"^(?<quantity>\d+)\s+(?<description>.+?)\s+(?<amount>-?[\d.]+,\d{2})\s*[AB]?$"#,
            "totalLine": #"^SUMME\s+EUR\s+(?<total>[\d.]+,\d{2})$"#,
            "dateLine": #"^(?<day>\d{2})\.(?<month>\d{2})\.(?<year>\d{2,4})\s+(?<hour>\d{2}):(?<minute>\d{2})"#,
            "loyaltyLine": #"^Kundenkarte\s+(?<loyalty>\d+)$"#,
            "receiptLine": #"^Bon-Nr\.?\s*(?<number>\d+)"#,
            "taxLine": "", "tenderLine": "",
            "decimalSeparator": ",", "currency": "EUR", "timeZone": "Europe/Berlin", "store": "berlin-01", "workstation": "kasse-2",
        ])
        let sale = try layout.transaction(from: ESCPOSReceipt(lines: [
            "Bon-Nr. 7781", "23.11.26 18:05", "2 Brezel 1,80 A", "1 Kaffee 1.234,50 B", "1 Pfand -0,25", "SUMME EUR 1.236,05",
            "Kundenkarte 99887766",
        ], end: .cut))
        #expect(sale.storeID == "berlin-01")
        #expect(sale.workstationID == "kasse-2")
        #expect(sale.sequenceNumber == "7781")
        #expect(sale.currency == "EUR")
        #expect(sale.businessDay == "2026-11-23")
        #expect(sale.endedAt == Timestamp(rfc3339: "2026-11-23T17:05:00.000Z"))
        #expect(sale.lines.map(\.amount) == [Decimal(string: "1.80")!, Decimal(string: "1234.50")!, Decimal(string: "-0.25")!])
        #expect(sale.lines.map(\.kind) == [.sale, .sale, .return])
        #expect(sale.lines[0].unitPrice == Decimal(string: "0.9")!)
        #expect(sale.total == Decimal(string: "1236.05")!)
        #expect(sale.loyaltyID == "99887766")
        #expect(sale.flags.isEmpty)
    }

    @Test("bad rules and options are config errors naming the key path")
    func configErrors() {
        func error(_ options: [String: String]) -> ConfigError? {
            do {
                _ = try Self.layout(options)
                return nil
            } catch let error as ConfigError {
                return error
            } catch {
                return nil
            }
        }
        #expect(error(["itemLine": "(?<amount>\\d+"])?.keyPath == "sources[2].options.itemLine")
        #expect(error(["itemLine": "(?<amount>\\d+"])?.message.contains("is not a regular expression") == true)
        #expect(error(["totalLine": "TOTAL (\\d+)"])?.message.contains("(?<total>") == true)
        #expect(error(["totalLine": ""])?.keyPath == "sources[2].options.totalLine")
        #expect(error(["itemLines": "x"])?.code == .unknownKey)
        #expect(error(["baud": "1200"])?.keyPath == "sources[2].options.baud")
        #expect(error(["codePage": "cp999"])?.keyPath == "sources[2].options.codePage")
        #expect(error(["input": "ttyS0"])?.keyPath == "sources[2].options.input")
        #expect(error(["timeZone": "Mars/Olympus"])?.keyPath == "sources[2].options.timeZone")
        #expect(error(["maxLineLength": "3"])?.keyPath == "sources[2].options.maxLineLength")
        #expect(error(["receiptTimeout": "soon"])?.keyPath == "sources[2].options.receiptTimeout")
        #expect(error([:]) == nil)
        #expect(throws: ConfigError.self) {
            _ = try ESCPOSTapConfig(source: SourceConfig(name: "t", driver: "escpos", kind: .transactions, options: [:], path: "sources[0]"))
        }
    }
}
