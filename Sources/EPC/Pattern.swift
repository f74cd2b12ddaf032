/// An EPC pattern URI compiled into bit tests: `urn:epc:pat:sgtin-96:3.0614141.*.*` (a tag pattern,
/// fields as on the tag, filter included, ranges `[lo-hi]` allowed on integer fields) or
/// `urn:epc:idpat:sgtin:0614141.*.*` (an identity pattern: every binary scheme of the EPC scheme,
/// any filter).
///
/// Matching reads only the bits a pattern names, straight from the tag, and never allocates.
/// It does not check fields the pattern leaves as `*`: a pattern tells tags apart, it does not
/// validate them.
public struct EPCPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let uri: String
    /// One program per binary scheme the pattern can match.
    let programs: [Program]

    /// Parses and compiles a pattern URI.
    public init(_ uri: String) throws(EPCError) {
        self.uri = uri
        if uri.hasPrefix("urn:epc:pat:") {
            programs = [try Self.compileTagPattern(uri.dropFirst("urn:epc:pat:".count), uri: uri)]
        } else if uri.hasPrefix("urn:epc:idpat:") {
            programs = try Self.compileIdentityPattern(uri.dropFirst("urn:epc:idpat:".count), uri: uri)
        } else {
            throw EPCError(.malformed, "'\(uri)' is neither a tag pattern (urn:epc:pat:…) nor an identity pattern (urn:epc:idpat:…)")
        }
    }

    /// Whether the EPC matches.
    public func matches(_ source: some EPCBitSource) -> Bool {
        let count = source.epcBitCount
        guard count >= 8 else { return false }
        let header = UInt8(source.epcBits(at: 0, count: 8))
        var index = 0
        while index < programs.count {
            if programs[index].header == header, programs[index].run(source, count: count) { return true }
            index += 1
        }
        return false
    }

    /// The URI.
    public var description: String { uri }

    /// Equal when written the same.
    public static func == (lhs: EPCPattern, rhs: EPCPattern) -> Bool { lhs.uri == rhs.uri }

    /// Hashes the URI.
    public func hash(into hasher: inout Hasher) { hasher.combine(uri) }

    /// Include patterns for "the tags of these company prefixes": every GS1-keyed EPC scheme, any filter.
    public static func companyPrefixPatterns(_ prefixes: [String]) throws(EPCError) -> [EPCPattern] {
        var patterns: [EPCPattern] = []
        for prefix in prefixes {
            for scheme in EPCScheme.allCases where scheme.isGS1Keyed {
                let stars = Array(repeating: "*", count: scheme.componentNames.count - 1)
                patterns.append(try EPCPattern("urn:epc:idpat:\(scheme.rawValue):" + ([prefix] + stars).joined(separator: ".")))
            }
        }
        return patterns
    }

    // MARK: Compiling

    /// One pattern component.
    enum Value {
        case any
        case exact(Substring)
        case range(UInt64, UInt64)

        init(_ text: Substring, field: String) throws(EPCError) {
            if text == "*" {
                self = .any
            } else if text.hasPrefix("[") {
                let inner = text.dropFirst().dropLast()
                let bounds = inner.split(separator: "-", omittingEmptySubsequences: false)
                guard text.hasSuffix("]"), bounds.count == 2 else {
                    throw EPCError(.malformed, "\(field) '\(text)' is not a range [low-high]")
                }
                let low = try Codec.integer(String(bounds[0]), field: field)
                let high = try Codec.integer(String(bounds[1]), field: field)
                guard low <= high else { throw EPCError(.malformed, "\(field) range \(text) runs backwards") }
                self = .range(low, high)
            } else {
                self = .exact(text)
            }
        }

        var isAny: Bool { if case .any = self { true } else { false } }
    }

    private static func compileTagPattern(_ body: Substring, uri: String) throws(EPCError) -> Program {
        guard let colon = body.firstIndex(of: ":"), let scheme = EPCBinaryScheme(rawValue: String(body[..<colon])) else {
            throw EPCError(.unknownHeader, "'\(uri)' does not name a TDS binary scheme after urn:epc:pat:")
        }
        let hasFilter = scheme.filterBits > 0
        guard let parts = URIParts.split(body[body.index(after: colon)...], count: scheme.scheme.componentNames.count + (hasFilter ? 1 : 0)) else {
            throw EPCError(.malformed, "'\(uri)' does not have the fields of \(scheme.rawValue): \(URIParts.layout(scheme))")
        }
        let filter = try hasFilter ? Value(parts[0], field: "\(scheme.rawValue) filter") : .any
        var values: [Value] = []
        for (index, part) in parts.dropFirst(hasFilter ? 1 : 0).enumerated() {
            values.append(try Value(part, field: "\(scheme.rawValue) \(scheme.scheme.componentNames[index])"))
        }
        return try compile(scheme, filter: filter, values: values)
    }

    private static func compileIdentityPattern(_ body: Substring, uri: String) throws(EPCError) -> [Program] {
        guard let colon = body.firstIndex(of: ":"), let scheme = EPCScheme(rawValue: String(body[..<colon])) else {
            throw EPCError(.unknownHeader, "'\(uri)' does not name an EPC scheme after urn:epc:idpat:")
        }
        guard let parts = URIParts.split(body[body.index(after: colon)...], count: scheme.componentNames.count) else {
            throw EPCError(.malformed, "'\(uri)' does not have the fields of \(scheme.rawValue): \(scheme.componentNames.joined(separator: "."))")
        }
        var values: [Value] = []
        for (index, part) in parts.enumerated() {
            let value = try Value(part, field: "\(scheme.rawValue) \(scheme.componentNames[index])")
            if case .range = value { throw EPCError(.malformed, "'\(uri)': ranges are allowed in tag patterns (urn:epc:pat:) only") }
            values.append(value)
        }
        // A value one binary scheme cannot hold (serial "ABC" in SGTIN-96) just means no tag of that scheme matches.
        var programs: [Program] = []
        var failure: EPCError?
        for binary in scheme.binarySchemes {
            do { programs.append(try compile(binary, filter: .any, values: values)) } catch { failure = error }
        }
        if programs.isEmpty, let failure { throw failure }
        return programs
    }

    static func compile(_ scheme: EPCBinaryScheme, filter: Value, values: [Value]) throws(EPCError) -> Program {
        let names = scheme.scheme.componentNames
        var steps: [Step] = []
        switch filter {
        case .any: steps.append(.skip(scheme.filterBits))
        case .exact(let text):
            let value = try URIParts.filter(text, scheme: scheme)
            steps.append(.field(width: scheme.filterBits, low: UInt64(value), high: UInt64(value)))
        case .range(let low, let high):
            guard high < 1 << UInt64(scheme.filterBits) else {
                throw EPCError(.fieldOverflow, "\(scheme.rawValue) filter range ends at \(high), past \((1 << scheme.filterBits) - 1)")
            }
            steps.append(.field(width: scheme.filterBits, low: low, high: high))
        }
        var index = 0
        for segment in scheme.segments {
            let field = segment.componentCount > 0 ? "\(scheme.rawValue) \(names[index])" : scheme.rawValue
            switch segment {
            case .partition(let table):
                let second = "\(scheme.rawValue) \(names[index + 1])"
                switch (values[index], values[index + 1]) {
                case (.any, .any):
                    if table.kind == .string6 {
                        steps += [.skipCompanyPrefix, .skipString6(maxCharacters: table.rows.map(\.digits).max()!)]
                    } else {
                        steps += [.field(width: 3, low: 0, high: 6), .skip(GS1.companyPrefixPartitions[0].bits + table.rows[0].bits)]
                    }
                case (.any, _):
                    throw EPCError(.malformed, "\(second) can only be matched together with the company prefix: its size depends on the prefix's")
                case (.exact(let text), let value):
                    let prefix = try Codec.companyPrefix(String(text), field: field)
                    steps += [.field(width: 3, low: UInt64(prefix.partition), high: UInt64(prefix.partition)),
                              .field(width: prefix.bits, low: prefix.value, high: prefix.value)]
                    let row = table.rows[prefix.partition]
                    switch value {
                    case .any:
                        steps.append(table.kind == .string6 ? .skipString6(maxCharacters: row.digits) : .skip(row.bits))
                    case .exact(let text):
                        var writer = BitWriter()
                        let unescaped = try unescape(text, scheme.scheme, component: index + 1, field: second)
                        try Codec.encodeSecond(table, partition: prefix.partition, unescaped, field: second, into: &writer)
                        steps += Step.equal(writer)
                    case .range:
                        throw EPCError(.malformed, "\(second) cannot be a range: ranges apply to integer fields")
                    }
                case (.range, _):
                    throw EPCError(.malformed, "\(field) cannot be a range: ranges apply to integer fields")
                }
            case .reserved(let bits):
                steps.append(.skip(bits))
            default:
                switch values[index] {
                case .any:
                    steps.append(segment.skip)
                case .exact(let text):
                    var writer = BitWriter()
                    let unescaped = try unescape(text, scheme.scheme, component: index, field: field)
                    try Codec.encodeField(segment, unescaped, field: field, into: &writer)
                    steps += Step.equal(writer)
                case .range(let low, let high):
                    switch segment {
                    case .integer(let bits, _), .fixedWidth(let bits, _):
                        // Check the upper bound as the encoder would check the value.
                        var writer = BitWriter()
                        try Codec.encodeField(segment, segment.text(of: high), field: field, into: &writer)
                        steps.append(.field(width: bits, low: low, high: high))
                    default:
                        throw EPCError(.malformed, "\(field) cannot be a range: ranges apply to integer fields")
                    }
                }
            }
            index += segment.componentCount
        }
        while case .skip = steps.last { steps.removeLast() }
        return Program(header: scheme.header, minBits: scheme.bitLength ?? 8, steps: steps)
    }

    private static func unescape(_ text: Substring, _ scheme: EPCScheme, component: Int, field: String) throws(EPCError) -> String {
        guard let set = URIParts.characterSet(scheme, component: component) else { return String(text) }
        return try Characters.unescape(text, set: set, field: field)
    }
}

/// The tests of one binary scheme, run from the bit after the header.
struct Program: Sendable {
    let header: UInt8
    /// Shorter EPCs cannot be this scheme.
    let minBits: Int
    let steps: [Step]

    /// Runs the steps over `source`.
    @inline(__always)
    func run<Source: EPCBitSource>(_ source: Source, count: Int) -> Bool {
        guard count >= minBits else { return false }
        var cursor = 8
        // An index loop over the concrete array: unoptimised builds allocate a frame for every
        // element a generic iterator reads, and the edge filter must not allocate in any build.
        var index = 0
        while index < steps.count {
            let step = steps[index]
            index += 1
            switch step {
            case .field(let width, let low, let high):
                guard cursor + width <= count else { return false }
                let value = source.epcBits(at: cursor, count: width)
                guard value >= low, value <= high else { return false }
                cursor += width
            case .skip(let bits):
                cursor += bits
            case .skipCompanyPrefix:
                guard cursor + 3 <= count else { return false }
                let partition = Int(source.epcBits(at: cursor, count: 3))
                guard partition < 7 else { return false }
                cursor += 3 + GS1.companyPrefixPartitions[partition].bits
            case .skipString6(let maxCharacters):
                var characters = 0
                while true {
                    guard cursor + 6 <= count, characters <= maxCharacters else { return false }
                    let code = source.epcBits(at: cursor, count: 6)
                    cursor += 6
                    if code == 0 { break }
                    characters += 1
                }
            }
        }
        return true
    }
}

/// One test of a program.
enum Step: Sendable {
    /// The next `width` bits (at most 64) lie in `low...high`.
    case field(width: Int, low: UInt64, high: UInt64)
    /// Bits the pattern does not care about.
    case skip(Int)
    /// A partition and the company prefix it sizes, any value.
    case skipCompanyPrefix
    /// A terminated 6-bit string, any value.
    case skipString6(maxCharacters: Int)

    /// Equality with every bit a writer holds, 64 bits a test.
    static func equal(_ writer: BitWriter) -> [Step] {
        let binary = writer.binary
        var steps: [Step] = []
        var offset = 0
        while offset < binary.bitCount {
            let width = min(64, binary.bitCount - offset)
            let value = binary.epcBits(at: offset, count: width)
            steps.append(.field(width: width, low: value, high: value))
            offset += width
        }
        return steps
    }
}

extension Segment {
    /// The step that passes over this segment whatever it holds.
    var skip: Step {
        switch self {
        case .integer(let bits, _), .string7(let bits), .numericString(let bits, _), .fixedWidth(let bits, _), .reserved(let bits):
            return .skip(bits)
        case .string6(let maxCharacters, _, _):
            return .skipString6(maxCharacters: maxCharacters)
        case .cage6:
            return .skip(36)
        case .cage8:
            return .skip(48)
        case .partition:
            preconditionFailure("a partition is skipped with its company prefix")
        }
    }

    /// How an integer is written in a URI for this segment.
    func text(of value: UInt64) -> String {
        if case .fixedWidth(_, let digits) = self { return GS1.padded(value, digits) }
        return String(value)
    }
}

/// Patterns compiled together, looked up by header: the edge filter's include or exclude list.
public struct EPCPatternSet: Sendable {
    /// The patterns, as given.
    public let patterns: [EPCPattern]
    /// Programs sorted by header; `starts[h]..<starts[h + 1]` are those of header `h`.
    private let starts: [Int]
    private let programs: [Program]

    /// Compiles the set.
    public init(_ patterns: [EPCPattern]) {
        self.init(patterns: patterns, programs: patterns.flatMap(\.programs))
    }

    private init(patterns: [EPCPattern], programs: [Program]) {
        self.patterns = patterns
        self.programs = programs.sorted { $0.header < $1.header }
        var starts = [Int](repeating: 0, count: 257)
        for program in self.programs { starts[Int(program.header) + 1] += 1 }
        for header in 0..<256 { starts[header + 1] += starts[header] }
        self.starts = starts
    }

    /// Whether the set has no patterns.
    public var isEmpty: Bool { programs.isEmpty }

    /// Whether any pattern matches the EPC.
    public func matches(_ source: some EPCBitSource) -> Bool {
        let count = source.epcBitCount
        guard count >= 8 else { return false }
        let header = Int(source.epcBits(at: 0, count: 8))
        var index = starts[header]
        let end = starts[header + 1]
        while index < end {
            if programs[index].run(source, count: count) { return true }
            index += 1
        }
        return false
    }

    /// Every EPC of a TDS binary scheme (with a valid partition where it has one): what an edge
    /// filter without include patterns accepts.
    public static let anyTDS: EPCPatternSet = {
        let programs = EPCBinaryScheme.allCases.map { scheme in
            // Cannot fail: every field is `*`.
            try! EPCPattern.compile(scheme, filter: .any, values: Array(repeating: .any, count: scheme.scheme.componentNames.count))
        }
        return EPCPatternSet(patterns: [], programs: programs)
    }()
}

/// The store's edge filter: which tags enter the pipeline.
///
/// A tag is accepted when it matches an include pattern (or, with no include patterns, when it
/// is a TDS EPC of any scheme) and matches no exclude pattern. Tags without a TDS header never
/// match a pattern, so they are dropped.
public struct EPCEdgeFilter: Sendable {
    /// What is let in; empty means every TDS EPC.
    public let include: EPCPatternSet
    /// What is kept out, even when included.
    public let exclude: EPCPatternSet

    /// A filter of compiled patterns.
    public init(include: [EPCPattern] = [], exclude: [EPCPattern] = []) {
        self.include = EPCPatternSet(include)
        self.exclude = EPCPatternSet(exclude)
    }

    /// Whether the tag passes.
    @inline(__always)
    public func accepts(_ source: some EPCBitSource) -> Bool {
        let included = include.isEmpty ? EPCPatternSet.anyTDS.matches(source) : include.matches(source)
        return included && !exclude.matches(source)
    }
}
