import Crypto
import Foundation
import GatewayCore

/// How a store's receipts are laid out: one regular expression per kind of line, with named groups.
///
/// Rules are Swift `Regex`es (`try Regex(pattern)`): they come from the standard library, match
/// whole `Character`s (so accented descriptions work), and a bad pattern's error says what is
/// wrong (`expected ')'`). A `Regex` is not `Sendable`, so the config keeps the pattern text and each
/// tap compiles its own copy (``compile()``) on its thread.
///
/// A rule applies where its pattern is *found* in a line; the defaults anchor with `^…$`. Per line,
/// `ignoreLine` wins; then the header rules (`receiptLine`, `dateLine`, `workstationLine`,
/// `operatorLine`, `loyaltyLine`) take what they match and the line is no item; then `totalLine`,
/// `taxLine`, `tenderLine` and last `itemLine`. An empty pattern turns a rule off (not `itemLine` or `totalLine`).
public struct ReceiptLayout: Sendable, Equatable {
    /// Ids and conventions the receipt text itself does not carry.
    public struct Context: Sendable, Equatable {
        /// The store id the transactions carry.
        public var store: String
        /// The till, when no `workstationLine` names it.
        public var workstation: String
        /// ISO 4217 currency code.
        public var currency: String
        /// The zone printed times are in.
        public var timeZone: TimeZone
        /// `.` or `,`; the other one is taken as a thousands separator.
        public var decimalSeparator: Character

        /// Creates a context.
        public init(store: String, workstation: String, currency: String = "USD", timeZone: TimeZone = .current,
                    decimalSeparator: Character = ".") {
            self.store = store
            self.workstation = workstation
            self.currency = currency
            self.timeZone = timeZone
            self.decimalSeparator = decimalSeparator
        }
    }

    /// The named groups each rule must have (`dateLine` may add `hour`, `minute`, `second`; `itemLine`
    /// may add `description`, `quantity`, `unitPrice`, `gtin`, `itemID`; `tenderLine` may add `type`).
    public static let requiredGroups: [String: [String]] = [
        "itemLine": ["amount"], "totalLine": ["total"], "taxLine": ["tax"], "tenderLine": ["amount"], "loyaltyLine": ["loyalty"],
        "receiptLine": ["number"], "dateLine": ["year", "month", "day"], "workstationLine": ["workstation"],
        "operatorLine": ["operator"], "ignoreLine": [],
    ]

    /// The option keys that hold layout rules.
    public static var ruleKeys: Set<String> { Set(requiredGroups.keys) }

    private static let money = #"-?\d+(?:[.,]\d{3})*[.,]\d{2}-?"#

    /// A common layout: `Description  [qty x unit]  amount`, `TOTAL 12.50`, `VAT 19% 1.99`,
    /// `Receipt: 1042`, `2026-11-23 10:15`, `Loyalty: L-123`, `Till 3`, `Cashier: Ann`, `CASH 20.00`.
    public static let defaultRules: [String: String] = [
        "itemLine": #"^\s*(?:(?<gtin>\d{8,14})\s+)?(?<description>\S.*?)\s+(?:(?<quantity>\d+(?:[.,]\d+)?)\s*[xX@*]\s*(?<unitPrice>\d+(?:[.,]\d{3})*[.,]\d{2})\s+)?(?<amount>"# + money + #")\s*$"#,
        "totalLine": #"(?i)^\s*(?:grand\s+)?total\b[^0-9-]*(?<total>"# + money + #")\s*$"#,
        "taxLine": #"(?i)^\s*(?:tax|vat|mwst|gst|sales\s+tax)\b.*?\s(?<tax>"# + money + #")\s*$"#,
        "tenderLine": #"(?i)^\s*(?<type>cash|card|credit(?:\s*card)?|debit(?:\s*card)?|visa|mastercard|amex|maestro|gift\s*card|voucher|eft)\b[^0-9-]*(?<amount>"# + money + #")\s*$"#,
        "loyaltyLine": #"(?i)^\s*(?:loyalty|member(?:ship)?|club|rewards?)\b[^:#]*[:#]\s*(?<loyalty>[A-Za-z0-9][A-Za-z0-9-]*)\s*$"#,
        "receiptLine": #"(?i)^\s*(?:receipt|trans(?:action)?|ticket|invoice)\s*(?:no\.?|number|nr\.?)?\s*[:#]?\s*(?<number>[A-Za-z0-9/-]*\d[A-Za-z0-9/-]*)\s*$"#,
        "dateLine": #"(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?:[ T]+(?<hour>\d{1,2}):(?<minute>\d{2})(?::(?<second>\d{2}))?)?"#,
        "workstationLine": #"(?i)^\s*(?:till|register|lane|workstation)\s*(?:no\.?|#)?\s*[:#]?\s*(?<workstation>\d[A-Za-z0-9-]*)\s*$"#,
        "operatorLine": #"(?i)^\s*(?:cashier|operator|clerk|served\s+by)\b\s*[:#]?\s*(?<operator>\S(?:.*\S)?)\s*$"#,
        "ignoreLine": #"(?i)^\s*(?:sub-?\s*total|change|balance(?:\s+due)?|amount\s+due|rounding|items?\s*:|thank)"#,
    ]

    /// The pattern of each rule; empty for rules turned off.
    public var rules: [String: String]
    /// Ids and conventions.
    public var context: Context

    /// Checks and keeps `rules` (every key of ``ruleKeys`` should be present).
    /// - Throws: `ConfigError` at `keyPath(rule)` for a pattern that does not compile or lacks a required group.
    public init(rules: [String: String] = defaultRules, context: Context, keyPath: (String) -> String = { "options.\($0)" }) throws(ConfigError) {
        for key in Self.requiredGroups.keys.sorted() {
            let pattern = rules[key] ?? ""
            if pattern.isEmpty {
                guard key != "itemLine", key != "totalLine" else {
                    throw ConfigError(.invalidValue, at: keyPath(key), "must not be empty: receipts are read by it")
                }
                continue
            }
            do {
                _ = try Regex(pattern)
            } catch {
                throw ConfigError(.invalidValue, at: keyPath(key), "'\(pattern)' is not a regular expression: \(error)")
            }
            for group in Self.requiredGroups[key]! where !["(?<\(group)>", "(?P<\(group)>", "(?'\(group)'"].contains(where: pattern.contains) {
                throw ConfigError(.invalidValue, at: keyPath(key), "'\(pattern)' has no named group (?<\(group)>…)")
            }
        }
        var kept: [String: String] = [:]
        for key in Self.requiredGroups.keys { kept[key] = rules[key] ?? "" }
        self.rules = kept
        self.context = context
    }

    /// The rules compiled, for one thread's use.
    public func compile() -> Compiled { Compiled(layout: self) }

    /// Compiled rules: turn receipts into transactions. Not `Sendable` (Swift `Regex` is not): one per thread.
    public struct Compiled {
        private let context: Context
        private let rules: [String: Regex<AnyRegexOutput>]
        private let calendar: Calendar

        init(layout: ReceiptLayout) {
            context = layout.context
            var rules: [String: Regex<AnyRegexOutput>] = [:]
            for (key, pattern) in layout.rules where !pattern.isEmpty {
                // Checked in `ReceiptLayout.init`.
                rules[key] = try? Regex(pattern)
            }
            self.rules = rules
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = layout.context.timeZone
            self.calendar = calendar
        }

        private func match(_ key: String, _ line: String) -> Regex<AnyRegexOutput>.Match? {
            guard let rule = rules[key] else { return nil }
            return try? rule.firstMatch(in: line)
        }

        /// Builds the sale a receipt records.
        ///
        /// - Parameter now: the time used when the receipt prints no date (and for its business day).
        /// - Throws: `ESCPOSError.notASale` when no line matches `totalLine`; `.badFigure` when the total does not read as money.
        public func transaction(from receipt: ESCPOSReceipt, now: Timestamp = .now()) throws(ESCPOSError) -> PosTransaction {
            var lines: [PosTransaction.Line] = []
            var tenders: [PosTransaction.Tender] = []
            var total: Decimal?
            var tax: Decimal = 0
            var number: String?, loyalty: String?, workstation: String?, operatorID: String?
            var date: (day: String, time: Timestamp?)?
            var flags: [String] = []
            func flag(_ name: String) { if !flags.contains(name) { flags.append(name) } }

            for (index, text) in receipt.lines.enumerated() {
                if match("ignoreLine", text) != nil { continue }
                var header = false
                if let m = match("receiptLine", text) {
                    header = true
                    if number == nil { number = Self.group(m, "number").map(String.init) }
                }
                if let m = match("dateLine", text) {
                    header = true
                    if date == nil {
                        date = readDate(m)
                        if date == nil { flag("unreadable-date") }
                    }
                }
                if let m = match("workstationLine", text) {
                    header = true
                    if workstation == nil { workstation = Self.group(m, "workstation").map(String.init) }
                }
                if let m = match("operatorLine", text) {
                    header = true
                    if operatorID == nil { operatorID = Self.group(m, "operator").map(String.init) }
                }
                if let m = match("loyaltyLine", text) {
                    header = true
                    if loyalty == nil { loyalty = Self.group(m, "loyalty").map(String.init) }
                }
                if header { continue }
                if let m = match("totalLine", text) {
                    guard total == nil else { continue }
                    let figure = Self.group(m, "total") ?? ""
                    guard let value = decimal(figure) else {
                        throw ESCPOSError(.badFigure, "receipt line \(index + 1) '\(text)': total '\(figure)' is not an amount (totalLine)")
                    }
                    total = value
                } else if let m = match("taxLine", text) {
                    if let value = decimal(Self.group(m, "tax")) { tax += value } else { flag("unreadable-line") }
                } else if let m = match("tenderLine", text) {
                    if let value = decimal(Self.group(m, "amount")) {
                        tenders.append(.init(type: Self.group(m, "type").map { $0.lowercased() } ?? "unknown", amount: value))
                    } else {
                        flag("unreadable-line")
                    }
                } else if let m = match("itemLine", text) {
                    if let line = item(m, number: lines.count + 1) { lines.append(line) } else { flag("unreadable-line") }
                }
            }
            guard let total else {
                throw ESCPOSError(.notASale, "receipt of \(receipt.lines.count) lines has no line matching totalLine: not a sale"
                    + (receipt.lines.first.map { " (first line '\($0)')" } ?? ""))
            }
            let sum = lines.filter { $0.kind != .voided }.reduce(Decimal(0)) { $0 + $1.amount - $1.discount }
            if sum != total { flag("totals-mismatch") }
            let endedAt = date?.time ?? now
            let businessDay = date?.day ?? day(of: now)
            return PosTransaction(
                storeID: context.store, workstationID: workstation ?? context.workstation,
                sequenceNumber: number ?? Self.textKey(receipt), businessDay: businessDay, endedAt: endedAt, operatorID: operatorID,
                currency: context.currency, lines: lines, tenders: tenders, total: total, tax: tax, loyaltyID: loyalty,
                confidence: .low, flags: flags)
        }

        /// The key of a receipt that prints no number: the same text printed again is the same sale.
        static func textKey(_ receipt: ESCPOSReceipt) -> String {
            let digest = SHA256.hash(data: Array(receipt.text.utf8))
            return "h" + digest.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        }

        private static func group(_ match: Regex<AnyRegexOutput>.Match, _ name: String) -> Substring? {
            guard let element = match.output[name], let text = element.substring, !text.isEmpty else { return nil }
            return text
        }

        private func item(_ m: Regex<AnyRegexOutput>.Match, number: Int) -> PosTransaction.Line? {
            guard let amount = decimal(Self.group(m, "amount")) else { return nil }
            var quantity: Decimal = 1
            if let text = Self.group(m, "quantity") {
                guard let value = decimal(text), value != 0 else { return nil }
                quantity = value
            }
            var unitPrice = amount / quantity
            if let text = Self.group(m, "unitPrice") {
                guard let value = decimal(text) else { return nil }
                unitPrice = value
            }
            var gtin: String?
            var itemID = Self.group(m, "itemID").map(String.init)
            if let code = Self.group(m, "gtin") {
                if [8, 12, 13, 14].contains(code.count), code.allSatisfy(\.isASCIIDigitCharacter) {
                    gtin = String(repeating: "0", count: 14 - code.count) + code
                } else if itemID == nil {
                    itemID = String(code)
                }
            }
            let description = Self.group(m, "description").map { $0.trimmingCharacters(in: .whitespaces) }
            return PosTransaction.Line(number: number, kind: amount < 0 ? .return : .sale, gtin: gtin, itemID: itemID,
                                       description: description, quantity: quantity, unitPrice: unitPrice, amount: amount)
        }

        /// Reads printed money: `1,234.56`, `1.234,56` (with `decimalSeparator: ","`), `2.50-` and `(2.50)` for negatives.
        func decimal(_ text: Substring?) -> Decimal? {
            guard var text = text.map({ String($0.filter { !$0.isWhitespace }) }), !text.isEmpty else { return nil }
            var negative = false
            if text.hasPrefix("("), text.hasSuffix(")") {
                negative = true
                text = String(text.dropFirst().dropLast())
            }
            if text.hasPrefix("-") {
                negative.toggle()
                text.removeFirst()
            } else if text.hasSuffix("-") {
                negative.toggle()
                text.removeLast()
            }
            let thousands: Character = context.decimalSeparator == "." ? "," : "."
            text = String(text.filter { $0 != thousands }.map { $0 == context.decimalSeparator ? "." : $0 })
            guard !text.isEmpty, text.allSatisfy({ $0 == "." || $0.isASCIIDigitCharacter }), text.filter({ $0 == "." }).count <= 1,
                  text.first != ".", text.last != ".",
                  let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
            return negative ? -value : value
        }

        private func readDate(_ m: Regex<AnyRegexOutput>.Match) -> (day: String, time: Timestamp?)? {
            func number(_ name: String) -> Int? { Self.group(m, name).flatMap { Int($0) } }
            guard var year = number("year"), let month = number("month"), let day = number("day"),
                  (1...12).contains(month), (1...31).contains(day) else { return nil }
            if year < 100 { year += 2_000 }
            var components = DateComponents(year: year, month: month, day: day)
            guard let midnight = calendar.date(from: components), calendar.component(.day, from: midnight) == day else { return nil }
            let dayText = "\(year)-\(String(month).leftPadded(to: 2, with: "0"))-\(String(day).leftPadded(to: 2, with: "0"))"
            guard let hour = number("hour"), let minute = number("minute") else { return (dayText, nil) }
            guard (0...23).contains(hour), (0...59).contains(minute) else { return nil }
            let second = number("second") ?? 0
            guard (0...59).contains(second) else { return nil }
            components.hour = hour
            components.minute = minute
            components.second = second
            guard let date = calendar.date(from: components) else { return nil }
            return (dayText, Timestamp(date))
        }

        private func day(of time: Timestamp) -> String {
            let parts = calendar.dateComponents([.year, .month, .day], from: time.date)
            return "\(parts.year!)-\(String(parts.month!).leftPadded(to: 2, with: "0"))-\(String(parts.day!).leftPadded(to: 2, with: "0"))"
        }
    }
}

extension Character {
    /// 0–9 only: receipts print ASCII digits, and `isNumber` would let other scripts' digits through.
    var isASCIIDigitCharacter: Bool { isASCII && isWholeNumber }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
