/// The store's edge filter: which GS1 tags belong to the store's own company prefixes.
///
/// Tags people carry in from elsewhere are foreign: the pipeline drops them before matching.
public struct CompanyPrefixFilter: Sendable {
    private let prefixes: Set<CompanyPrefix>

    /// Accepts tags of any of `prefixes`; an empty list accepts every GS1 tag.
    public init(_ prefixes: [CompanyPrefix]) { self.prefixes = Set(prefixes) }

    /// Whether the filter accepts everything.
    public var acceptsAll: Bool { prefixes.isEmpty }

    /// Whether a tag whose first 64 bits are `word` is one of the store's own.
    @inline(__always)
    public func accepts(epcLeadingWord word: UInt64) -> Bool {
        if prefixes.isEmpty { return CompanyPrefix(epcLeadingWord: word) != nil }
        guard let prefix = CompanyPrefix(epcLeadingWord: word) else { return false }
        return prefixes.contains(prefix)
    }
}
