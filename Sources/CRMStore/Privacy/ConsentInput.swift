import Foundation
import GatewayCore

/// One `customer.consent` message from another system (the loyalty app, the CRM, a kiosk): a
/// customer's decisions, each purpose on its own.
///
/// ```json
/// {"type": "customer.consent", "customer": "LOY-7731-0042", "recognition": true, "marketing": false,
///  "version": "2026-12", "ts": "2026-12-06T10:15:00.000Z"}
/// ```
public struct ConsentChange: Sendable, Equatable {
    /// The customer id (the loyalty id).
    public var customer: String
    /// The decisions, one per purpose the message names.
    public var decisions: [ConsentDecision]
    /// When the customer decided; `nil` means when the gateway received it.
    public var at: Timestamp?

    /// Creates a change.
    public init(customer: String, decisions: [ConsentDecision], at: Timestamp? = nil) {
        self.customer = customer
        self.decisions = decisions
        self.at = at
    }
}

/// What a `customer.consent` request did: the answer of the HTTP input.
public struct ConsentInputOutcome: Sendable, Equatable, Codable {
    /// Changes recorded.
    public var accepted = 0
    /// Changes refused (malformed, or for an unknown customer); the others were still recorded.
    public var rejected = 0
    /// Why each refused change was refused, naming its position (`[2].recognition: …`).
    public var errors: [String] = []

    /// Nothing done yet.
    public init() {}
}

/// The `customer.consent` input: parses a request body (one message, or an array of them) and
/// records each change in the store, where a running matcher picks it up within seconds.
public enum ConsentInput {
    /// The keys a message may carry.
    static let keys: Set<String> = Set(ConsentPurpose.allCases.map(\.rawValue)).union(["type", "customer", "version", "ts"])

    /// Parses a body; a malformed message is an error naming its position and key, and does not stop the others.
    /// - Throws: `CRMStoreError` (`.invalidInput`) when the body is not JSON, or neither an object nor an array.
    public static func parse(_ body: [UInt8]) throws(CRMStoreError) -> (changes: [(position: String, change: ConsentChange)], errors: [String]) {
        let messages: [(String, JSONValue)]
        do {
            switch try JSONDecoder().decode(JSONValue.self, from: Data(body)) {
            case .object(let object): messages = [("message", .object(object))]
            case .array(let array): messages = array.enumerated().map { ("[\($0.offset)]", $0.element) }
            default: throw CRMStoreError(.invalidInput, "the body is neither a customer.consent object nor an array of them")
            }
        } catch let error as CRMStoreError {
            throw error
        } catch {
            throw CRMStoreError(.invalidInput, "the body is not JSON: \(error)")
        }
        var changes: [(position: String, change: ConsentChange)] = []
        var errors: [String] = []
        for (position, message) in messages {
            switch change(message) {
            case .success(let change): changes.append((position, change))
            case .failure(let problem): errors.append("\(position)\(problem.key.map { ".\($0)" } ?? ""): \(problem.message)")
            }
        }
        return (changes, errors)
    }

    /// Parses a body and records every well-formed change, each in its own transaction.
    /// - Throws: `CRMStoreError` (`.invalidInput`) when the body as a whole is unreadable: nothing is recorded.
    public static func apply(_ body: [UInt8], to database: CRMDatabase, source: String = "http") throws(CRMStoreError) -> ConsentInputOutcome {
        let (changes, errors) = try parse(body)
        var outcome = ConsentInputOutcome()
        outcome.errors = errors
        outcome.rejected = errors.count
        for (position, change) in changes {
            do {
                try database.recordConsent(customerID: change.customer, change.decisions, source: source, at: change.at ?? .now())
                outcome.accepted += 1
            } catch {
                outcome.rejected += 1
                outcome.errors.append("\(position).customer: " + (error.code == .notFound ? "no customer '\(change.customer)' in the store" : error.message))
            }
        }
        return outcome
    }

    private struct Problem: Error {
        var key: String?
        var message: String
    }

    /// Just enough JSON to tell a boolean from a number and name what is wrong.
    private enum JSONValue: Decodable {
        case bool(Bool), string(String), object([String: JSONValue]), array([JSONValue]), other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([String: JSONValue].self) {
                self = .object(value)
            } else if let value = try? container.decode([JSONValue].self) {
                self = .array(value)
            } else {
                self = .other
            }
        }

        var string: String? { if case .string(let value) = self { value } else { nil } }
    }

    private static func change(_ message: JSONValue) -> Result<ConsentChange, Problem> {
        guard case .object(let object) = message else { return .failure(Problem(message: "is not an object")) }
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            return .failure(Problem(key: unknown, message: "is not a customer.consent key (\(keys.sorted().joined(separator: ", ")))"))
        }
        if let type = object["type"], type.string != "customer.consent" {
            return .failure(Problem(key: "type", message: "must be \"customer.consent\""))
        }
        guard let customer = object["customer"]?.string, !customer.isEmpty else {
            return .failure(Problem(key: "customer", message: "is missing (the customer id, a string)"))
        }
        var version: String?
        if let value = object["version"] {
            guard let text = value.string, !text.isEmpty else { return .failure(Problem(key: "version", message: "must be a non-empty string")) }
            version = text
        }
        var at: Timestamp?
        if let value = object["ts"] {
            guard let text = value.string, let time = Timestamp(rfc3339: text) else {
                return .failure(Problem(key: "ts", message: "must be an RFC 3339 time such as 2026-12-06T10:15:00.000Z"))
            }
            at = time
        }
        var decisions: [ConsentDecision] = []
        for purpose in ConsentPurpose.allCases {
            guard let value = object[purpose.rawValue] else { continue }
            guard case .bool(let granted) = value else { return .failure(Problem(key: purpose.rawValue, message: "must be true or false")) }
            decisions.append(ConsentDecision(purpose: purpose, granted: granted, version: version))
        }
        guard !decisions.isEmpty else {
            return .failure(Problem(message: "names no purpose (recognition, profiling or marketing)"))
        }
        return .success(ConsentChange(customer: customer, decisions: decisions, at: at))
    }
}
