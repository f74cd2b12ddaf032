/// An EPC scheme: what kind of thing an EPC identifies, named as in its pure-identity URI (`urn:epc:id:sgtin:…`).
public enum EPCScheme: String, CaseIterable, Sendable, Hashable {
    /// Serialised Global Trade Item Number: one retail item.
    case sgtin
    /// Serial Shipping Container Code: a logistic unit.
    case sscc
    /// Global Location Number with extension: a place.
    case sgln
    /// Global Returnable Asset Identifier: a crate, a pallet, a keg.
    case grai
    /// Global Individual Asset Identifier: a fixed asset.
    case giai
    /// Global Document Type Identifier: a document.
    case gdti
    /// Global Service Relation Number, recipient: a loyalty member, a patient.
    case gsrn
    /// Global Service Relation Number, provider.
    case gsrnp
    /// Serialised Global Coupon Number.
    case sgcn
    /// Component / Part Identifier.
    case cpi
    /// Individual Trade Item Piece: one piece of a multi-piece trade item.
    case itip
    /// General Identifier: manager, object class, serial, with no GS1 key.
    case gid
    /// US Department of Defense identifier.
    case usdod
    /// Aerospace and Defense identifier.
    case adi

    /// The binary coding schemes of this EPC scheme, narrowest first.
    public var binarySchemes: [EPCBinaryScheme] {
        EPCBinaryScheme.allCases.filter { $0.scheme == self }
    }

    /// Whether the identity starts with a GS1 company prefix (and so has a GS1 element string).
    public var isGS1Keyed: Bool { self != .gid && self != .usdod && self != .adi }

    /// The names of the pure-identity URI components, in order.
    public var componentNames: [String] {
        switch self {
        case .sgtin: ["company prefix", "item reference", "serial"]
        case .sscc: ["company prefix", "serial reference"]
        case .sgln: ["company prefix", "location reference", "extension"]
        case .grai: ["company prefix", "asset type", "serial"]
        case .giai: ["company prefix", "individual asset reference"]
        case .gdti: ["company prefix", "document type", "serial"]
        case .gsrn, .gsrnp: ["company prefix", "service reference"]
        case .sgcn: ["company prefix", "coupon reference", "serial"]
        case .cpi: ["company prefix", "component/part reference", "serial"]
        case .itip: ["company prefix", "item reference", "piece", "total", "serial"]
        case .gid: ["general manager number", "object class", "serial"]
        case .usdod: ["CAGE/DoDAAC", "serial"]
        case .adi: ["CAGE/DoDAAC", "part number", "serial"]
        }
    }

    /// The widest binary scheme: an identity is valid exactly when it fits this one.
    var widest: EPCBinaryScheme { binarySchemes.last! }
}

/// A binary coding scheme of the EPC Tag Data Standard, named as in its tag URI (`urn:epc:tag:sgtin-96:…`).
public enum EPCBinaryScheme: String, CaseIterable, Sendable, Hashable {
    // Declared narrowest first within each EPC scheme: encoding a pure identity picks the first that fits.
    /// SGTIN with a 38-bit integer serial.
    case sgtin96 = "sgtin-96"
    /// SGTIN with a serial of up to 20 characters.
    case sgtin198 = "sgtin-198"
    /// SSCC.
    case sscc96 = "sscc-96"
    /// SGLN with a 41-bit integer extension.
    case sgln96 = "sgln-96"
    /// SGLN with an extension of up to 20 characters.
    case sgln195 = "sgln-195"
    /// GRAI with a 38-bit integer serial.
    case grai96 = "grai-96"
    /// GRAI with a serial of up to 16 characters.
    case grai170 = "grai-170"
    /// GIAI with an integer asset reference.
    case giai96 = "giai-96"
    /// GIAI with an asset reference of up to 24 characters.
    case giai202 = "giai-202"
    /// GDTI with a 41-bit integer serial.
    case gdti96 = "gdti-96"
    /// GDTI with a serial of up to 17 characters.
    case gdti174 = "gdti-174"
    /// GSRN.
    case gsrn96 = "gsrn-96"
    /// GSRNP.
    case gsrnp96 = "gsrnp-96"
    /// SGCN.
    case sgcn96 = "sgcn-96"
    /// CPI with a numeric part reference and a 31-bit serial.
    case cpi96 = "cpi-96"
    /// CPI with an alphanumeric part reference of variable length.
    case cpiVar = "cpi-var"
    /// ITIP with a 38-bit integer serial.
    case itip110 = "itip-110"
    /// ITIP with a serial of up to 20 characters.
    case itip212 = "itip-212"
    /// GID.
    case gid96 = "gid-96"
    /// USDoD.
    case usdod96 = "usdod-96"
    /// ADI, variable length.
    case adiVar = "adi-var"

    /// The header byte (TDS Table 14-1).
    public var header: UInt8 {
        switch self {
        case .sgtin96: 0x30
        case .sgtin198: 0x36
        case .sscc96: 0x31
        case .sgln96: 0x32
        case .sgln195: 0x39
        case .grai96: 0x33
        case .grai170: 0x37
        case .giai96: 0x34
        case .giai202: 0x38
        case .gdti96: 0x2C
        case .gdti174: 0x3E
        case .gsrn96: 0x2D
        case .gsrnp96: 0x2E
        case .sgcn96: 0x3F
        case .cpi96: 0x3C
        case .cpiVar: 0x3D
        case .itip110: 0x40
        case .itip212: 0x41
        case .gid96: 0x35
        case .usdod96: 0x2F
        case .adiVar: 0x3B
        }
    }

    /// The scheme whose header is `header`; `nil` for headers this code does not decode.
    public init?(header: UInt8) {
        guard let scheme = Self.byHeader[Int(header)] else { return nil }
        self = scheme
    }

    private static let byHeader: [EPCBinaryScheme?] = {
        var table = [EPCBinaryScheme?](repeating: nil, count: 256)
        for scheme in allCases { table[Int(scheme.header)] = scheme }
        return table
    }()

    /// The EPC scheme it encodes.
    public var scheme: EPCScheme {
        switch self {
        case .sgtin96, .sgtin198: .sgtin
        case .sscc96: .sscc
        case .sgln96, .sgln195: .sgln
        case .grai96, .grai170: .grai
        case .giai96, .giai202: .giai
        case .gdti96, .gdti174: .gdti
        case .gsrn96: .gsrn
        case .gsrnp96: .gsrnp
        case .sgcn96: .sgcn
        case .cpi96, .cpiVar: .cpi
        case .itip110, .itip212: .itip
        case .gid96: .gid
        case .usdod96: .usdod
        case .adiVar: .adi
        }
    }

    /// The encoding's length in bits; `nil` for the variable-length schemes (CPI-var, ADI-var).
    public var bitLength: Int? {
        switch self {
        case .cpiVar, .adiVar: nil
        default: Int(rawValue.split(separator: "-").last!)!
        }
    }

    /// The width of the filter value; 0 for GID-96, which has none.
    public var filterBits: Int {
        switch self {
        case .gid96: 0
        case .usdod96: 4
        case .adiVar: 6
        default: 3
        }
    }

    /// The fields after the header and filter.
    var segments: [Segment] {
        switch self {
        case .sgtin96: [.partition(.sgtin), .integer(bits: 38)]
        case .sgtin198: [.partition(.sgtin), .string7(bits: 140)]
        case .sscc96: [.partition(.sscc), .reserved(bits: 24)]
        case .sgln96: [.partition(.sgln), .integer(bits: 41)]
        case .sgln195: [.partition(.sgln), .string7(bits: 140)]
        case .grai96: [.partition(.grai), .integer(bits: 38)]
        case .grai170: [.partition(.grai), .string7(bits: 112)]
        case .giai96: [.partition(.giai96)]
        case .giai202: [.partition(.giai202)]
        case .gdti96: [.partition(.sgln), .integer(bits: 41)]
        case .gdti174: [.partition(.sgln), .string7(bits: 119)]
        case .gsrn96, .gsrnp96: [.partition(.sscc), .reserved(bits: 24)]
        case .sgcn96: [.partition(.sgln), .numericString(bits: 41, maxDigits: 12)]
        case .cpi96: [.partition(.cpi96), .integer(bits: 31)]
        case .cpiVar: [.partition(.cpiVar), .integer(bits: 40, maxDigits: 12)]
        case .itip110: [.partition(.sgtin), .fixedWidth(bits: 7, digits: 2), .fixedWidth(bits: 7, digits: 2), .integer(bits: 38)]
        case .itip212: [.partition(.sgtin), .fixedWidth(bits: 7, digits: 2), .fixedWidth(bits: 7, digits: 2), .string7(bits: 140)]
        case .gid96: [.integer(bits: 28), .integer(bits: 24), .integer(bits: 36)]
        case .usdod96: [.cage8, .integer(bits: 36)]
        case .adiVar: [.cage6, .string6(maxChars: 32, minChars: 0, set: .adi), .string6(maxChars: 30, minChars: 1, set: .adiSerial)]
        }
    }
}

/// How one field (or, for a partition, the company prefix and the field after it) is coded in binary.
enum Segment: Sendable {
    /// 3-bit partition, company prefix, and the field whose size the partition sets: two URI components.
    case partition(PartitionTable)
    /// An unsigned integer, written in URIs without leading zeros; at most `maxDigits` decimal digits when set.
    case integer(bits: Int, maxDigits: Int? = nil)
    /// A string of the 7-bit GS1 character set, zero-terminated and zero-padded to `bits`.
    case string7(bits: Int)
    /// A string of digits whose leading zeros count, stored as the integer of "1" followed by the digits.
    case numericString(bits: Int, maxDigits: Int)
    /// An integer always written with `digits` digits (ITIP piece and total).
    case fixedWidth(bits: Int, digits: Int)
    /// A 6-bit string terminated by six zero bits.
    case string6(maxChars: Int, minChars: Int, set: Characters.Set)
    /// A 5-character CAGE code (space-padded in front) or a 6-character DoDAAC, 6 bits a character.
    case cage6
    /// A 5-character CAGE code (space-padded in front) or a 6-character DoDAAC, 8-bit ASCII.
    case cage8
    /// Bits that must be zero; no URI component.
    case reserved(bits: Int)

    /// How many URI components the segment carries.
    var componentCount: Int {
        switch self {
        case .partition: 2
        case .reserved: 0
        default: 1
        }
    }
}

/// A partition table: for each partition value, the company prefix's size and the next field's.
struct PartitionTable: Sendable {
    /// How the field after the company prefix is coded.
    enum Kind: Sendable {
        /// Decimal digits, exactly `digits` of them with leading zeros (0 digits: all bits zero).
        case padded
        /// An integer without leading zeros, below 10^`digits` (GIAI-96, CPI-96).
        case unpadded
        /// A 7-bit GS1 string of at most `digits` characters, padded to the field's bits (GIAI-202).
        case string7
        /// A 6-bit CPI string of 1 to `digits` characters and a terminator (CPI-var).
        case string6
    }

    /// Bits and digits (or characters) of the field after the company prefix, per partition 0–6.
    let rows: [(bits: Int, digits: Int)]
    let kind: Kind

    // TDS 2.x partition tables; the company prefix column is the same for all (``GS1/companyPrefixPartitions``).
    static let sgtin = PartitionTable(rows: [(4, 1), (7, 2), (10, 3), (14, 4), (17, 5), (20, 6), (24, 7)], kind: .padded)
    static let sscc = PartitionTable(rows: [(18, 5), (21, 6), (24, 7), (28, 8), (31, 9), (34, 10), (38, 11)], kind: .padded)
    static let sgln = PartitionTable(rows: [(1, 0), (4, 1), (7, 2), (11, 3), (14, 4), (17, 5), (21, 6)], kind: .padded)
    static let grai = PartitionTable(rows: [(4, 0), (7, 1), (10, 2), (14, 3), (17, 4), (20, 5), (24, 6)], kind: .padded)
    static let giai96 = PartitionTable(rows: [(42, 13), (45, 14), (48, 15), (52, 16), (55, 17), (58, 18), (62, 19)], kind: .unpadded)
    static let giai202 = PartitionTable(rows: [(148, 18), (151, 19), (154, 20), (158, 21), (161, 22), (164, 23), (168, 24)], kind: .string7)
    static let cpi96 = PartitionTable(rows: [(11, 3), (14, 4), (17, 5), (21, 6), (24, 7), (27, 8), (31, 9)], kind: .unpadded)
    static let cpiVar = PartitionTable(rows: [(114, 18), (120, 19), (126, 20), (132, 21), (138, 22), (144, 23), (150, 24)], kind: .string6)
}
