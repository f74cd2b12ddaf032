import EPC
import GatewayCore

/// A tag's bits, read in place by the EPC decoder and pattern matcher.
struct TagBits: EPCBitSource {
    let tag: TagID

    @inline(__always)
    var epcBitCount: Int { Int(tag.bitCount) }

    @inline(__always)
    func epcBits(at offset: Int, count: Int) -> UInt64 { tag.bits(at: offset, count: count) }
}

/// The store's edge filter: `store.filter` and `store.companyPrefixes` compiled into EPC pattern
/// matchers. Runs on every tag new to a zone, without allocating.
public struct EdgeFilter: Sendable {
    private let filter: EPCEdgeFilter?

    /// Compiles the store's patterns; an error names the pattern's key path, e.g.
    /// `store.filter.include[1]: 'urn:epc:pat:sgtin-96:3.0614141.81234.*' is not an EPC pattern (…)`.
    public init(layout: StoreLayoutConfig) throws(ConfigError) {
        let path = layout.filter.path
        let storePath = path.hasSuffix(".filter") ? String(path.dropLast(".filter".count)) : path
        var include: [EPCPattern] = []
        for (index, prefix) in layout.companyPrefixes.enumerated() {
            do {
                include += try EPCPattern.companyPrefixPatterns([prefix])
            } catch {
                throw ConfigError(.invalidValue, at: "\(storePath).companyPrefixes[\(index)]", "'\(prefix)' is not a GS1 company prefix (\(error))")
            }
        }
        include += try Self.compile(layout.filter.include, at: "\(path).include")
        filter = EPCEdgeFilter(include: include, exclude: try Self.compile(layout.filter.exclude, at: "\(path).exclude"))
    }

    private init(rejectingAll: Void) { filter = nil }

    /// Lets nothing through: what the pipeline falls back to when its patterns do not compile.
    public static let rejectAll = EdgeFilter(rejectingAll: ())

    private static func compile(_ patterns: [String], at keyPath: String) throws(ConfigError) -> [EPCPattern] {
        var compiled: [EPCPattern] = []
        for (index, pattern) in patterns.enumerated() {
            do {
                compiled.append(try EPCPattern(pattern))
            } catch {
                throw ConfigError(.invalidValue, at: "\(keyPath)[\(index)]", "'\(pattern)' is not an EPC pattern (\(error))")
            }
        }
        return compiled
    }

    /// Whether the tag enters the pipeline.
    @inline(__always)
    public func accepts(_ tag: TagID) -> Bool {
        filter?.accepts(TagBits(tag: tag)) ?? false
    }
}
