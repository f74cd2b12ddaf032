/// Why an EPC could not be decoded or encoded.
public struct EPCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// The header byte is not one this code decodes.
        case unknownHeader
        /// The partition value is 7 (invalid) or out of range for the scheme.
        case invalidPartition
        /// A field holds more digits or bits than its slot allows.
        case fieldOverflow
        /// A GS1 key's check digit does not match.
        case badCheckDigit
        /// Fewer bits than the scheme needs.
        case truncated
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

    public var description: String { message }
}
