import Foundation

/// Exact money: minor units and decimal strings become `Decimal` without passing through `Double`,
/// which cannot hold most cent amounts exactly (0.1 + 0.2 ≠ 0.3) nor integers beyond 2^53.
enum Money {
    /// ISO 4217 currencies whose minor unit is not 1/100. Square sends amounts in the currency's
    /// smallest unit, so the exponent decides where the decimal point goes.
    static let exponents: [String: Int] = [
        // No minor unit.
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
        "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        // Thousandths.
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
        // Ten-thousandths (units of account).
        "CLF": 4, "UYW": 4,
    ]

    /// Digits after the decimal point for `currency`; 2 for every currency not listed otherwise.
    static func exponent(of currency: String) -> Int { exponents[currency] ?? 2 }

    /// `amount` smallest units of `currency` as an exact decimal (`1999 USD` → `19.99`, `1999 JPY` → `1999`).
    static func decimal(minorUnits amount: Int64, currency: String) -> Decimal {
        Decimal(sign: amount < 0 ? .minus : .plus, exponent: -exponent(of: currency), significand: Decimal(amount.magnitude))
    }

    /// Whether `text` is an ISO 4217 code in form: three upper-case letters.
    static func isCurrencyCode(_ text: String) -> Bool {
        text.utf8.count == 3 && text.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }

    /// Parses a plain decimal string (`"19.99"`, `"-2"`, `"0.125"`); `nil` for anything else.
    ///
    /// Stricter than `Decimal(string:)`, which accepts a valid prefix (`"12abc"` → 12) and exponents:
    /// a price that is not plainly a number must be refused, not guessed.
    static func parseDecimal(_ text: String) -> Decimal? {
        var digits = 0
        var sawPoint = false
        var digitsAfterPoint = 0
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                guard index == 0 else { return nil }
            case UInt8(ascii: "."):
                guard !sawPoint, digits > 0 else { return nil }
                sawPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                if sawPoint { digitsAfterPoint += 1 }
            default: return nil
            }
        }
        // Decimal holds 38 significant digits; beyond that it would round silently.
        guard digits > 0, digits <= 38, !sawPoint || digitsAfterPoint > 0 else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }
}
