/// A typed error raised by the segmentation core for inputs it cannot work with.
///
/// The core is pure computation, so every failure is either bad input (empty data, invalid
/// parameters) or a numerical failure (a fit or a series that did not produce a finite answer).
public struct SegmentationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The machine-readable category of a ``SegmentationError``.
    public enum Code: String, Sendable, Hashable, Codable {
        /// No purchases (or no usable customers) were given.
        case noPurchases
        /// Too few observations to identify a model's parameters.
        case insufficientData
        /// An argument was outside the domain of the computation (negative time, NaN amount, ...).
        case invalidInput
        /// A model parameter was outside its valid region (e.g. non-positive shape).
        case invalidParameters
        /// A fit ended at a non-finite likelihood or non-finite parameters.
        case nonFiniteFit
        /// A series (e.g. the Gauss hypergeometric 2F1) did not converge within its term budget.
        case notConverged
    }

    /// The category of the failure.
    public let code: Code
    /// A human-readable explanation naming the offending value.
    public let message: String

    /// Creates an error with a category and an explanation.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`, for logs.
    public var description: String { "\(code.rawValue): \(message)" }
}
