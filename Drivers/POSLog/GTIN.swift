/// GS1 item numbers as POS systems report them (GTIN-8/12/13/14, UPC-A, EAN-13).
public enum GTIN {
    /// The GTIN-14 form of `text`: digits only, 8, 12, 13 or 14 of them, left-padded with zeros, with a
    /// valid GS1 mod-10 check digit; `nil` otherwise.
    ///
    /// A code that fails the check is not guessed at: POS files carry PLUs and in-store codes in the
    /// same field, and a wrong GTIN would link a basket to the wrong product.
    public static func normalized(_ text: String) -> String? {
        let digits = Array(text.utf8)
        guard [8, 12, 13, 14].contains(digits.count), digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let padded = [UInt8](repeating: 48, count: 14 - digits.count) + digits
        guard checkDigit(of: padded.dropLast()) == padded[13] - 48 else { return nil }
        return String(decoding: padded, as: UTF8.self)
    }

    /// The GS1 mod-10 check digit of ASCII digits (weights 3, 1, 3, … from the right).
    static func checkDigit(of digits: ArraySlice<UInt8>) -> UInt8 {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            sum += Int(digit - 48) * (offset % 2 == 0 ? 3 : 1)
        }
        return UInt8((10 - sum % 10) % 10)
    }

    /// Whether a `POSIDType` names a GS1 barcode number (`GTIN`, `UPC`, `EAN`, `UPCA`, `EAN13`, …).
    public static func isGS1Type(_ type: String) -> Bool {
        let upper = type.uppercased()
        return upper.hasPrefix("GTIN") || upper.hasPrefix("UPC") || upper.hasPrefix("EAN")
    }
}
