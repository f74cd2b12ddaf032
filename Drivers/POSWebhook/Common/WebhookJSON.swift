import Foundation
import GatewayCore
import POSIngest

/// Decoding a webhook body, with errors that name the place in the document.
enum WebhookJSON {
    /// Decodes `body` as `T`; any problem is `malformed`, naming the key path
    /// (`data.object.order.line_items[1].quantity`) or, for broken JSON, the position.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], what: String) throws(POSIngestError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, context.underlyingError == nil,
               let position = syntaxError(body) {
                throw POSIngestError(.malformed, "malformed \(what): not valid JSON: \(position)")
            }
            throw POSIngestError(.malformed, "malformed \(what): \(describe(error))")
        } catch {
            throw POSIngestError(.malformed, "malformed \(what): \(error)")
        }
    }

    /// Where the JSON syntax breaks, as `line L, column C: reason`; `nil` when the text parses.
    ///
    /// JSONDecoder on Linux only says "not valid JSON"; JSONSerialization names the byte offset,
    /// which is turned into a line and column a person can find in the sender's log.
    static func syntaxError(_ body: [UInt8]) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
            return nil
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            guard let range = reason.range(of: "character "),
                  let offset = Int(reason[range.upperBound...].prefix { $0.isNumber }) else { return reason }
            var line = 1
            var column = 1
            for byte in body.prefix(offset) {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return "line \(line), column \(column): \(reason)"
        }
    }

    /// `line_items[1].quantity`, from a decoder's coding path.
    static func keyPath(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    /// A sentence naming where and what went wrong.
    static func describe(_ error: DecodingError) -> String {
        func place(_ context: DecodingError.Context) -> String {
            let path = keyPath(context.codingPath)
            return path.isEmpty ? "at the top level" : "at \(path)"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = keyPath(context.codingPath)
            return "missing key \(parent.isEmpty ? key.stringValue : "\(parent).\(key.stringValue)")"
        case .valueNotFound(let type, let context):
            return "\(place(context)): expected \(describe(type)), found null"
        case .typeMismatch(let type, let context):
            return "\(place(context)): expected \(describe(type)) (\(context.debugDescription))"
        case .dataCorrupted(let context):
            // Broken JSON: the parser's own message carries the line and column.
            if context.codingPath.isEmpty, let underlying = context.underlyingError {
                return "not valid JSON: \(underlying)"
            }
            return "\(place(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int64.Type, is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "a list"
        default: "\(type)"
        }
    }
}

/// A plain decimal number written as a JSON string (`"19.99"`), parsed exactly.
struct DecimalText: Decodable, Sendable {
    /// The value.
    let value: Decimal

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Money.parseDecimal(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a decimal number")
        }
        self.value = value
    }
}

/// A whole JSON number (minor units, counts), read exactly; a fraction is an error at its key path.
///
/// Decoding `Int64` directly would work, but on Linux a fraction then fails as "not valid JSON"
/// with no path at all.
struct WholeNumber: Decodable, Sendable {
    /// The value.
    let value: Int64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            value = try container.decode(Int64.self)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a whole number (of minor units, or a count)")
        }
    }
}

/// An id that a provider sends as a JSON number or a string (Shopify ids are numbers); kept as text.
struct FlexibleID: Decodable, Sendable {
    /// The id's text.
    let text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            text = String(number)
        } else if let string = try? container.decode(String.self), !string.isEmpty {
            text = string
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an id (a whole number or a non-empty string)")
        }
    }
}

/// An RFC 3339 time (`2026-11-23T10:15:00.123Z`, `2026-11-23T11:15:00+01:00`).
struct TimeText: Decodable, Sendable {
    /// The instant.
    let timestamp: Timestamp

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let timestamp = TimeText.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 time")
        }
        self.timestamp = timestamp
    }

    /// The instant `text` names, `nil` when it is not RFC 3339.
    static func parse(_ text: String) -> Timestamp? {
        Timestamp(rfc3339: text) ?? longFraction(text)
    }

    /// Square writes microseconds (`…:34.123456Z`); the ISO 8601 parser may only take milliseconds,
    /// so the fraction is cut to three digits (the bus keeps milliseconds anyway).
    private static func longFraction(_ text: String) -> Timestamp? {
        guard let dot = text.firstIndex(of: ".") else { return nil }
        let fraction = text[text.index(after: dot)...].prefix { $0.isNumber }
        guard fraction.count > 3 else { return nil }
        let rest = text[text.index(after: dot)...].dropFirst(fraction.count)
        return Timestamp(rfc3339: String(text[..<dot]) + "." + fraction.prefix(3) + rest)
    }
}

/// The business day of an instant in a store's time zone, `YYYY-MM-DD`.
enum BusinessDay {
    static func of(_ timestamp: Timestamp, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: timestamp.date)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year ?? 0, 4))-\(pad(parts.month ?? 0, 2))-\(pad(parts.day ?? 0, 2))"
    }
}
