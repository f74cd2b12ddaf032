import Foundation

/// The messages of the replay protocol, shared by ``ReplayServer`` and ``RecoveringSubscriber``.
///
/// A request is one JSON frame; every answer is a kind frame, a JSON header frame, and for a
/// batch one frame per event body. `docs/replay.md` is the specification for other languages.
enum ReplayProtocol {
    /// The kind frame of each answer.
    enum Kind: String, Sendable {
        case batch, end, error, info
    }

    /// The stable codes of an `error` answer.
    enum ErrorCode: String, Sendable, Codable {
        /// `from` is below the oldest seq the journal keeps; `oldest` says where it starts.
        case retention
        /// The request names a gateway this server does not serve.
        case unknownGateway
        /// The request is not JSON, or lacks or misuses a field.
        case badRequest
        /// The server is already streaming to as many peers as it will.
        case busy
        /// The journal could not be read.
        case journal
    }

    /// A client's request correlation id, echoed in every answer as it came: a string or an integer.
    enum RequestID: Sendable, Equatable, Codable, CustomStringConvertible {
        case string(String)
        case number(Int64)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                self = .number(number)
            } else {
                self = .string(try container.decode(String.self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let text): try container.encode(text)
            case .number(let number): try container.encode(number)
            }
        }

        var description: String {
            switch self {
            case .string(let text): text
            case .number(let number): String(number)
            }
        }
    }

    /// `{"op":"replay","id":…,"gateway":"G","from":N,"to":M}` or `{"op":"info","id":…}`; `op` defaults to `replay`.
    struct Request: Sendable, Codable {
        var op: String?
        var id: RequestID?
        var gateway: String?
        var from: UInt64?
        var to: UInt64?
    }

    /// The header of a `batch`: the seqs of its first and last event and how many it carries.
    struct BatchHeader: Sendable, Codable {
        var id: RequestID?
        var gateway: String
        var from: UInt64
        var to: UInt64
        var count: Int
    }

    /// The header of an `end`: every journalled event with seq in `from…to` was sent, `count` in all.
    struct EndHeader: Sendable, Codable {
        var id: RequestID?
        var gateway: String
        var from: UInt64
        var to: UInt64
        var count: UInt64
        /// The journal's last seq when the replay began; later events travel on the live stream.
        var lastSeq: UInt64
    }

    /// The header of an `error`.
    struct ErrorHeader: Sendable, Codable {
        var id: RequestID?
        var code: ErrorCode
        var message: String
        var gateway: String?
        /// For `retention`: the oldest seq kept.
        var oldest: UInt64?
        /// For `retention`: the journal's last seq.
        var lastSeq: UInt64?
    }

    /// The header of an `info`: which gateway the server serves and what its journal holds.
    struct InfoHeader: Sendable, Codable {
        var id: RequestID?
        var gateway: String
        var firstSeq: UInt64
        var lastSeq: UInt64
    }

    /// Encodes a header; the types above always encode.
    static func encode(_ header: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? [UInt8](encoder.encode(header))) ?? Array("{}".utf8)
    }
}
