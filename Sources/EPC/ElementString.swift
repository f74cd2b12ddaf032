/// GS1 keys and element strings (TDS §7): the barcode-side view of the GS1-keyed EPC schemes.
extension EPCIdentity {
    /// The GTIN-14, for SGTIN and ITIP: indicator digit, company prefix, rest of the item reference, check digit.
    public var gtin14: String? {
        guard scheme == .sgtin || scheme == .itip else { return nil }
        let itemReference = components[1]
        return GS1.withCheckDigit(String(itemReference.prefix(1)) + components[0] + itemReference.dropFirst())
    }

    /// The GS1 key: GTIN-14 (SGTIN, ITIP), SSCC-18, GLN-13 (SGLN), GRAI, GIAI, GDTI, GSRN-18, GSRNP-18,
    /// GCN (SGCN) or CPI; `nil` for GID, USDoD and ADI, which are not GS1 keys. Keys that carry a
    /// serial in their AI (GRAI, GDTI, GCN) include it, as their element string does.
    public var gs1Key: String? {
        let c = components
        switch scheme {
        case .sgtin, .itip: return gtin14
        case .sscc: return GS1.withCheckDigit(String(c[1].prefix(1)) + c[0] + c[1].dropFirst())
        case .sgln: return GS1.withCheckDigit(c[0] + c[1])
        case .grai: return "0" + GS1.withCheckDigit(c[0] + c[1]) + c[2]
        case .giai: return c[0] + c[1]
        case .gdti, .sgcn: return GS1.withCheckDigit(c[0] + c[1]) + c[2]
        case .gsrn, .gsrnp: return GS1.withCheckDigit(c[0] + c[1])
        case .cpi: return c[0] + c[1]
        case .gid, .usdod, .adi: return nil
        }
    }

    /// The GS1 element string in human-readable form, `(01)80614141123458(21)6789`; `nil` for GID, USDoD and ADI.
    public var elementString: String? {
        guard let key = gs1Key else { return nil }
        let c = components
        switch scheme {
        case .sgtin: return "(01)\(key)(21)\(c[2])"
        case .sscc: return "(00)\(key)"
        // Extension 0 is how an SGLN without extension is coded: AI 254 is then left out.
        case .sgln: return "(414)\(key)" + (c[2] == "0" ? "" : "(254)\(c[2])")
        case .grai: return "(8003)\(key)"
        case .giai: return "(8004)\(key)"
        case .gdti: return "(253)\(key)"
        case .gsrn: return "(8018)\(key)"
        case .gsrnp: return "(8017)\(key)"
        case .sgcn: return "(255)\(key)"
        case .cpi: return "(8010)\(key)(8011)\(c[2])"
        case .itip: return "(8006)\(key)\(c[2])\(c[3])(21)\(c[4])"
        case .gid, .usdod, .adi: return nil
        }
    }

    /// Parses a GS1 element string such as `(01)80614141123458(21)6789`. The company prefix length
    /// cannot be read from the key itself (it comes from GS1's allocation), so the caller supplies it.
    /// Check digits are verified.
    public init(elementString text: String, companyPrefixLength length: Int) throws(EPCError) {
        guard (6...12).contains(length) else {
            throw EPCError(.invalidPartition, "a company prefix length of \(length) has no partition (6–12)")
        }
        guard text.hasPrefix("("), let close = text.firstIndex(of: ")") else {
            throw EPCError(.malformed, "'\(text)' is not a GS1 element string: it starts with an AI in parentheses, e.g. (01)")
        }
        let ai = String(text[text.index(after: text.startIndex)..<close])
        let value = Array(text[text.index(after: close)...])
        var parser = ElementParser(text: text, value: value)
        let components: [String]
        let scheme: EPCScheme
        switch ai {
        case "01", "8006":
            let gtin = try parser.digits(14, "GTIN")
            try parser.check(gtin, "GTIN")
            let extra = try ai == "8006" ? parser.digits(4, "piece and total") : ""
            try parser.expect("(21)")
            let serial = parser.rest()
            let prefix = try parser.slice(gtin, 1, 1 + length)
            let item = try String(gtin.first!) + parser.slice(gtin, 1 + length, 13)
            scheme = ai == "01" ? .sgtin : .itip
            components = ai == "01" ? [prefix, item, serial] : [prefix, item, String(extra.prefix(2)), String(extra.suffix(2)), serial]
        case "00":
            let sscc = try parser.digits(18, "SSCC")
            try parser.check(sscc, "SSCC")
            try parser.end()
            scheme = .sscc
            components = try [parser.slice(sscc, 1, 1 + length), String(sscc.first!) + parser.slice(sscc, 1 + length, 17)]
        case "414":
            let gln = try parser.digits(13, "GLN")
            try parser.check(gln, "GLN")
            var extensionValue = "0"
            if !parser.atEnd {
                try parser.expect("(254)")
                extensionValue = parser.rest()
            }
            scheme = .sgln
            components = [try parser.slice(gln, 0, length), try parser.slice(gln, length, 12), extensionValue]
        case "8003":
            let grai = try parser.digits(14, "GRAI")
            guard grai.first == "0" else { throw EPCError(.malformed, "'\(text)': the GRAI in AI 8003 starts with a 0") }
            try parser.check(String(grai.dropFirst()), "GRAI")
            scheme = .grai
            components = [try parser.slice(grai, 1, 1 + length), try parser.slice(grai, 1 + length, 13), parser.rest()]
        case "8004":
            let giai = parser.rest()
            scheme = .giai
            components = [try parser.slice(giai, 0, length), String(giai.dropFirst(length))]
        case "253", "255":
            let key = try parser.digits(13, ai == "253" ? "GDTI" : "GCN")
            try parser.check(key, ai == "253" ? "GDTI" : "GCN")
            scheme = ai == "253" ? .gdti : .sgcn
            components = [try parser.slice(key, 0, length), try parser.slice(key, length, 12), parser.rest()]
        case "8018", "8017":
            let gsrn = try parser.digits(18, "GSRN")
            try parser.check(gsrn, "GSRN")
            try parser.end()
            scheme = ai == "8018" ? .gsrn : .gsrnp
            components = [try parser.slice(gsrn, 0, length), try parser.slice(gsrn, length, 17)]
        case "8010":
            let cpi = parser.until("(8011)")
            try parser.expect("(8011)")
            scheme = .cpi
            components = [try parser.slice(cpi, 0, length), String(cpi.dropFirst(length)), parser.rest()]
        default:
            throw EPCError(.unknownHeader, "AI (\(ai)) in '\(text)' is not the key of an EPC scheme")
        }
        try self.init(scheme, components: components)
    }
}

extension GS1 {
    /// Digits followed by their check digit.
    static func withCheckDigit(_ digits: String) -> String { digits + String(checkDigit(text: digits)) }
}

/// Walks the value after the first AI of an element string.
private struct ElementParser {
    let text: String
    let value: [Character]
    var position = 0

    init(text: String, value: [Character]) {
        self.text = text
        self.value = value
    }

    var atEnd: Bool { position == value.count }

    mutating func digits(_ count: Int, _ what: String) throws(EPCError) -> String {
        guard position + count <= value.count, value[position..<position + count].allSatisfy(\.isASCIIDigit) else {
            throw EPCError(.malformed, "'\(text)': the \(what) should be \(count) digits")
        }
        defer { position += count }
        return String(value[position..<position + count])
    }

    func check(_ key: String, _ what: String) throws(EPCError) {
        let body = key.dropLast()
        guard String(GS1.checkDigit(text: body)) == String(key.last!) else {
            throw EPCError(.badCheckDigit, "'\(text)': the \(what) \(key) has check digit \(key.last!), expected \(GS1.checkDigit(text: body))")
        }
    }

    mutating func expect(_ literal: String) throws(EPCError) {
        let characters = Array(literal)
        guard position + characters.count <= value.count, Array(value[position..<position + characters.count]) == characters else {
            throw EPCError(.malformed, "'\(text)' should continue with \(literal)")
        }
        position += characters.count
    }

    func end() throws(EPCError) {
        guard atEnd else { throw EPCError(.malformed, "'\(text)' has text after its key") }
    }

    mutating func rest() -> String {
        defer { position = value.count }
        return String(value[position...])
    }

    mutating func until(_ literal: String) -> String {
        let characters = Array(literal)
        var end = position
        while end < value.count, !(end + characters.count <= value.count && Array(value[end..<end + characters.count]) == characters) { end += 1 }
        defer { position = end }
        return String(value[position..<end])
    }

    /// Characters `from..<to` of `key`, failing when the company prefix length does not fit the key.
    func slice(_ key: String, _ from: Int, _ to: Int) throws(EPCError) -> String {
        let characters = Array(key)
        guard from <= to, to <= characters.count else {
            throw EPCError(.invalidPartition, "'\(text)': the company prefix length does not fit the key")
        }
        return String(characters[from..<to])
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
