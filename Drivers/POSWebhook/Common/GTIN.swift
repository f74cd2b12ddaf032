import Foundation

/// GS1 trade item numbers as the basket link wants them: GTIN-14.
enum GTIN {
    /// `code` as a GTIN-14 when it is a GTIN-8, -12, -13 or -14 with a correct check digit; `nil` otherwise.
    ///
    /// The check digit matters: SKUs are often digit strings of these lengths, and a wrong GTIN would
    /// link a sale to someone else's item.
    static func normalised(_ code: String) -> String? {
        let text = code.trimmingCharacters(in: .whitespaces)
        guard [8, 12, 13, 14].contains(text.utf8.count), text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let padded = String(repeating: "0", count: 14 - text.utf8.count) + text
        let digits = padded.utf8.map { Int($0) - 48 }
        // Weights 3, 1, 3, … from the digit left of the check digit.
        var sum = 0
        for (offset, digit) in digits.dropLast().reversed().enumerated() { sum += digit * (offset % 2 == 0 ? 3 : 1) }
        guard (10 - sum % 10) % 10 == digits[13] else { return nil }
        return padded
    }
}
