/// The TDS coding methods, driven by the segment lists of ``EPCBinaryScheme``: one decoder and one
/// encoder for every scheme, so a rule (a check, a padding convention) is written once.
enum Codec {
    // MARK: Binary → components

    /// Decodes the fields after the header. Returns the filter, the pure-identity components
    /// (unescaped) and the number of bits the encoding occupies.
    static func decode<Source: EPCBitSource>(_ source: Source, as scheme: EPCBinaryScheme) throws(EPCError)
        -> (filter: UInt8, components: [String], bitLength: Int) {
        if let length = scheme.bitLength, source.epcBitCount < length {
            throw EPCError(.truncated, "\(scheme.rawValue) needs \(length) bits, got \(source.epcBitCount)")
        }
        var reader = BitReader(source, from: 8, context: scheme.rawValue)
        let filter = UInt8(try reader.read(scheme.filterBits))
        let names = scheme.scheme.componentNames
        var components: [String] = []
        for segment in scheme.segments {
            let field = segment.componentCount > 0 ? "\(scheme.rawValue) \(names[components.count])" : scheme.rawValue
            switch segment {
            case .partition(let table):
                let partition = Int(try reader.read(3))
                guard partition < 7 else { throw EPCError(.invalidPartition, "\(scheme.rawValue) partition 7 is invalid") }
                let prefix = GS1.companyPrefixPartitions[partition]
                let value = try reader.read(prefix.bits)
                guard value < GS1.pow10(prefix.digits) else {
                    throw EPCError(.fieldOverflow, "\(field) \(value) has more than the \(prefix.digits) digits of partition \(partition)")
                }
                components.append(GS1.padded(value, prefix.digits))
                let row = table.rows[partition]
                let second = "\(scheme.rawValue) \(names[components.count])"
                switch table.kind {
                case .padded, .unpadded:
                    let value = try reader.read(row.bits)
                    guard value < GS1.pow10(row.digits) else {
                        throw EPCError(.fieldOverflow, "\(second) \(value) has more than the \(row.digits) digits of partition \(partition)")
                    }
                    if table.kind == .unpadded {
                        components.append(String(value))
                    } else {
                        components.append(row.digits == 0 ? "" : GS1.padded(value, row.digits))
                    }
                case .string7:
                    components.append(try decodeString7(&reader, bits: row.bits, maxCharacters: row.digits, field: second))
                case .string6:
                    components.append(try decodeString6(&reader, maxCharacters: row.digits, minCharacters: 1, set: .cpi, field: second))
                }
            case .integer(let bits, let maxDigits):
                let value = try reader.read(bits)
                if let maxDigits, value >= GS1.pow10(maxDigits) {
                    throw EPCError(.fieldOverflow, "\(field) \(value) has more than \(maxDigits) digits")
                }
                components.append(String(value))
            case .string7(let bits):
                components.append(try decodeString7(&reader, bits: bits, maxCharacters: bits / 7, field: field))
            case .numericString(let bits, let maxDigits):
                let value = String(try reader.read(bits))
                // The digits are stored behind a 1 so that their leading zeros survive the integer.
                guard value.count >= 2, value.first == "1" else {
                    throw EPCError(.invalidField, "\(field) holds \(value), which is not 1 followed by the serial's digits")
                }
                guard value.count - 1 <= maxDigits else {
                    throw EPCError(.fieldOverflow, "\(field) holds \(value.count - 1) digits, more than \(maxDigits)")
                }
                components.append(String(value.dropFirst()))
            case .fixedWidth(let bits, let digits):
                let value = try reader.read(bits)
                guard value < GS1.pow10(digits) else {
                    throw EPCError(.fieldOverflow, "\(field) \(value) has more than \(digits) digits")
                }
                components.append(GS1.padded(value, digits))
            case .string6(let maxCharacters, let minCharacters, let set):
                components.append(try decodeString6(&reader, maxCharacters: maxCharacters, minCharacters: minCharacters, set: set, field: field))
            case .cage6:
                var characters: [UInt8] = []
                for _ in 0..<6 { characters.append(Characters.character(sixBit: try reader.read(6))) }
                components.append(try decodeCAGE(characters, field: field))
            case .cage8:
                var characters: [UInt8] = []
                for _ in 0..<6 { characters.append(UInt8(try reader.read(8))) }
                components.append(try decodeCAGE(characters, field: field))
            case .reserved(let bits):
                guard try reader.read(bits) == 0 else {
                    throw EPCError(.invalidField, "\(scheme.rawValue) has non-zero bits in its \(bits) reserved bits")
                }
            }
        }
        return (filter, components, reader.position)
    }

    /// 7 bits a character until a zero character; everything after it, to the end of the field, must be zero.
    private static func decodeString7<Source>(_ reader: inout BitReader<Source>, bits: Int, maxCharacters: Int, field: String) throws(EPCError) -> String {
        var characters: [UInt8] = []
        var ended = false
        for _ in 0..<(bits / 7) {
            let code = UInt8(try reader.read(7))
            if ended {
                guard code == 0 else { throw EPCError(.invalidField, "\(field) has non-zero bits after its terminating zero character") }
            } else if code == 0 {
                ended = true
            } else {
                guard Characters.isGS1(code) else {
                    throw EPCError(.illegalCharacter, "\(field) holds \(Characters.describe(code)), outside the GS1 AI character set 82")
                }
                characters.append(code)
            }
        }
        guard try reader.read(bits % 7) == 0 else { throw EPCError(.invalidField, "\(field) has non-zero padding bits") }
        guard !characters.isEmpty else { throw EPCError(.invalidField, "\(field) is empty") }
        guard characters.count <= maxCharacters else {
            throw EPCError(.fieldOverflow, "\(field) holds \(characters.count) characters, more than \(maxCharacters)")
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// 6 bits a character until six zero bits.
    private static func decodeString6<Source>(_ reader: inout BitReader<Source>, maxCharacters: Int, minCharacters: Int,
                                              set: Characters.Set, field: String) throws(EPCError) -> String {
        var characters: [UInt8] = []
        while true {
            let code = try reader.read(6)
            if code == 0 { break }
            guard characters.count < maxCharacters else {
                throw EPCError(.fieldOverflow, "\(field) runs past \(maxCharacters) characters without its terminator")
            }
            let character = Characters.character(sixBit: code)
            guard Characters.allows(character, at: characters.count, in: set) else {
                throw EPCError(.illegalCharacter, "\(field) holds \(Characters.describe(character)), which \(Characters.describe(set)) excludes")
            }
            characters.append(character)
        }
        guard characters.count >= minCharacters else { throw EPCError(.invalidField, "\(field) is empty") }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Six characters; a leading space marks a 5-character CAGE code.
    private static func decodeCAGE(_ characters: [UInt8], field: String) throws(EPCError) -> String {
        let code = characters.first == UInt8(ascii: " ") ? Array(characters.dropFirst()) : characters
        for character in code where !Characters.allows(character, at: 0, in: .cage) {
            throw EPCError(.illegalCharacter, "\(field) holds \(Characters.describe(character)), which \(Characters.describe(.cage)) excludes")
        }
        return String(decoding: code, as: UTF8.self)
    }

    // MARK: Components → binary

    /// Encodes a complete EPC: header, filter and fields, without padding.
    static func encode(_ scheme: EPCBinaryScheme, filter: UInt8, components: [String]) throws(EPCError) -> EPCBinary {
        let names = scheme.scheme.componentNames
        guard components.count == names.count else {
            throw EPCError(.malformed, "\(scheme.rawValue) has \(names.count) fields (\(names.joined(separator: ", "))), got \(components.count)")
        }
        guard Int(filter) < 1 << scheme.filterBits || (scheme.filterBits == 0 && filter == 0) else {
            throw EPCError(.fieldOverflow, "\(scheme.rawValue) filter \(filter) does not fit \(scheme.filterBits) bits")
        }
        var writer = BitWriter()
        writer.append(UInt64(scheme.header), bits: 8)
        writer.append(UInt64(filter), bits: scheme.filterBits)
        var index = 0
        for segment in scheme.segments {
            switch segment {
            case .partition(let table):
                let prefix = try companyPrefix(components[index], field: "\(scheme.rawValue) \(names[index])")
                writer.append(UInt64(prefix.partition), bits: 3)
                writer.append(prefix.value, bits: prefix.bits)
                try encodeSecond(table, partition: prefix.partition, components[index + 1],
                                 field: "\(scheme.rawValue) \(names[index + 1])", into: &writer)
            case .reserved(let bits):
                writer.appendZeros(bits)
            default:
                try encodeField(segment, components[index], field: "\(scheme.rawValue) \(names[index])", into: &writer)
            }
            index += segment.componentCount
        }
        return writer.binary
    }

    /// The partition, value and width of a company prefix given as 6–12 digits.
    static func companyPrefix(_ text: String, field: String) throws(EPCError) -> (partition: Int, value: UInt64, bits: Int) {
        try requireDigits(text, field: field)
        guard let partition = GS1.companyPrefixPartitions.firstIndex(where: { $0.digits == text.utf8.count }) else {
            throw EPCError(.invalidPartition, "\(field) '\(text)' has \(text.utf8.count) digits; GS1 company prefixes have 6 to 12")
        }
        return (partition, UInt64(text)!, GS1.companyPrefixPartitions[partition].bits)
    }

    /// Encodes the field whose size the partition sets.
    static func encodeSecond(_ table: PartitionTable, partition: Int, _ text: String, field: String, into writer: inout BitWriter) throws(EPCError) {
        let row = table.rows[partition]
        let prefixDigits = GS1.companyPrefixPartitions[partition].digits
        switch table.kind {
        case .padded:
            if !text.isEmpty { try requireDigits(text, field: field) }
            guard text.utf8.count == row.digits else {
                throw EPCError(text.utf8.count > row.digits ? .fieldOverflow : .malformed,
                               "\(field) '\(text)' must have \(row.digits) digits with a \(prefixDigits)-digit company prefix")
            }
            writer.append(text.isEmpty ? 0 : UInt64(text)!, bits: row.bits)
        case .unpadded:
            let value = try integer(text, field: field)
            guard text.utf8.count <= row.digits, value < 1 << UInt64(row.bits) else {
                throw EPCError(.fieldOverflow, "\(field) \(text) is too large for a \(prefixDigits)-digit company prefix (at most \(row.digits) digits and \(row.bits) bits)")
            }
            writer.append(value, bits: row.bits)
        case .string7:
            try writeString7(text, bits: row.bits, maxCharacters: row.digits, field: field, into: &writer)
        case .string6:
            try writeString6(text, maxCharacters: row.digits, minCharacters: 1, set: .cpi, field: field, into: &writer)
        }
    }

    /// Encodes a field that is not a partition.
    static func encodeField(_ segment: Segment, _ text: String, field: String, into writer: inout BitWriter) throws(EPCError) {
        switch segment {
        case .integer(let bits, let maxDigits):
            let value = try integer(text, field: field)
            guard value < 1 << UInt64(bits) else { throw EPCError(.fieldOverflow, "\(field) \(text) does not fit \(bits) bits") }
            if let maxDigits, text.utf8.count > maxDigits {
                throw EPCError(.fieldOverflow, "\(field) \(text) has more than \(maxDigits) digits")
            }
            writer.append(value, bits: bits)
        case .string7(let bits):
            try writeString7(text, bits: bits, maxCharacters: bits / 7, field: field, into: &writer)
        case .numericString(let bits, let maxDigits):
            try requireDigits(text, field: field)
            guard text.utf8.count <= maxDigits else { throw EPCError(.fieldOverflow, "\(field) '\(text)' has more than \(maxDigits) digits") }
            writer.append(UInt64("1" + text)!, bits: bits)
        case .fixedWidth(let bits, let digits):
            try requireDigits(text, field: field)
            guard text.utf8.count == digits else {
                throw EPCError(text.utf8.count > digits ? .fieldOverflow : .malformed, "\(field) '\(text)' must have \(digits) digits")
            }
            writer.append(UInt64(text)!, bits: bits)
        case .string6(let maxCharacters, let minCharacters, let set):
            try writeString6(text, maxCharacters: maxCharacters, minCharacters: minCharacters, set: set, field: field, into: &writer)
        case .cage6, .cage8:
            try Characters.check(text, set: .cage, field: field)
            guard (5...6).contains(text.utf8.count) else {
                throw EPCError(text.utf8.count > 6 ? .fieldOverflow : .malformed, "\(field) '\(text)' is neither a 5-character CAGE code nor a 6-character DoDAAC")
            }
            let padded = Array((text.utf8.count == 5 ? " " + text : text).utf8)
            for character in padded {
                if case .cage6 = segment { writer.append(Characters.sixBit(character)!, bits: 6) } else { writer.append(UInt64(character), bits: 8) }
            }
        case .partition, .reserved:
            preconditionFailure("encoded by the caller")
        }
    }

    private static func writeString7(_ text: String, bits: Int, maxCharacters: Int, field: String, into writer: inout BitWriter) throws(EPCError) {
        guard !text.isEmpty else { throw EPCError(.malformed, "\(field) must not be empty") }
        try Characters.check(text, set: .gs1, field: field)
        guard text.utf8.count <= maxCharacters else {
            throw EPCError(.fieldOverflow, "\(field) '\(text)' has \(text.utf8.count) characters, more than \(maxCharacters)")
        }
        for character in text.utf8 { writer.append(UInt64(character), bits: 7) }
        writer.appendZeros(bits - 7 * text.utf8.count)
    }

    private static func writeString6(_ text: String, maxCharacters: Int, minCharacters: Int, set: Characters.Set,
                                     field: String, into writer: inout BitWriter) throws(EPCError) {
        guard text.utf8.count >= minCharacters else { throw EPCError(.malformed, "\(field) must not be empty") }
        try Characters.check(text, set: set, field: field)
        guard text.utf8.count <= maxCharacters else {
            throw EPCError(.fieldOverflow, "\(field) '\(text)' has \(text.utf8.count) characters, more than \(maxCharacters)")
        }
        for character in text.utf8 { writer.append(Characters.sixBit(character)!, bits: 6) }
        writer.append(0, bits: 6)
    }

    /// A decimal integer written without leading zeros, as TDS URIs write integer fields.
    static func integer(_ text: String, field: String) throws(EPCError) -> UInt64 {
        try requireDigits(text, field: field)
        guard text == "0" || !text.hasPrefix("0") else {
            throw EPCError(.malformed, "\(field) '\(text)' has a leading zero; this field is an integer, written without them")
        }
        guard let value = UInt64(text) else { throw EPCError(.fieldOverflow, "\(field) \(text) is too large") }
        return value
    }

    static func requireDigits(_ text: String, field: String) throws(EPCError) {
        guard !text.isEmpty, text.utf8.allSatisfy(Characters.isDigit) else {
            throw EPCError(.malformed, "\(field) '\(text)' is not a number")
        }
    }
}
