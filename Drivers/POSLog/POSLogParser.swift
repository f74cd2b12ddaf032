import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GatewayCore
import POSIngest

/// A streaming parser of ARTS POSLog documents (NRF IXRetail namespace): the 2.x dialect as NCR ACS
/// exports it (with `acs:` extensions) and v6 (`BusinessUnit/UnitID`).
///
/// Elements are matched by namespace URI and local name, never by prefix. The parser copies text
/// out of the document only for the elements it maps (see ``POSLogParser/capturedPaths``); card
/// data such as `CreditDebit/PrimaryAccountNumber`, track data, expiry dates or CVVs is never
/// collected, so it cannot reach a transaction, a log line or the bus.
public struct POSLogParser: Sendable {
    /// Bounds on what one document may make the parser do.
    public struct Limits: Sendable, Equatable {
        /// The largest document accepted, in bytes.
        public var maxDocumentBytes: Int
        /// The deepest element nesting accepted; real POSLog stays under 12.
        public var maxDepth: Int

        /// Creates limits; the defaults are 16 MiB and 64 levels.
        public init(maxDocumentBytes: Int = 16 << 20, maxDepth: Int = 64) {
            self.maxDocumentBytes = maxDocumentBytes
            self.maxDepth = maxDepth
        }
    }

    /// The ARTS IXRetail namespace.
    public static let artsNamespace = "http://www.nrf-arts.org/IXRetail/namespace/"
    /// The start of NCR ACS extension namespaces (`…/poslog/2.1`); any version is accepted.
    public static let acsNamespacePrefix = "http://www.ncr.com/rsd/acs/tlog/markup/poslog/"

    /// The limits applied to every document.
    public var limits: Limits
    /// The zone of date-times written without an offset (POSLog usually writes store-local time).
    public var timeZone: TimeZone

    /// Creates a parser.
    public init(limits: Limits = Limits(), timeZone: TimeZone = .current) {
        self.limits = limits
        self.timeZone = timeZone
    }

    /// Parses one document.
    ///
    /// - Returns: the retail transactions, the count of other transactions (control, tender control,
    ///   …) and the transactions refused one by one with their reasons.
    /// - Throws: ``POSIngestError`` `.malformed` (with line and column) when the XML is not well-formed
    ///   or not a POSLog, `.tooLarge` when a limit is exceeded; nothing of the document is kept then.
    /// The offset of the first byte that does not belong to valid UTF-8, or `nil`.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// The `encoding` of the XML declaration, when the document starts with one that names it.
    static func declaredEncoding(_ bytes: [UInt8]) -> String? {
        let head = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        guard head.starts(with: Array("<?xml".utf8)), let end = find(Array("?>".utf8), in: Array(head.prefix(256))) else { return nil }
        let declaration = String(decoding: head.prefix(end), as: UTF8.self)
        guard let key = declaration.range(of: "encoding") else { return nil }
        let rest = declaration[key.upperBound...].drop { $0 == " " || $0 == "=" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        return String(rest.dropFirst().prefix { $0 != quote })
    }

    public func parse(_ bytes: [UInt8]) throws(POSIngestError) -> POSDocument {
        guard bytes.count <= limits.maxDocumentBytes else {
            throw POSIngestError(.tooLarge, "POSLog document of \(bytes.count) bytes exceeds the limit of \(limits.maxDocumentBytes) bytes")
        }
        // Entity expansion is how "billion laughs" documents blow up, and POSLog never needs a DTD:
        // refuse one outright rather than trust the XML library's expansion limits.
        if let doctype = Self.find(Array("<!DOCTYPE".utf8), in: bytes) {
            let line = bytes[..<doctype].reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            throw POSIngestError(.malformed, "DTDs (<!DOCTYPE) are not accepted in POSLog (line \(line))")
        }
        // Foundation's XMLParser traps on an element name that is not UTF-8 (`<\u{FF}`): a document
        // must be proven UTF-8 before it reaches it.
        if let offset = Self.firstInvalidUTF8(in: bytes) {
            let line = bytes[..<offset].reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            let column = offset - (bytes[..<offset].lastIndex(of: 10).map { $0 + 1 } ?? 0) + 1
            throw POSIngestError(.malformed, "the document is not valid UTF-8 at line \(line), column \(column) (byte 0x\(String(bytes[offset], radix: 16, uppercase: true))); POSLog is read as UTF-8")
        }
        if let declared = Self.declaredEncoding(bytes), !["utf-8", "utf8"].contains(declared.lowercased()) {
            throw POSIngestError(.malformed, "the document declares encoding '\(declared)'; POSLog is read as UTF-8 only (export it as UTF-8)")
        }
        let reader = POSLogReader(limits: limits, timeZone: timeZone)
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        reader.parser = parser
        let ok = parser.parse()
        if let failure = reader.failure { throw failure }
        guard ok else {
            let reason = parser.parserError.map { ($0 as NSError).localizedDescription } ?? "not well-formed"
            throw POSIngestError(.malformed, "malformed XML at line \(parser.lineNumber), column \(parser.columnNumber): \(reason)")
        }
        guard reader.sawRoot else {
            throw POSIngestError(.malformed, "not a POSLog document: the root element is not POSLog in the \(Self.artsNamespace) namespace")
        }
        return POSDocument(transactions: reader.transactions, ignored: reader.ignored, rejected: reader.rejected)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = 0
        while let start = haystack[index...].firstIndex(of: needle[0]), start + needle.count <= haystack.count {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
            index = start + 1
        }
        return nil
    }

    /// The element paths, relative to `Transaction`, whose text the parser reads. ARTS elements are
    /// written bare, NCR ACS extension elements with `acs:`. Nothing else is ever copied.
    public static let capturedPaths: Set<String> = {
        var paths: Set<String> = [
            "RetailStoreID", "BusinessUnit/UnitID", "WorkstationID", "SequenceNumber", "BusinessDayDate", "BeginDateTime",
            "EndDateTime", "OperatorID", "CurrencyCode",
            "RetailTransaction/Total",
            "RetailTransaction/Customer/CustomerID",
            "RetailTransaction/LoyaltyAccount/CustomerID", "RetailTransaction/LoyaltyAccount/LoyaltyAccountID",
        ]
        let line = "RetailTransaction/LineItem/"
        paths.formUnion([
            line + "SequenceNumber",
            line + "Tender/Amount", line + "Tender/TenderChange/Amount",
            line + "Tax/Amount",
            line + "acs:LoyaltyMembership/acs:LoyaltyID",
            line + "LoyaltyAccount/CustomerID", line + "LoyaltyAccount/LoyaltyAccountID",
            line + "Customer/CustomerID",
            line + "LoyaltyReward/acs:ExtendedRewardAmount", line + "LoyaltyReward/acs:RewardCategory",
        ])
        for item in ["Sale", "Return"] {
            for field in ["POSIdentity/POSItemID", "ItemID", "Description", "RegularSalesUnitPrice", "ActualSalesUnitPrice",
                          "ExtendedAmount", "DiscountAmount", "Quantity", "RetailPriceModifier/Amount"] {
                paths.insert(line + item + "/" + field)
            }
        }
        return paths
    }()
}

/// The SAX delegate: a stack of element names, one transaction and one line under construction.
final class POSLogReader: NSObject, XMLParserDelegate {
    let limits: POSLogParser.Limits
    let timeZone: TimeZone
    weak var parser: XMLParser?

    var transactions: [PosTransaction] = []
    var ignored = 0
    var rejected: [String] = []
    var failure: POSIngestError?
    var sawRoot = false

    /// Element names from the root; ARTS bare, ACS with `acs:`, anything else with `?`.
    private var stack: [String] = []
    /// Path below the current `Transaction` (empty outside one).
    private var relative: [String] = []
    private var transaction: TransactionDraft?
    private var line: LineDraft?
    private var text = ""
    private var capturing = false

    init(limits: POSLogParser.Limits, timeZone: TimeZone) {
        self.limits = limits
        self.timeZone = timeZone
    }

    private var location: String { "line \(parser?.lineNumber ?? 0), column \(parser?.columnNumber ?? 0)" }

    private func fail(_ error: POSIngestError) {
        guard failure == nil else { return }
        failure = error
        parser?.abortParsing()
    }

    private func name(_ local: String, _ namespace: String?) -> String {
        guard let namespace else { return "?" + local }
        if namespace == POSLogParser.artsNamespace { return local }
        if namespace.hasPrefix(POSLogParser.acsNamespacePrefix) { return "acs:" + local }
        return "?" + local
    }

    private static func attribute(_ attributes: [String: String], _ local: String) -> String? {
        if let value = attributes[local] { return value }
        // Prefixed attributes may be reported by their qualified name.
        return attributes.first { $0.key.hasSuffix(":" + local) }?.value
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                attributes attributeDict: [String: String] = [:]) {
        guard failure == nil else { return }
        let element = name(elementName, namespaceURI)
        stack.append(element)
        guard stack.count <= limits.maxDepth else {
            return fail(POSIngestError(.tooLarge, "POSLog element nesting deeper than \(limits.maxDepth) levels at \(location)"))
        }
        if stack.count == 1 {
            guard element == "POSLog" else {
                return fail(POSIngestError(.malformed, "not a POSLog document: the root element at \(location) is '\(qName ?? elementName)' "
                    + "in namespace '\(namespaceURI ?? "")', expected POSLog in \(POSLogParser.artsNamespace)"))
            }
            sawRoot = true
            return
        }
        if stack.count == 2 {
            if element == "Transaction" { transaction = TransactionDraft(line: parser.lineNumber) }
            return
        }
        guard var draft = transaction else { return }
        relative.append(element)
        switch relative.count {
        case 1:
            if element.hasSuffix("Transaction") {
                draft.body = element == "RetailTransaction" ? .retail : .other
            }
        case 2 where relative[0] == "RetailTransaction" && element == "LineItem":
            line = LineDraft(voided: Self.attribute(attributeDict, "VoidFlag") == "true")
        case 2 where relative[0] == "RetailTransaction" && element == "Total":
            draft.totalType = Self.attribute(attributeDict, "TotalType")
        case 3 where relative[1] == "LineItem":
            switch element {
            case "Sale", "Return":
                line?.item = element == "Sale" ? .sale : .return
            case "Tender":
                line?.tender = TenderDraft(type: Self.attribute(attributeDict, "TenderType") ?? "Unknown")
            case "LoyaltyReward":
                line?.reward = RewardDraft(summarized: Self.attribute(attributeDict, "summarizedActivity") == "true")
            default:
                break
            }
        case 4 where relative[1] == "LineItem" && element == "POSIdentity":
            line?.identityType = Self.attribute(attributeDict, "POSIDType")
        default:
            break
        }
        transaction = draft
        capturing = POSLogParser.capturedPaths.contains(relative.joined(separator: "/"))
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        // Only mapped elements are read: anything else (card numbers included) is never copied.
        if capturing { text += string }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        if capturing { text += String(decoding: CDATABlock, as: UTF8.self) }
    }

    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        // Entity expansion is how "billion laughs" documents blow up; POSLog never needs it.
        fail(POSIngestError(.malformed, "entity declarations are not accepted in POSLog (entity '\(name)' at \(location))"))
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard failure == nil else { return }
        defer {
            stack.removeLast()
            capturing = false
        }
        if stack.count == 2 {
            if stack[1] == "Transaction", let draft = transaction { finish(draft) }
            transaction = nil
            relative.removeAll()
            return
        }
        guard transaction != nil, !relative.isEmpty else { return }
        if capturing { assign(text.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if relative.count == 2, relative[1] == "LineItem", let done = line {
            transaction?.lines.append(done)
            line = nil
        }
        relative.removeLast()
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        guard failure == nil else { return }
        failure = POSIngestError(.malformed, "malformed XML at line \(parser.lineNumber), column \(parser.columnNumber): "
            + (parseError as NSError).localizedDescription)
    }

    /// Stores the text of a mapped element where it belongs.
    private func assign(_ value: String) {
        let path = relative.joined(separator: "/")
        let where_ = "line \(parser?.lineNumber ?? 0)"
        switch path {
        case "RetailStoreID", "BusinessUnit/UnitID": transaction?.store = value
        case "WorkstationID": transaction?.workstation = value
        case "SequenceNumber": transaction?.sequence = value
        case "BusinessDayDate": transaction?.businessDay = value
        case "BeginDateTime": transaction?.begin = value
        case "EndDateTime": transaction?.end = value
        case "OperatorID": transaction?.operatorID = value
        case "CurrencyCode": transaction?.currency = value
        case "RetailTransaction/Total":
            guard let type = transaction?.totalType else { return }
            let amount = transaction?.money(value, "Total \(type)", where_)
            if type == "TransactionGrandAmount" { transaction?.grand = amount }
            if type == "TransactionTaxAmount" { transaction?.taxTotal = amount }
        case "RetailTransaction/Customer/CustomerID", "RetailTransaction/LoyaltyAccount/CustomerID",
             "RetailTransaction/LoyaltyAccount/LoyaltyAccountID":
            transaction?.setLoyalty(value)
        default:
            assignLine(path: path, value: value, where_: where_)
        }
    }

    private func assignLine(path: String, value: String, where_: String) {
        let prefix = "RetailTransaction/LineItem/"
        guard path.hasPrefix(prefix), line != nil, transaction != nil else { return }
        let field = path.dropFirst(prefix.count)
        switch field {
        case "SequenceNumber": line?.number = Int(value)
        case "Tender/Amount": line?.tender?.amount = transaction?.money(value, "Tender Amount", where_)
        case "Tender/TenderChange/Amount": line?.tender?.change = transaction?.money(value, "TenderChange Amount", where_)
        case "Tax/Amount": line?.tax = transaction?.money(value, "Tax Amount", where_)
        case "acs:LoyaltyMembership/acs:LoyaltyID", "LoyaltyAccount/CustomerID", "LoyaltyAccount/LoyaltyAccountID", "Customer/CustomerID":
            transaction?.setLoyalty(value)
        case "LoyaltyReward/acs:ExtendedRewardAmount": line?.reward?.amount = transaction?.money(value, "ExtendedRewardAmount", where_)
        case "LoyaltyReward/acs:RewardCategory": line?.reward?.category = value
        default:
            // Sale/… and Return/… fields.
            let parts = field.split(separator: "/", maxSplits: 1)
            guard parts.count == 2 else { return }
            let item = String(parts[1])
            switch item {
            case "POSIdentity/POSItemID":
                if line?.gtin == nil, let type = line?.identityType, GTIN.isGS1Type(type) { line?.gtin = GTIN.normalized(value) }
                if line?.identityID == nil { line?.identityID = value }
            case "ItemID": line?.itemID = value
            case "Description": line?.description = value
            case "RegularSalesUnitPrice": line?.regularPrice = transaction?.money(value, "RegularSalesUnitPrice", where_)
            case "ActualSalesUnitPrice": line?.actualPrice = transaction?.money(value, "ActualSalesUnitPrice", where_)
            case "ExtendedAmount": line?.amount = transaction?.money(value, "ExtendedAmount", where_)
            case "DiscountAmount": line?.discount += transaction?.money(value, "DiscountAmount", where_) ?? 0
            case "RetailPriceModifier/Amount": line?.discount += transaction?.money(value, "RetailPriceModifier Amount", where_) ?? 0
            case "Quantity": line?.quantity = transaction?.money(value, "Quantity", where_)
            default: break
            }
        }
    }

    private func finish(_ draft: TransactionDraft) {
        switch draft.body {
        case .none, .other:
            ignored += 1
        case .retail:
            switch draft.build(timeZone: timeZone) {
            case .success(let transaction): transactions.append(transaction)
            case .failure(let reason): rejected.append(reason.message)
            }
        }
    }
}

/// A transaction being read.
struct TransactionDraft {
    enum Body { case retail, other }

    let line: Int
    var body: Body?
    var store: String?
    var workstation: String?
    var sequence: String?
    var businessDay: String?
    var begin: String?
    var end: String?
    var operatorID: String?
    var currency: String?
    var totalType: String?
    var grand: Decimal?
    var taxTotal: Decimal?
    var loyalty: String?
    var lines: [LineDraft] = []
    /// The first value that was not a number, which refuses the transaction.
    var problem: String?

    init(line: Int) { self.line = line }

    mutating func setLoyalty(_ value: String) {
        if loyalty == nil, !value.isEmpty { loyalty = value }
    }

    /// Reads an amount or quantity exactly (never through `Double`); records the first bad value.
    mutating func money(_ text: String, _ what: String, _ where_: String) -> Decimal? {
        if let value = POSLogNumber.decimal(text) { return value }
        if problem == nil { problem = "\(what) '\(text.prefix(40))' is not a number (\(where_))" }
        return nil
    }

    func build(timeZone: TimeZone) -> Result<PosTransaction, RejectionReason> {
        let label = "transaction at line \(line)" + (sequence.map { " (SequenceNumber \($0))" } ?? "")
        func refuse(_ reason: String) -> Result<PosTransaction, RejectionReason> { .failure(RejectionReason("\(label): \(reason)")) }
        let required: [(String, String?)] = [
            ("RetailStoreID (v6: BusinessUnit/UnitID)", store), ("WorkstationID", workstation), ("SequenceNumber", sequence),
            ("BusinessDayDate", businessDay), ("EndDateTime", end),
        ]
        for (name, value) in required where value?.isEmpty ?? true { return refuse("missing \(name)") }
        if let problem { return refuse(problem) }
        guard let businessDay, POSLogDate.isDay(businessDay) else { return refuse("BusinessDayDate '\(businessDay ?? "")' is not YYYY-MM-DD") }
        guard let end, let endedAt = POSLogDate.timestamp(end, timeZone: timeZone) else { return refuse("EndDateTime '\(end ?? "")' is not a date-time") }
        var startedAt: Timestamp?
        if let begin {
            guard let value = POSLogDate.timestamp(begin, timeZone: timeZone) else { return refuse("BeginDateTime '\(begin)' is not a date-time") }
            startedAt = value
        }

        var sold: [PosTransaction.Line] = []
        var tenders: [PosTransaction.Tender] = []
        var lineTax: Decimal = 0
        var rewards: Decimal = 0
        for (position, draft) in lines.enumerated() {
            if let item = draft.item {
                let quantity = draft.quantity ?? 1
                let unitPrice = draft.actualPrice ?? draft.regularPrice ?? 0
                let amount = draft.amount ?? unitPrice * quantity
                var kind: PosTransaction.Line.Kind = item == .sale ? .sale : .return
                if draft.voided {
                    kind = .voided
                    // NCR writes a void as a second, negative line: it cancels the earlier line it mirrors.
                    if amount < 0 || quantity < 0,
                       let index = sold.lastIndex(where: { $0.kind != .voided && $0.amount == -amount && ($0.itemID ?? $0.gtin) == (draft.itemID ?? draft.gtin) }) {
                        sold[index].kind = .voided
                    }
                }
                sold.append(PosTransaction.Line(number: draft.number ?? position + 1, kind: kind, gtin: draft.gtin,
                                                itemID: draft.itemID ?? (draft.gtin == nil ? draft.identityID : nil),
                                                description: draft.description.map { $0.trimmingCharacters(in: .whitespaces) },
                                                quantity: quantity, unitPrice: unitPrice, amount: amount, discount: draft.discount))
            }
            guard !draft.voided else { continue }
            if let tender = draft.tender, var amount = tender.amount {
                // v6 puts the change inside the tender; NCR writes change as its own negative tender line.
                if let change = tender.change, change != amount { amount -= abs(change) }
                tenders.append(PosTransaction.Tender(type: tender.type, amount: amount))
            }
            if let tax = draft.tax { lineTax += tax }
            // NCR ACS reports each monetary loyalty discount once in summary form (and again as detail).
            if let reward = draft.reward, reward.summarized, reward.category == "Monetary", let amount = reward.amount { rewards += amount }
        }

        let tax = taxTotal ?? lineTax
        var net: Decimal = rewards
        for line in sold {
            switch line.kind {
            case .sale: net += line.amount - line.discount
            case .return: net -= line.amount - line.discount
            case .voided: break
            }
        }
        var flags: [String] = []
        let total: Decimal
        if let grand {
            total = grand
            // Tax may be on top of the lines (US) or inside them (VAT): either adds up.
            let linesAgree = net + tax == grand || net == grand
            let tendersAgree = tenders.isEmpty || tenders.reduce(Decimal(0)) { $0 + $1.amount } == grand
            if !linesAgree || !tendersAgree { flags.append("totals-mismatch") }
        } else {
            total = net + tax
            flags.append("total-missing")
        }
        return .success(PosTransaction(storeID: store!, workstationID: workstation!, sequenceNumber: sequence!, businessDay: businessDay,
                                       endedAt: endedAt, operatorID: operatorID.flatMap { $0.isEmpty ? nil : $0 }, currency: currency ?? "",
                                       lines: sold, tenders: tenders, total: total, tax: tax, loyaltyID: loyalty, startedAt: startedAt,
                                       confidence: .exact, flags: flags))
    }
}

/// Why one transaction of a document was refused.
struct RejectionReason: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A receipt line being read.
struct LineDraft {
    enum Item { case sale, `return` }

    var voided: Bool
    var number: Int?
    var item: Item?
    var identityType: String?
    var identityID: String?
    var gtin: String?
    var itemID: String?
    var description: String?
    var regularPrice: Decimal?
    var actualPrice: Decimal?
    var amount: Decimal?
    var discount: Decimal = 0
    var quantity: Decimal?
    var tender: TenderDraft?
    var tax: Decimal?
    var reward: RewardDraft?

    init(voided: Bool) { self.voided = voided }
}

/// A tender line being read.
struct TenderDraft {
    var type: String
    var amount: Decimal?
    var change: Decimal?
}

/// An NCR ACS loyalty reward being read.
struct RewardDraft {
    var summarized: Bool
    var category: String?
    var amount: Decimal?
}

/// Exact decimal numbers from POSLog text.
enum POSLogNumber {
    /// `-12.34`, `0.42`, `+3`, `.5`; `nil` for anything else (exponents, thousands separators, words).
    static func decimal(_ text: String) -> Decimal? {
        var bytes = Substring(text).utf8[...]
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        var digits = 0
        var dots = 0
        for byte in bytes {
            if (48...57).contains(byte) { digits += 1 } else if byte == UInt8(ascii: ".") { dots += 1 } else { return nil }
        }
        guard digits > 0, dots <= 1, digits <= 30 else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }
}

/// POSLog dates: `xs:date` and `xs:dateTime`, with or without an offset.
enum POSLogDate {
    /// Whether `text` is `YYYY-MM-DD`.
    static func isDay(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        return bytes.enumerated().allSatisfy { $0.offset == 4 || $0.offset == 7 || (48...57).contains($0.element) }
    }

    /// `2017-10-01T02:01:31`, with optional fraction and optional `Z`/`±HH:MM`; a time without an
    /// offset is read in `timeZone`.
    static func timestamp(_ text: String, timeZone: TimeZone) -> Timestamp? {
        if text.hasSuffix("Z") || text.dropFirst(19).contains("+") || text.dropFirst(19).contains("-") {
            return Timestamp(rfc3339: text)
        }
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, isDay(String(decoding: bytes[0..<10], as: UTF8.self)), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: bytes[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var micros = 0
        if bytes.count > 19 {
            guard bytes[19] == UInt8(ascii: "."), bytes.count > 20, bytes[20...].allSatisfy({ (48...57).contains($0) }) else { return nil }
            let fraction = String(decoding: bytes[20...].prefix(6), as: UTF8.self)
            micros = (Int(fraction) ?? 0) * Int(pow(10, Double(6 - fraction.count)))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return Timestamp(microseconds: UInt64(max(0, Int64(date.timeIntervalSince1970) * 1_000_000 + Int64(micros))))
    }
}
