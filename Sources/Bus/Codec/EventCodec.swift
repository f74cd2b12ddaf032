import Foundation
import GatewayCore

/// Turns events into bus messages (a topic frame and a JSON body) and back.
///
/// The JSON is the contract of bus v1: one flat object with `v`, `seq`, `gateway`, `store`,
/// `type`, `ts` and the payload's fields; amounts are JSON numbers and `ts` is RFC 3339 UTC with
/// milliseconds. A codec keeps one encoder and one decoder, so it belongs to one thread at a time;
/// give each thread its own.
public final class EventCodec {
    private let encoder: JSONEncoder
    private let decoder: JSONDecoder

    /// Creates a codec.
    public init() {
        encoder = JSONEncoder()
        // Slashes appear in transaction keys and ipc paths; escaping them only makes the JSON harder to read.
        encoder.outputFormatting = [.withoutEscapingSlashes]
        decoder = JSONDecoder()
    }

    /// Encodes `event` as a topic (its type) and a JSON body.
    public func encode(_ event: GatewayEvent) throws(BusError) -> (topic: String, body: [UInt8]) {
        switch event.payload {
        case .presenceEnter(let presence), .presenceExit(let presence):
            return (event.type.topic, try PresenceJSON.body(of: event, presence))
        default: break
        }
        do {
            let data = try encoder.encode(event)
            return (event.type.topic, [UInt8](data))
        } catch {
            // Only a value JSON cannot carry gets here, such as a NaN RSSI.
            throw BusError(.codec, "cannot encode \(event.type.topic) seq \(event.seq): \(Self.describe(error))")
        }
    }

    /// Decodes a message; throws when the body is not a v1 event or does not match its topic.
    public func decode(topic: String, body: [UInt8]) throws(BusError) -> GatewayEvent {
        let event: GatewayEvent
        if let presence = PresenceJSON.event(from: body) {
            event = presence
        } else {
            event = try decodeWithFoundation(topic: topic, body: body)
        }
        guard event.type.topic == topic else {
            throw BusError(.topicMismatch, "topic '\(topic)' carries a \(event.type.topic) event (seq \(event.seq) from \(event.gateway))")
        }
        return event
    }

    private func decodeWithFoundation(topic: String, body: [UInt8]) throws(BusError) -> GatewayEvent {
        do {
            return try decoder.decode(GatewayEvent.self, from: Data(body))
        } catch let error as DecodingError {
            throw Self.classify(error, topic: topic)
        } catch {
            throw BusError(.codec, "\(topic): body is not JSON: \(Self.describe(error))")
        }
    }

    /// Decodes an event body that travelled without a topic frame, as in a replay batch.
    func decode(body: [UInt8]) throws(BusError) -> GatewayEvent {
        if let event = PresenceJSON.event(from: body) { return event }
        return try decodeWithFoundation(topic: "replayed event", body: body)
    }

    /// Decodes a message whose topic is still raw bytes, as it comes off the socket.
    public func decode(topic: [UInt8], body: [UInt8]) throws(BusError) -> GatewayEvent {
        try decode(topic: String(decoding: topic, as: UTF8.self), body: body)
    }

    /// Maps the decoder's errors onto bus codes. `GatewayEvent` reports a bad `v` or `type` as
    /// corrupt data at that top-level key; a nested `type` (a tender's) is ordinary bad data.
    private static func classify(_ error: DecodingError, topic: String) -> BusError {
        if case .dataCorrupted(let context) = error, context.codingPath.count == 1 {
            switch context.codingPath[0].stringValue {
            case "v": return BusError(.schemaVersion, "\(topic): \(context.debugDescription)")
            case "type": return BusError(.unknownType, "\(topic): \(context.debugDescription)")
            default: break
            }
        }
        return BusError(.codec, "\(topic): not a bus v1 event: \(describe(error))")
    }

    /// A one-line reason with the JSON path of the offending field.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else {
            if let error = error as? EncodingError, case .invalidValue(_, let context) = error {
                return "\(path(context.codingPath)): \(context.debugDescription)"
            }
            return "\(error)"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field \(path(context.codingPath + [key]))"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(type), found null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? context.debugDescription : "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "(top level)" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
    }
}
