import GatewayCore

/// Validation and normalisation of the values CSV imports accept. Each returns the stored form, or a
/// phrase saying what is wrong that the importer puts after `column 'NAME': `.
enum Fields {
    /// A GTIN-8, -12, -13 or -14 with a valid GS1 check digit, as the GTIN-14 stored (zero-padded on the left).
    static func gtin14(_ text: String) -> Result<String, Problem> {
        let digits = Array(text.utf8)
        guard [8, 12, 13, 14].contains(digits.count), digits.allSatisfy(isDigit) else {
            return .failure(Problem("'\(text)' is not a GTIN (8, 12, 13 or 14 digits)"))
        }
        let expected = checkDigit(digits.dropLast())
        guard digits.last! - UInt8(ascii: "0") == expected else {
            return .failure(Problem("'\(text)' has a wrong check digit (expected \(expected))"))
        }
        return .success(String(repeating: "0", count: 14 - digits.count) + text)
    }

    /// The GS1 mod-10 check digit of the digits before it: weights 3 and 1 alternate from the right.
    static func checkDigit(_ digits: some BidirectionalCollection<UInt8>) -> UInt8 {
        var sum = 0
        for (position, digit) in digits.reversed().enumerated() {
            sum += Int(digit - UInt8(ascii: "0")) * (position % 2 == 0 ? 3 : 1)
        }
        return UInt8((10 - sum % 10) % 10)
    }

    /// A non-negative decimal amount, as its canonical text.
    static func price(_ text: String) -> Result<String, Problem> {
        if let value = DecimalText.parse(text, allowNegative: false) {
            return .success(DecimalText.format(value))
        }
        if DecimalText.parse(text, allowNegative: true) != nil {
            return .failure(Problem("'\(text)' is negative; a price is zero or more"))
        }
        return .failure(Problem("'\(text)' is not a decimal amount"))
    }

    /// An ISO 4217 code: three letters, stored in capitals.
    static func currency(_ text: String) -> Result<String, Problem> {
        guard text.utf8.count == 3, text.utf8.allSatisfy(isLetter) else {
            return .failure(Problem("'\(text)' is not a 3-letter currency code"))
        }
        return .success(text.uppercased())
    }

    /// A consent flag: `yes`/`no`, `true`/`false`, `1`/`0`, in any case.
    static func consent(_ text: String) -> Result<Bool, Problem> {
        switch text.lowercased() {
        case "yes", "true", "1": return .success(true)
        case "no", "false", "0": return .success(false)
        default: return .failure(Problem("'\(text)' is not yes or no"))
        }
    }

    /// A time in RFC 3339 (`Z` or a numeric offset, optional fraction), as the UTC form with
    /// milliseconds the store keeps its times in.
    static func time(_ text: String) -> Result<String, Problem> {
        guard let stamp = Timestamp(rfc3339: text) else {
            return .failure(Problem("'\(text)' is not an RFC 3339 time (such as 2026-03-01T17:30:00Z)"))
        }
        return .success(stamp.rfc3339)
    }

    /// A tier name, lowercased so `VIP` and `vip` are one tier for the rules.
    static func tier(_ text: String) -> Result<String, Problem> {
        let lower = text.lowercased()
        guard lower.utf8.allSatisfy({ isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
            return .failure(Problem("'\(text)' is not a tier name (letters, digits, '-' and '_')"))
        }
        return .success(lower)
    }

    /// A loose email check: it catches a column shifted by a stray comma, not every RFC 5322 corner.
    static func email(_ text: String) -> Result<String, Problem> {
        let utf8 = text.utf8
        let at = utf8.firstIndex(of: UInt8(ascii: "@"))
        guard let at, at != utf8.startIndex, !utf8[utf8.index(after: at)...].contains(UInt8(ascii: "@")),
              utf8[utf8.index(after: at)...].contains(UInt8(ascii: ".")),
              !utf8.contains(where: { isBlank($0) || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else {
            return .failure(Problem("'\(text)' is not an email address"))
        }
        return .success(text)
    }

    /// One credential of the `credentials` column.
    ///
    /// Digits only, at most 20 of them, is a card number as a badge reader types it; other hex is a tag
    /// EPC, stored in capitals so it compares with what readers report. `epc:` or `card:` in front
    /// settles the rare EPC made of digits only.
    static func credential(_ text: String) -> Result<MasterData.Credential, Problem> {
        let lower = text.lowercased()
        if lower.hasPrefix("epc:") {
            return epc(String(text.dropFirst(4)), original: text)
        }
        if lower.hasPrefix("card:") {
            return card(String(text.dropFirst(5)), original: text)
        }
        if text.utf8.allSatisfy(isDigit), text.utf8.count <= 20 {
            return card(text, original: text)
        }
        return epc(text, original: text)
    }

    private static func epc(_ hex: String, original: String) -> Result<MasterData.Credential, Problem> {
        // 8 hex digits is the shortest EPC bank anyone writes; 128 is a TagID's limit (64 bytes).
        guard (8...128).contains(hex.utf8.count), hex.utf8.count % 2 == 0, hex.utf8.allSatisfy(isHex) else {
            return .failure(Problem("'\(original)' is neither a tag EPC (an even number of hex digits) nor a card number (digits)"))
        }
        return .success(MasterData.Credential(value: hex.uppercased(), kind: .epc))
    }

    private static func card(_ digits: String, original: String) -> Result<MasterData.Credential, Problem> {
        guard (1...64).contains(digits.utf8.count), digits.utf8.allSatisfy(isDigit) else {
            return .failure(Problem("'\(original)' is not a card number (up to 64 digits)"))
        }
        return .success(MasterData.Credential(value: digits, kind: .card))
    }

    /// `text` without leading and trailing spaces and tabs. Foundation's `trimmingCharacters` bridges
    /// through NSString on Linux and was a tenth of a large import's time.
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !isBlank($0) })!
        if first == utf8.startIndex, utf8.index(after: last) == utf8.endIndex { return text }
        return String(text[first...last])
    }

    static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    static func isHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    /// What is wrong with a value, phrased to follow `column 'NAME': `.
    struct Problem: Error, Equatable {
        var text: String
        init(_ text: String) { self.text = text }
    }
}
