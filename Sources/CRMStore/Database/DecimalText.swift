import Foundation

/// Exact conversions between `Decimal` and the decimal TEXT the database stores.
///
/// Foundation's `Decimal(string:)` is lenient (it reads `12,5` as 12 and ignores trailing junk), which
/// would turn a typo in a price list into a wrong price; this parser accepts only `[-]digits[.digits]`.
enum DecimalText {
    /// Parses `[-]digits[.digits]`; `nil` for anything else, or for more digits than `Decimal` holds exactly.
    static func parse(_ text: some StringProtocol, allowNegative: Bool = true) -> Decimal? {
        var utf8 = Substring(text).utf8[...]
        var negative = false
        if utf8.first == UInt8(ascii: "-") {
            guard allowNegative else { return nil }
            negative = true
            utf8 = utf8.dropFirst()
        }
        var significand: UInt64 = 0
        var digits = 0
        var significantDigits = 0
        var fractionDigits = 0
        var seenPoint = false
        var exact = true
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint, digits > 0 else { return nil }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            digits += 1
            if seenPoint { fractionDigits += 1 }
            if significantDigits > 0 || byte != UInt8(ascii: "0") { significantDigits += 1 }
            if significantDigits <= 18 {
                significand = significand * 10 + UInt64(byte - UInt8(ascii: "0"))
            } else {
                exact = false
            }
        }
        guard digits > 0, !seenPoint || fractionDigits > 0, fractionDigits <= 38 else { return nil }
        if !exact {
            // Past what a UInt64 holds: the text is already validated, so Foundation's parser is safe here.
            guard significantDigits <= 38, let value = Decimal(string: String(text)) else { return nil }
            return value
        }
        // A negative zero is how `Decimal` spells NaN: zero is always positive here.
        let sign: FloatingPointSign = negative && significand != 0 ? .minus : .plus
        return Decimal(sign: sign, exponent: -fractionDigits, significand: Decimal(significand))
    }

    /// The canonical text of `value` (`12.5` for 12.50): exact and locale-independent.
    static func format(_ value: Decimal) -> String {
        value.description
    }
}
