/// What an EPC bank holds: a TDS-coded EPC, or bits with no TDS header, which are reported as they are.
public enum EPC: Hashable, Sendable {
    /// An EPC of one of the TDS binary schemes.
    case tag(EPCTag)
    /// Bits whose header is not a TDS header (a TID copied into the EPC bank, a proprietary code):
    /// never guessed at.
    case raw(EPCBinary)

    /// Decodes any EPC: a TDS scheme when the header names one, `raw` otherwise.
    /// Throws when a TDS header is followed by fields that break the scheme's rules.
    public static func decode(_ source: some EPCBitSource) throws(EPCError) -> EPC {
        guard source.epcBitCount > 0 else { throw EPCError(.truncated, "the EPC is empty") }
        guard source.epcBitCount >= 8, EPCBinaryScheme(header: UInt8(source.epcBits(at: 0, count: 8))) != nil else {
            return .raw(EPCBinary(copying: source))
        }
        return .tag(try EPCTag(decoding: source))
    }

    /// Decodes hex digits (see ``EPCBinary/init(hex:)``).
    public static func decode(hex: String) throws(EPCError) -> EPC {
        try decode(EPCBinary(hex: hex))
    }

    /// The tag URI, or for raw bits the raw URI `urn:epc:raw:<bits>.x<HEX>`.
    public var tagURI: String {
        switch self {
        case .tag(let tag): tag.tagURI
        case .raw(let binary): "urn:epc:raw:\(binary.bitCount).x\(binary.hex)"
        }
    }
}

/// A TDS-coded EPC: a binary scheme, a filter value and the identity.
public struct EPCTag: Hashable, Sendable, CustomStringConvertible {
    /// The binary coding scheme.
    public let binaryScheme: EPCBinaryScheme
    /// The filter value (0 for GID-96, which has none); its width depends on the scheme.
    public let filter: UInt8
    /// What the EPC identifies.
    public let identity: EPCIdentity
    /// The encoding, exactly as long as the scheme needs (no padding).
    public let binary: EPCBinary

    /// Encodes `identity` in `binaryScheme` with `filter`; throws when it does not fit that scheme.
    public init(_ binaryScheme: EPCBinaryScheme, filter: UInt8, identity: EPCIdentity) throws(EPCError) {
        guard binaryScheme.scheme == identity.scheme else {
            throw EPCError(.unknownHeader, "\(binaryScheme.rawValue) does not encode \(identity.scheme.rawValue) identities")
        }
        self.binaryScheme = binaryScheme
        self.filter = filter
        self.identity = identity
        binary = try Codec.encode(binaryScheme, filter: filter, components: identity.components)
    }

    /// Encodes `identity` in the narrowest binary scheme of its EPC scheme that can hold it
    /// (SGTIN-96 before SGTIN-198, CPI-96 before CPI-var, …).
    public init(_ identity: EPCIdentity, filter: UInt8 = 0) throws(EPCError) {
        var failure: EPCError?
        for scheme in identity.scheme.binarySchemes {
            do {
                self = try EPCTag(scheme, filter: filter, identity: identity)
                return
            } catch {
                failure = error
            }
        }
        throw failure!
    }

    /// Decodes a binary EPC; throws ``EPCError/Code/unknownHeader`` for a header that is not a TDS scheme's.
    public init(decoding source: some EPCBitSource) throws(EPCError) {
        guard source.epcBitCount >= 8 else {
            throw EPCError(.truncated, "an EPC needs at least its 8-bit header, got \(source.epcBitCount) bits")
        }
        let header = UInt8(source.epcBits(at: 0, count: 8))
        guard let scheme = EPCBinaryScheme(header: header) else {
            throw EPCError(.unknownHeader, "header 0x\(GS1.hexByte(header)) is not the header of a TDS binary scheme")
        }
        let decoded = try Codec.decode(source, as: scheme)
        binaryScheme = scheme
        filter = decoded.filter
        identity = EPCIdentity(validated: scheme.scheme, decoded.components)
        binary = EPCBinary(copying: BitPrefix(source: source, count: decoded.bitLength))
    }

    /// Decodes hex digits; throws ``EPCError/Code/unknownHeader`` when they are not a TDS EPC.
    public init(hex: String) throws(EPCError) {
        try self.init(decoding: EPCBinary(hex: hex))
    }

    /// Parses a tag URI, `urn:epc:tag:sgtin-96:3.0614141.812345.6789`.
    public init(tagURI uri: String) throws(EPCError) {
        guard uri.hasPrefix("urn:epc:tag:") else { throw EPCError(.malformed, "'\(uri)' is not a tag URI (urn:epc:tag:…)") }
        let rest = uri.dropFirst("urn:epc:tag:".count)
        guard let colon = rest.firstIndex(of: ":") else { throw EPCError(.malformed, "'\(uri)' has no scheme") }
        let name = String(rest[..<colon])
        guard let scheme = EPCBinaryScheme(rawValue: name) else {
            throw EPCError(.unknownHeader, "'\(name)' in '\(uri)' is not a TDS binary scheme")
        }
        let hasFilter = scheme.filterBits > 0
        guard let parts = URIParts.split(rest[rest.index(after: colon)...], count: scheme.scheme.componentNames.count + (hasFilter ? 1 : 0)) else {
            throw EPCError(.malformed, "'\(uri)' does not have the fields of \(scheme.rawValue): \(URIParts.layout(scheme))")
        }
        let filter: UInt8 = try hasFilter ? URIParts.filter(parts[0], scheme: scheme) : 0
        let identity = try EPCIdentity(scheme.scheme, uriComponents: Array(parts.dropFirst(hasFilter ? 1 : 0)))
        try self.init(scheme, filter: filter, identity: identity)
    }

    /// The tag URI, `urn:epc:tag:sgtin-96:3.0614141.812345.6789`.
    public var tagURI: String {
        let fields = (binaryScheme.filterBits > 0 ? [String(filter)] : []) + identity.escapedComponents
        return "urn:epc:tag:\(binaryScheme.rawValue):" + fields.joined(separator: ".")
    }

    /// Uppercase hex of the encoding padded to whole 16-bit words, as written to a tag's EPC bank.
    public var hex: String { binary.paddedToWords.hex }

    /// The tag URI.
    public var description: String { tagURI }
}

/// What an EPC identifies, independent of how it is coded on a tag: the pure identity.
public struct EPCIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The EPC scheme.
    public let scheme: EPCScheme
    /// The fields in pure-identity URI order, unescaped: digits keep their leading zeros
    /// (`0614141`), strings are the characters themselves (`a/b`, not `a%2Fb`).
    public let components: [String]

    /// Creates an identity, checking every field against the scheme (it must fit the scheme's widest binary coding).
    public init(_ scheme: EPCScheme, components: [String]) throws(EPCError) {
        _ = try Codec.encode(scheme.widest, filter: 0, components: components)
        self.scheme = scheme
        self.components = components
    }

    /// Wraps components the decoder produced; they are valid by construction.
    init(validated scheme: EPCScheme, _ components: [String]) {
        self.scheme = scheme
        self.components = components
    }

    /// Parses a pure-identity URI, `urn:epc:id:sgtin:0614141.812345.6789`.
    public init(pureIdentityURI uri: String) throws(EPCError) {
        guard uri.hasPrefix("urn:epc:id:") else { throw EPCError(.malformed, "'\(uri)' is not a pure-identity URI (urn:epc:id:…)") }
        let rest = uri.dropFirst("urn:epc:id:".count)
        guard let colon = rest.firstIndex(of: ":") else { throw EPCError(.malformed, "'\(uri)' has no scheme") }
        let name = String(rest[..<colon])
        guard let scheme = EPCScheme(rawValue: name) else {
            throw EPCError(.unknownHeader, "'\(name)' in '\(uri)' is not an EPC scheme")
        }
        guard let parts = URIParts.split(rest[rest.index(after: colon)...], count: scheme.componentNames.count) else {
            throw EPCError(.malformed, "'\(uri)' does not have the fields of \(scheme.rawValue): \(scheme.componentNames.joined(separator: "."))")
        }
        try self.init(scheme, uriComponents: parts)
    }

    /// Builds an identity from URI components (escaped).
    init(_ scheme: EPCScheme, uriComponents parts: [Substring]) throws(EPCError) {
        var components: [String] = []
        for (index, part) in parts.enumerated() {
            let field = "\(scheme.rawValue) \(scheme.componentNames[index])"
            if let set = URIParts.characterSet(scheme, component: index) {
                components.append(try Characters.unescape(part, set: set, field: field))
            } else {
                // Numeric fields: escapes would be pointless and TDS grammar has none there.
                components.append(String(part))
            }
        }
        try self.init(scheme, components: components)
    }

    /// The pure-identity URI, `urn:epc:id:sgtin:0614141.812345.6789`.
    public var pureIdentityURI: String {
        "urn:epc:id:\(scheme.rawValue):" + escapedComponents.joined(separator: ".")
    }

    /// The components as they appear in URIs.
    var escapedComponents: [String] {
        components.enumerated().map { index, value in
            URIParts.characterSet(scheme, component: index) == nil ? value : Characters.escape(value)
        }
    }

    /// The GS1 company prefix, for GS1-keyed schemes.
    public var companyPrefix: String? { scheme.isGS1Keyed ? components[0] : nil }

    /// The pure-identity URI.
    public var description: String { pureIdentityURI }
}

/// The first `count` bits of a source.
private struct BitPrefix<Source: EPCBitSource>: EPCBitSource {
    let source: Source
    let count: Int
    var epcBitCount: Int { count }
    func epcBits(at offset: Int, count: Int) -> UInt64 {
        // Bits past the prefix read as zero, like bits past any source's end.
        let value = source.epcBits(at: offset, count: count)
        let valid = self.count - offset
        if valid >= count { return value }
        if valid <= 0 { return 0 }
        return value & ~((1 << UInt64(count - valid)) - 1)
    }
}

/// Splitting and checking URI bodies.
enum URIParts {
    /// Splits a dotted body into `count` parts; the last part keeps any further dots, since only the last
    /// field of a scheme can be a GS1 string, and `.` is one of its characters.
    static func split(_ body: Substring, count: Int) -> [Substring]? {
        let parts = body.split(separator: ".", maxSplits: count - 1, omittingEmptySubsequences: false)
        return parts.count == count ? parts : nil
    }

    /// The character set of a string component, `nil` for numeric ones.
    static func characterSet(_ scheme: EPCScheme, component index: Int) -> Characters.Set? {
        var position = 0
        for segment in scheme.widest.segments {
            let count = segment.componentCount
            if index < position + count {
                switch segment {
                case .partition(let table):
                    guard index == position + 1 else { return nil }
                    switch table.kind {
                    case .string7: return .gs1
                    case .string6: return .cpi
                    default: return nil
                    }
                case .string7: return .gs1
                case .string6(_, _, let set): return set
                case .cage6, .cage8: return .cage
                default: return nil
                }
            }
            position += count
        }
        return nil
    }

    /// A filter value: a small integer without leading zeros.
    static func filter(_ text: Substring, scheme: EPCBinaryScheme) throws(EPCError) -> UInt8 {
        let value = try Codec.integer(String(text), field: "\(scheme.rawValue) filter")
        guard value < 1 << UInt64(scheme.filterBits) else {
            throw EPCError(.fieldOverflow, "\(scheme.rawValue) filter \(value) does not fit \(scheme.filterBits) bits (0–\((1 << scheme.filterBits) - 1))")
        }
        return UInt8(value)
    }

    /// `filter.company prefix.item reference.serial`, for messages.
    static func layout(_ scheme: EPCBinaryScheme) -> String {
        ((scheme.filterBits > 0 ? ["filter"] : []) + scheme.scheme.componentNames).joined(separator: ".")
    }
}
