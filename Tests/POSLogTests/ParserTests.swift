import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GatewayCore
import POSIngest
import Testing
@testable import POSLog

/// The NCR ACS fixtures against an independent reading of the same files.
///
/// The expectations are computed in the test with Foundation's DOM (`XMLDocument`), a different code
/// path from the streaming parser: every retail transaction, its key, its sale lines (count, order,
/// amounts, quantities) and its grand total and tax must match.
@Suite struct FixtureTests {
    struct Expected {
        var key: String
        var saleAmounts: [Decimal]
        var quantities: [Decimal]
        var grand: Decimal
        var tax: Decimal
        var tenderSum: Decimal
        var loyalty: String?
    }

    static func independentWalk(_ name: String) throws -> (retail: [Expected], control: Int) {
        let document = try XMLDocument(data: Data(try Fixture.bytes(name)), options: [])
        let root = try #require(document.rootElement())
        var retail: [Expected] = []
        var control = 0
        let acs = "http://www.ncr.com/rsd/acs/tlog/markup/poslog/2.1"
        func children(_ element: XMLElement, _ name: String, _ uri: String = arts) -> [XMLElement] {
            (element.children ?? []).compactMap { $0 as? XMLElement }.filter { $0.localName == name && $0.uri == uri }
        }
        func text(_ element: XMLElement, _ name: String) -> String? { children(element, name).first?.stringValue }
        for transaction in children(root, "Transaction") {
            guard let body = children(transaction, "RetailTransaction").first else {
                control += 1
                continue
            }
            let key = [text(transaction, "RetailStoreID"), text(transaction, "WorkstationID"), text(transaction, "BusinessDayDate"),
                       text(transaction, "SequenceNumber")].map { $0 ?? "?" }.joined(separator: "/")
            var amounts: [Decimal] = []
            var quantities: [Decimal] = []
            var tenders: Decimal = 0
            var loyalty: String?
            for line in children(body, "LineItem") {
                if let sale = children(line, "Sale").first {
                    amounts.append(Decimal(string: text(sale, "ExtendedAmount") ?? "x")!)
                    quantities.append(Decimal(string: text(sale, "Quantity") ?? "x")!)
                }
                if let tender = children(line, "Tender").first {
                    tenders += Decimal(string: text(tender, "Amount") ?? "x")!
                }
                for membership in children(line, "LoyaltyMembership", acs) {
                    loyalty = children(membership, "LoyaltyID", acs).first?.stringValue
                }
            }
            var grand: Decimal = -1
            var tax: Decimal = -1
            for total in children(body, "Total") {
                let value = Decimal(string: total.stringValue ?? "x")!
                switch (total.attributes ?? []).first(where: { $0.localName == "TotalType" || $0.name == "TotalType" })?.stringValue {
                case "TransactionGrandAmount": grand = value
                case "TransactionTaxAmount": tax = value
                default: break
                }
            }
            retail.append(Expected(key: key, saleAmounts: amounts, quantities: quantities, grand: grand, tax: tax, tenderSum: tenders,
                                   loyalty: loyalty))
        }
        return (retail, control)
    }

    @Test("every retail transaction of the NCR exports parses, lines and totals as in the file",
          arguments: ["ncr-acs-POSLog.xml", "ncr-acs-SMALL.xml"])
    func fixtureParsesCompletely(name: String) throws {
        let expected = try Self.independentWalk(name)
        let document = try utcParser.parse(try Fixture.bytes(name))
        #expect(document.rejected == [])
        #expect(document.ignored == expected.control)
        #expect(document.transactions.count == expected.retail.count)
        for (parsed, file) in zip(document.transactions, expected.retail) {
            #expect(parsed.key == file.key)
            #expect(parsed.lines.map(\.amount) == file.saleAmounts, "lines of \(file.key)")
            #expect(parsed.lines.map(\.quantity) == file.quantities, "quantities of \(file.key)")
            #expect(parsed.total == file.grand, "grand total of \(file.key)")
            #expect(parsed.tax == file.tax, "tax of \(file.key)")
            #expect(parsed.tenders.reduce(Decimal(0)) { $0 + $1.amount } == file.tenderSum, "tenders of \(file.key)")
            #expect(parsed.loyaltyID == file.loyalty, "loyalty of \(file.key)")
            // These exports add up (checked by hand with NCR's own acs:GrossPositive/GrossNegative totals).
            #expect(parsed.flags == [], "flags of \(file.key)")
            #expect(parsed.currency == "USD")
            #expect(parsed.confidence == .exact)
        }
    }

    @Test("the big export: 42 retail, 9 control (as its SOURCE note says); spot checks from the file")
    func spotChecks() throws {
        let document = try utcParser.parse(try Fixture.bytes("ncr-acs-POSLog.xml"))
        #expect(document.transactions.count == 42)
        #expect(document.ignored == 9)
        // First transaction, by hand from the file: store 9, till 31, #114, 2017-10-01, 20.45 incl. 0.94 tax, one cash tender.
        let first = try #require(document.transactions.first)
        #expect(first.key == "9/31/2017-10-01/114")
        #expect(first.total == Decimal(string: "20.45"))
        #expect(first.tax == Decimal(string: "0.94"))
        #expect(first.operatorID == "91")
        #expect(first.endedAt == Timestamp(rfc3339: "2017-10-01T15:15:25Z"))
        #expect(first.lines.first?.description == "SOUP BAR CUP")
        #expect(first.lines.first?.unitPrice == Decimal(string: "3.49"))
        // Weighed goods keep their fractional quantity exactly.
        let small = try utcParser.parse(try Fixture.bytes("ncr-acs-SMALL.xml"))
        let apple = try #require(small.transactions.first?.lines.first)
        #expect(apple.quantity == Decimal(string: "0.42"))
        #expect(apple.amount == Decimal(string: "1.26"))
        #expect(small.transactions.first?.loyaltyID == "0000000000000040000066677")
        // 00000000067591 (POSIDType GTIN) has a valid GS1 check digit (checked by hand: 9·3+5+7·3+6 = 59 → 1).
        #expect(apple.gtin == "00000000067591")
        #expect(apple.itemID == "00000000067591")
        // Across the export every GTIN the parser keeps is 14 digits with a valid check digit.
        for line in document.transactions.flatMap(\.lines) {
            if let gtin = line.gtin { #expect(GTIN.normalized(gtin) == gtin) }
        }
    }

    @Test("NCR voids: the negative void line and the line it cancels are both marked voided")
    func ncrVoids() throws {
        let document = try utcParser.parse(try Fixture.bytes("ncr-acs-POSLog.xml"))
        let transaction = try #require(document.transactions.first { $0.sequenceNumber == "376" })
        let voided = transaction.lines.filter { $0.kind == .voided }
        #expect(voided.count == 2)
        #expect(Set(voided.map(\.amount)) == [Decimal(string: "2.79")!, Decimal(string: "-2.79")!])
        #expect(Set(voided.compactMap(\.description)) == ["CASC FROZ VEGIES"])
    }
}

@Suite struct V6Tests {
    @Test("a v6 document: BusinessUnit/UnitID, GTIN-13 normalised to GTIN-14, returns, discounts, tenders")
    func v6Document() throws {
        var doc = POSLogBuilder()
        doc.retail(sequence: "1001", body: [
            doc.sale(1, gtin: "4006381333931", description: "Notebook", quantity: "2", price: "3.50", amount: "7.00", discount: "0.50"),
            doc.sale(2, gtin: "036000291452", description: "Tissues", price: "2.00", amount: "2.00"),
            doc.sale(3, itemID: "PLU-4011", description: "Bananas", quantity: "1.235", price: "2.00", amount: "2.47"),
            doc.sale(4, gtin: "80614141123458", description: "Scarf", price: "1.00", amount: "1.00", kind: "Return"),
            doc.tender(5, type: "Cash", amount: "9.97"),
        ].joined(), total: "9.97", tax: "0.00")
        let document = try utcParser.parse(doc.bytes)
        let transaction = try #require(document.transactions.first)
        #expect(transaction.storeID == "12")
        #expect(transaction.key == "12/3/2026-03-01/1001")
        #expect(transaction.currency == "EUR")
        #expect(transaction.startedAt == Timestamp(rfc3339: "2026-03-01T10:11:00Z"))
        #expect(transaction.lines.map(\.gtin) == ["04006381333931", "00036000291452", nil, "80614141123458"])
        #expect(transaction.lines.map(\.kind) == [.sale, .sale, .sale, .return])
        #expect(transaction.lines[0].discount == Decimal(string: "0.50"))
        #expect(transaction.lines[2].quantity == Decimal(string: "1.235"))
        #expect(transaction.lines[2].itemID == "PLU-4011")
        #expect(transaction.tenders == [PosTransaction.Tender(type: "Cash", amount: Decimal(string: "9.97")!)])
        #expect(transaction.flags == [])
    }

    @Test("elements are matched by namespace, not prefix: a prefixed document parses the same")
    func prefixIndependent() throws {
        for prefix in ["", "ix", "poslog"] {
            var doc = POSLogBuilder(v6: false, prefix: prefix)
            doc.retail(sequence: "7", body: doc.sale(1, gtin: "4006381333931", price: "1.00", amount: "1.00") + doc.tender(2, amount: "1.00"),
                       total: "1.00")
            let document = try utcParser.parse(doc.bytes)
            #expect(document.transactions.map(\.key) == ["12/3/2026-03-01/7"], "prefix '\(prefix)'")
        }
        // The same names in another namespace are not POSLog.
        let foreign = #"<POSLog xmlns="urn:not-arts"><Transaction/></POSLog>"#
        #expect(throws: POSIngestError.self) { try utcParser.parse(Array(foreign.utf8)) }
    }

    @Test("an invalid GTIN check digit is not a GTIN; the code is kept as the item id")
    func badCheckDigit() throws {
        var doc = POSLogBuilder()
        doc.retail(sequence: "1", body: doc.sale(1, gtin: "4006381333932", price: "1.00", amount: "1.00"), total: "1.00")
        let line = try #require(try utcParser.parse(doc.bytes).transactions.first?.lines.first)
        #expect(line.gtin == nil)
        #expect(line.itemID == "4006381333932")
        #expect(GTIN.normalized("4006381333931") == "04006381333931")
        #expect(GTIN.normalized("96385074") == "00000096385074")
        #expect(GTIN.normalized("40063813339") == nil)
    }

    @Test("a voided line (ARTS style, positive) is kept as voided and left out of the totals")
    func voidedLine() throws {
        var doc = POSLogBuilder()
        doc.retail(sequence: "2", body: doc.sale(1, price: "5.00", amount: "5.00", void: true) + doc.sale(2, price: "1.00", amount: "1.00")
                   + doc.tender(3, amount: "1.00"), total: "1.00")
        let transaction = try #require(try utcParser.parse(doc.bytes).transactions.first)
        #expect(transaction.lines.map(\.kind) == [.voided, .sale])
        #expect(transaction.flags == [])
    }
}

@Suite struct CardDataTests {
    @Test("card numbers, PrimaryAccountNumber, track data, expiry and CVV never reach a transaction")
    func cardDataNeverCopied() throws {
        let pan = "4111111111111111"
        let secrets = [pan, "=29121010000012300000", "EXP-2912", "CVV-987"]
        var doc = POSLogBuilder()
        let card = """
        <CreditDebit CardType="Credit"><PrimaryAccountNumber>\(pan)</PrimaryAccountNumber><ExpirationDate>EXP-2912</ExpirationDate>\
        <Track2>;\(pan)=29121010000012300000?</Track2><CVV>CVV-987</CVV><CardNumber>\(pan)</CardNumber></CreditDebit>
        """
        doc.retail(sequence: "55", body: doc.sale(1, gtin: "4006381333931", price: "10.00", amount: "10.00")
                   + doc.tender(2, type: "CreditDebit", amount: "10.00", inner: card), total: "10.00")
        let document = try utcParser.parse(doc.bytes)
        #expect(document.transactions.count == 1)
        let encoder = JSONEncoder()
        let json = String(decoding: try encoder.encode(document.transactions), as: UTF8.self)
        let dump = "\(document.transactions)"
        for secret in secrets {
            #expect(!json.contains(secret), "\(secret) in the JSON")
            #expect(!dump.contains(secret), "\(secret) in the description")
        }
        #expect(json.contains("CreditDebit"), "the tender type itself is kept")
        // The structural guarantee: no captured path reaches into card data.
        for path in POSLogParser.capturedPaths {
            #expect(!path.contains("CreditDebit") && !path.contains("PrimaryAccountNumber") && !path.contains("Track"), "\(path)")
        }
    }
}

@Suite struct BadInputTests {
    @Test("malformed XML: an error with line and column, nothing of the document kept")
    func malformed() throws {
        let text = "<POSLog xmlns=\"\(arts)\">\n<Transaction><RetailStoreID>1</RetailStoreID></Transaction>\n<Transaction><RetailStoreID>2</Oops>\n</POSLog>\n"
        do {
            _ = try utcParser.parse(Array(text.utf8))
            Issue.record("malformed XML was accepted")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.message.contains("line 3"), "\(error.message)")
            #expect(error.message.contains("column"), "\(error.message)")
            #expect(error.httpStatus == 400)
        }
    }

    @Test("not XML at all, and an empty body, are malformed")
    func notXML() {
        for body in ["{\"json\": true}", "", "<POSLog"] {
            #expect(throws: POSIngestError.self, "\(body)") { try utcParser.parse(Array(body.utf8)) }
        }
    }

    @Test("a transaction whose lines, tenders and total disagree is kept and flagged totals-mismatch")
    func totalsMismatch() throws {
        var doc = POSLogBuilder()
        doc.retail(sequence: "1", body: doc.sale(1, price: "2.00", amount: "2.00") + doc.tender(2, amount: "2.00"), total: "3.00")
        doc.retail(sequence: "2", body: doc.sale(1, price: "2.00", amount: "2.00") + doc.tender(2, amount: "1.50"), total: "2.00")
        doc.retail(sequence: "3", body: doc.sale(1, price: "2.00", amount: "2.00") + doc.tender(2, amount: "2.10"), total: "2.10", tax: "0.10")
        let document = try utcParser.parse(doc.bytes)
        #expect(document.transactions.map(\.flags) == [["totals-mismatch"], ["totals-mismatch"], []])
        #expect(document.transactions[0].total == 3)
    }

    @Test("control transactions are counted as ignored, not sales")
    func controlTransactions() throws {
        var doc = POSLogBuilder()
        doc.control(sequence: "1")
        doc.retail(sequence: "2", body: doc.sale(1, price: "1.00", amount: "1.00"), total: "1.00")
        doc.control(sequence: "3")
        let document = try utcParser.parse(doc.bytes)
        #expect(document.ignored == 2)
        #expect(document.transactions.map(\.sequenceNumber) == ["2"])
    }

    @Test("a transaction missing its ids or with a bad amount is rejected with a reason; the others are kept")
    func rejectedOneByOne() throws {
        var doc = POSLogBuilder()
        doc.retail(sequence: "", body: doc.sale(1, price: "1.00", amount: "1.00"), total: "1.00")
        doc.retail(sequence: "9", body: doc.sale(1, price: "1.00", amount: "1,00"), total: "1.00")
        doc.retail(sequence: "10", end: "yesterday", body: "", total: "0.00")
        doc.retail(sequence: "11", body: doc.sale(1, price: "1.00", amount: "1.00"), total: "1.00")
        let document = try utcParser.parse(doc.bytes)
        #expect(document.transactions.map(\.sequenceNumber) == ["11"])
        #expect(document.rejected.count == 3)
        #expect(document.rejected[0].contains("missing SequenceNumber"))
        #expect(document.rejected[1].contains("ExtendedAmount '1,00' is not a number"))
        #expect(document.rejected[2].contains("EndDateTime 'yesterday'"))
        #expect(document.rejected.allSatisfy { $0.contains("transaction at line") })
    }

    @Test("size and depth limits give a clear too-large error")
    func limits() throws {
        var small = utcParser
        small.limits = .init(maxDocumentBytes: 100, maxDepth: 64)
        var doc = POSLogBuilder()
        doc.retail(sequence: "1", body: doc.sale(1, price: "1.00", amount: "1.00"), total: "1.00")
        #expect(throws: POSIngestError(.tooLarge, "POSLog document of \(doc.bytes.count) bytes exceeds the limit of 100 bytes")) {
            try small.parse(doc.bytes)
        }
        let deep = "<POSLog xmlns=\"\(arts)\">" + String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100) + "</POSLog>"
        do {
            _ = try utcParser.parse(Array(deep.utf8))
            Issue.record("a 100-deep document was accepted")
        } catch {
            #expect(error.code == .tooLarge)
            #expect(error.message.contains("deeper than 64"))
        }
    }

    @Test("entity declarations (billion laughs) are refused")
    func entities() {
        let text = """
        <?xml version="1.0"?><!DOCTYPE POSLog [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
        <POSLog xmlns="\(arts)"><Transaction><RetailStoreID>&b;</RetailStoreID></Transaction></POSLog>
        """
        #expect(throws: POSIngestError.self) { try utcParser.parse(Array(text.utf8)) }
    }

    @Test("bytes that are not UTF-8 are refused with their line and column before the XML parser sees them (it traps on them)")
    func notUTF8() throws {
        #expect(throws: POSIngestError(.malformed, "the document is not valid UTF-8 at line 1, column 2 (byte 0xFF); POSLog is read as UTF-8")) {
            try utcParser.parse([0x3C, 0xFF, 0xFF, 0xFF, 0x00])
        }
        let broken = Array("<POSLog xmlns=\"\(arts)\">\n<Transaction>".utf8) + [0xC3] + Array("</Transaction></POSLog>".utf8)
        #expect(throws: POSIngestError(.malformed, "the document is not valid UTF-8 at line 2, column 14 (byte 0xC3); POSLog is read as UTF-8")) {
            try utcParser.parse(broken)
        }
        let latin1 = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><POSLog xmlns=\"\(arts)\"></POSLog>"
        #expect(throws: POSIngestError(.malformed, "the document declares encoding 'ISO-8859-1'; POSLog is read as UTF-8 only (export it as UTF-8)")) {
            try utcParser.parse(Array(latin1.utf8))
        }
        let utf8 = "\u{FEFF}<?xml version='1.0' encoding='UTF-8'?><POSLog xmlns=\"\(arts)\"></POSLog>"
        #expect(try utcParser.parse(Array(utf8.utf8)).transactions.isEmpty)
    }

    @Test("options: timeZone and maxDepth are read, unknown keys and bad values name the key path")
    func formatOptions() throws {
        let ok = try POSLogFormat(source: SourceConfig(name: "p", driver: "poslog", kind: .transactions,
                                                        options: ["timeZone": "Europe/Paris", "maxDepth": "20"], path: "sources[4]"))
        #expect(ok.parser.timeZone.identifier == "Europe/Paris")
        #expect(ok.parser.limits.maxDepth == 20)
        #expect(throws: ConfigError(.invalidValue, at: "sources[4].options.timeZone", "'Mars/Base' is not an IANA time zone (e.g. Europe/Paris, UTC)")) {
            try POSLogFormat(source: SourceConfig(name: "p", driver: "poslog", kind: .transactions, options: ["timeZone": "Mars/Base"], path: "sources[4]"))
        }
        let format = POSLogFormat(parser: utcParser)
        #expect(throws: ConfigError.self) {
            try POSSourceOptions(source: SourceConfig(name: "p", driver: "poslog", kind: .transactions, options: ["tokn": "x"], path: "sources[4]"),
                                 format: format)
        }
        let paris = POSLogParser(timeZone: TimeZone(identifier: "Europe/Paris")!)
        var doc = POSLogBuilder()
        doc.retail(sequence: "1", end: "2026-03-01T10:15:00", body: "", total: "0.00")
        #expect(try paris.parse(doc.bytes).transactions.first?.endedAt == Timestamp(rfc3339: "2026-03-01T09:15:00Z"))
    }
}
