/// The character sets of the TDS string fields and their URI escaping.
enum Characters {
    /// Which characters a string field may hold.
    enum Set: Sendable {
        /// The GS1 AI encodable character set 82 (TDS Table A-1), stored 7 bits a character.
        case gs1
        /// Component/part reference characters of a CPI: digits, capitals, `#`, `-`, `/` (GS1 set 39), 6 bits a character.
        case cpi
        /// ADI part-number characters: digits, capitals, `-`, `/`, 6 bits a character.
        case adi
        /// An ADI serial: the ADI characters, plus `#` as its first character (a serial within the CAGE, not the part).
        case adiSerial
        /// CAGE codes and DoDAACs: digits and capitals except I and O.
        case cage
    }

    /// Whether `character` may appear at `index` of a field of `set`.
    static func allows(_ character: UInt8, at index: Int, in set: Set) -> Bool {
        switch set {
        case .gs1: return isGS1(character)
        case .cpi: return isDigitOrCapital(character) || character == UInt8(ascii: "#") || character == UInt8(ascii: "-") || character == UInt8(ascii: "/")
        case .adi: return isDigitOrCapital(character) || character == UInt8(ascii: "-") || character == UInt8(ascii: "/")
        case .adiSerial: return allows(character, at: index, in: .adi) || (index == 0 && character == UInt8(ascii: "#"))
        case .cage: return isDigitOrCapital(character) && character != UInt8(ascii: "I") && character != UInt8(ascii: "O")
        }
    }

    /// The GS1 AI encodable character set 82: `!"%&'()*+,-./0-9:;<=>?A-Z_a-z`.
    static func isGS1(_ character: UInt8) -> Bool {
        switch character {
        case UInt8(ascii: "!"), UInt8(ascii: "\""), UInt8(ascii: "%")...UInt8(ascii: "?"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            return true
        default:
            return false
        }
    }

    static func isDigit(_ character: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(character) }

    static func isDigitOrCapital(_ character: UInt8) -> Bool {
        isDigit(character) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(character)
    }

    /// Whether a URI must carry `character` as `%XX`: the characters of the sets that are not
    /// safe in a URN (TDS Table A-1 for the 7-bit set; `#` and `/` for the 6-bit sets).
    static func mustEscape(_ character: UInt8) -> Bool {
        switch character {
        case UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "/"), UInt8(ascii: "<"),
             UInt8(ascii: ">"), UInt8(ascii: "?"), UInt8(ascii: "#"):
            return true
        default:
            return false
        }
    }

    /// The URI form of a field value.
    static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: mustEscape) else { return value }
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for character in value.utf8 {
            if mustEscape(character) {
                out += [UInt8(ascii: "%"), hex[Int(character >> 4)], hex[Int(character & 0xF)]]
            } else {
                out.append(character)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value a URI component stands for: `%XX` escapes resolved, and every character checked
    /// against `set`. A character that must be escaped but is written plainly is rejected, since
    /// TDS URIs are compared as text and two spellings of one EPC would not compare equal.
    static func unescape(_ component: Substring, set: Set, field: String) throws(EPCError) -> String {
        let utf8 = Array(component.utf8)
        var out = [UInt8]()
        out.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            var character = utf8[index]
            if character == UInt8(ascii: "%") {
                guard index + 2 < utf8.count, let high = Bits.nibble(utf8[index + 1]), let low = Bits.nibble(utf8[index + 2]) else {
                    throw EPCError(.malformed, "\(field) '\(component)' has a '%' that does not start a %XX escape")
                }
                character = high << 4 | low
                index += 3
            } else {
                guard !mustEscape(character) else {
                    throw EPCError(.malformed, "\(field) '\(component)': '\(Character(Unicode.Scalar(character)))' must be written %\(String(character, radix: 16, uppercase: true)) in a URI")
                }
                index += 1
            }
            guard allows(character, at: out.count, in: set) else {
                throw EPCError(.illegalCharacter, "\(field) '\(component)' holds \(describe(character)), which \(describe(set)) excludes")
            }
            out.append(character)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Checks a plain (unescaped) value against `set`.
    static func check(_ value: String, set: Set, field: String) throws(EPCError) {
        for (index, character) in value.utf8.enumerated() where !allows(character, at: index, in: set) {
            throw EPCError(.illegalCharacter, "\(field) '\(value)' holds \(describe(character)), which \(describe(set)) excludes")
        }
    }

    /// The 6-bit code of a character (TDS Table G-1: the low six bits of its ASCII code); `nil` outside 0x20–0x5F.
    static func sixBit(_ character: UInt8) -> UInt64? {
        (0x20...0x5F).contains(character) ? UInt64(character & 0x3F) : nil
    }

    /// The character of a non-zero 6-bit code: codes 1–31 are `A`–`_` (0x41–0x5F), 32–63 are space–`?`.
    static func character(sixBit code: UInt64) -> UInt8 {
        code >= 0x20 ? UInt8(code) : UInt8(code) | 0x40
    }

    static func describe(_ character: UInt8) -> String {
        (0x21...0x7E).contains(character)
            ? "'\(Character(Unicode.Scalar(character)))'"
            : "byte 0x\(String(character, radix: 16, uppercase: true))"
    }

    static func describe(_ set: Set) -> String {
        switch set {
        case .gs1: "the GS1 AI character set 82"
        case .cpi: "the CPI character set (0-9 A-Z # - /)"
        case .adi: "the ADI character set (0-9 A-Z - /)"
        case .adiSerial: "the ADI serial character set (0-9 A-Z - /, '#' first)"
        case .cage: "the CAGE/DoDAAC character set (0-9 A-Z without I and O)"
        }
    }
}
