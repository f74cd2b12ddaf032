/// Why an EPC, an EPC URI, a GS1 element string or an EPC pattern was rejected.
public struct EPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, CaseIterable {
        /// The header byte names no scheme this code decodes, or a URI names an unknown scheme.
        case unknownHeader
        /// The partition value is 7, or a company prefix has a length no partition provides (6–12 digits).
        case invalidPartition
        /// A field holds more digits, characters or bits than its slot allows.
        case fieldOverflow
        /// A GS1 key's check digit does not match.
        case badCheckDigit
        /// Fewer bits than the scheme needs (or an empty input).
        case truncated
        /// A string field holds a character its character set (7-bit GS1 AI set, 6-bit set, CAGE) excludes.
        case illegalCharacter
        /// A binary field holds a value its coding method cannot produce: non-zero reserved or padding
        /// bits, an empty string, a numeric string without its leading 1.
        case invalidField
        /// Input text is not hex, digits or a URI of the expected form.
        case malformed
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence naming the input and what is wrong with it.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
