/// One LLRP message: the header's version and id, and a typed body.
///
/// `encode()` and `decode(_:)` are exact inverses for every body this type can hold; decoding
/// skips parameters it does not model (unknown TLVs, vendor parameters where none are kept) by
/// their length, and rejects truncated or inconsistent input with an ``LLRPError``.
public struct LLRPMessage: Sendable, Equatable {
    /// A message body by type.
    public enum Body: Sendable, Equatable {
        /// `GET_READER_CAPABILITIES` (1): 0 asks for everything.
        case getReaderCapabilities(requestedData: UInt8)
        /// `GET_READER_CAPABILITIES_RESPONSE` (11).
        case getReaderCapabilitiesResponse(ReaderCapabilities)
        /// `GET_READER_CONFIG` (2): antenna (0 = all), requested data (0 = all), GPI and GPO port (0 = all).
        case getReaderConfig(antennaID: UInt16, requestedData: UInt8, gpiPort: UInt16, gpoPort: UInt16)
        /// `GET_READER_CONFIG_RESPONSE` (12).
        case getReaderConfigResponse(status: LLRPStatus, configuration: ReaderConfiguration)
        /// `SET_READER_CONFIG` (3).
        case setReaderConfig(resetToFactoryDefaults: Bool, configuration: ReaderConfiguration)
        /// `SET_READER_CONFIG_RESPONSE` (13).
        case setReaderConfigResponse(LLRPStatus)
        /// `CLOSE_CONNECTION` (14).
        case closeConnection
        /// `CLOSE_CONNECTION_RESPONSE` (4).
        case closeConnectionResponse(LLRPStatus)
        /// `ADD_ROSPEC` (20).
        case addROSpec(ROSpec)
        /// `ADD_ROSPEC_RESPONSE` (30).
        case addROSpecResponse(LLRPStatus)
        /// `DELETE_ROSPEC` (21); 0 deletes every ROSpec.
        case deleteROSpec(id: UInt32)
        /// `DELETE_ROSPEC_RESPONSE` (31).
        case deleteROSpecResponse(LLRPStatus)
        /// `START_ROSPEC` (22).
        case startROSpec(id: UInt32)
        /// `START_ROSPEC_RESPONSE` (32).
        case startROSpecResponse(LLRPStatus)
        /// `STOP_ROSPEC` (23).
        case stopROSpec(id: UInt32)
        /// `STOP_ROSPEC_RESPONSE` (33).
        case stopROSpecResponse(LLRPStatus)
        /// `ENABLE_ROSPEC` (24); 0 enables every ROSpec.
        case enableROSpec(id: UInt32)
        /// `ENABLE_ROSPEC_RESPONSE` (34).
        case enableROSpecResponse(LLRPStatus)
        /// `DISABLE_ROSPEC` (25).
        case disableROSpec(id: UInt32)
        /// `DISABLE_ROSPEC_RESPONSE` (35).
        case disableROSpecResponse(LLRPStatus)
        /// `GET_ROSPECS` (26).
        case getROSpecs
        /// `GET_ROSPECS_RESPONSE` (36).
        case getROSpecsResponse(status: LLRPStatus, roSpecs: [ROSpec])
        /// `GET_ACCESSSPECS` (44).
        case getAccessSpecs
        /// `GET_ACCESSSPECS_RESPONSE` (54); the `AccessSpec`s are carried unparsed.
        case getAccessSpecsResponse(status: LLRPStatus, accessSpecs: [LLRPRawParameter])
        /// `RO_ACCESS_REPORT` (61).
        case roAccessReport(ROAccessReport)
        /// `KEEPALIVE` (62).
        case keepalive
        /// `KEEPALIVE_ACK` (72).
        case keepaliveAck
        /// `READER_EVENT_NOTIFICATION` (63).
        case readerEventNotification(ReaderEventNotificationData)
        /// `ENABLE_EVENTS_AND_REPORTS` (64).
        case enableEventsAndReports
        /// `ERROR_MESSAGE` (100): the reader could not process a message.
        case errorMessage(LLRPStatus)
        /// `CUSTOM_MESSAGE` (1023).
        case custom(vendorID: UInt32, subtype: UInt8, payload: [UInt8])
        /// Any other message type, with its body bytes unparsed.
        case other(type: LLRPMessageType, body: [UInt8])

        /// The message type this body is sent as.
        public var type: LLRPMessageType {
            switch self {
            case .getReaderCapabilities: .getReaderCapabilities
            case .getReaderCapabilitiesResponse: .getReaderCapabilitiesResponse
            case .getReaderConfig: .getReaderConfig
            case .getReaderConfigResponse: .getReaderConfigResponse
            case .setReaderConfig: .setReaderConfig
            case .setReaderConfigResponse: .setReaderConfigResponse
            case .closeConnection: .closeConnection
            case .closeConnectionResponse: .closeConnectionResponse
            case .addROSpec: .addROSpec
            case .addROSpecResponse: .addROSpecResponse
            case .deleteROSpec: .deleteROSpec
            case .deleteROSpecResponse: .deleteROSpecResponse
            case .startROSpec: .startROSpec
            case .startROSpecResponse: .startROSpecResponse
            case .stopROSpec: .stopROSpec
            case .stopROSpecResponse: .stopROSpecResponse
            case .enableROSpec: .enableROSpec
            case .enableROSpecResponse: .enableROSpecResponse
            case .disableROSpec: .disableROSpec
            case .disableROSpecResponse: .disableROSpecResponse
            case .getROSpecs: .getROSpecs
            case .getROSpecsResponse: .getROSpecsResponse
            case .getAccessSpecs: .getAccessSpecs
            case .getAccessSpecsResponse: .getAccessSpecsResponse
            case .roAccessReport: .roAccessReport
            case .keepalive: .keepalive
            case .keepaliveAck: .keepaliveAck
            case .readerEventNotification: .readerEventNotification
            case .enableEventsAndReports: .enableEventsAndReports
            case .errorMessage: .errorMessage
            case .custom: .customMessage
            case .other(let type, _): type
            }
        }

        /// The `LLRPStatus` of a response or `ERROR_MESSAGE`; `nil` for other messages.
        public var status: LLRPStatus? {
            switch self {
            case .getReaderCapabilitiesResponse(let caps): caps.status
            case .getReaderConfigResponse(let status, _), .getROSpecsResponse(let status, _), .getAccessSpecsResponse(let status, _):
                status
            case .setReaderConfigResponse(let status), .closeConnectionResponse(let status), .addROSpecResponse(let status),
                 .deleteROSpecResponse(let status), .startROSpecResponse(let status), .stopROSpecResponse(let status),
                 .enableROSpecResponse(let status), .disableROSpecResponse(let status), .errorMessage(let status):
                status
            default: nil
            }
        }
    }

    /// Protocol version: 1 = LLRP 1.0.1 (what this driver speaks), 2 = LLRP 1.1.
    public var version: UInt8
    /// The message id; a response carries its request's id.
    public var id: UInt32
    /// The body.
    public var body: Body

    /// The message type.
    public var type: LLRPMessageType { body.type }

    /// Creates a message.
    public init(id: UInt32, version: UInt8 = 1, _ body: Body) {
        self.version = version
        self.id = id
        self.body = body
    }

    /// The whole message: header, then body.
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.u16(UInt16(version & 0x7) << 10 | type.rawValue)
        w.u32(0)
        w.u32(id)
        body.encode(into: &w)
        w.patchLength32(at: 2, value: w.count)
        return w.bytes
    }

    /// Decodes exactly one whole message; the header's length must match the bytes given.
    public static func decode(_ bytes: some Collection<UInt8>) throws(LLRPError) -> LLRPMessage {
        let all = Array(bytes)
        guard all.count >= LLRPMessageHeader.size else {
            throw LLRPError(.truncated, "message: \(all.count) bytes is shorter than the 10-byte header")
        }
        let header = try LLRPMessageHeader(decoding: all)
        guard header.length >= UInt32(LLRPMessageHeader.size) else {
            throw LLRPError(.invalidLength, "\(header.type): length \(header.length) is below the 10-byte header")
        }
        guard Int(header.length) <= all.count else {
            throw LLRPError(.truncated, "\(header.type): announces \(header.length) bytes, only \(all.count) present")
        }
        guard Int(header.length) == all.count else {
            throw LLRPError(.invalidLength, "\(header.type): announces \(header.length) bytes, \(all.count) given")
        }
        guard header.version == 1 || header.version == 2 else {
            throw LLRPError(.unsupportedVersion, "\(header.type): protocol version \(header.version) (1 and 2 are spoken)")
        }
        var cursor = ByteCursor(all, from: LLRPMessageHeader.size, context: header.type.description)
        let body = try Body.decode(type: header.type, cursor: &cursor)
        return LLRPMessage(id: header.id, version: header.version, body)
    }
}

extension LLRPMessage.Body {
    /// Decodes a message body (the bytes after the header) of a given type.
    public static func decode(type: LLRPMessageType, body bytes: [UInt8]) throws(LLRPError) -> Self {
        var cursor = ByteCursor(bytes, context: type.description)
        return try decode(type: type, cursor: &cursor)
    }

    static func decode(type: LLRPMessageType, cursor c: inout ByteCursor) throws(LLRPError) -> Self {
        func statusOnly() throws(LLRPError) -> LLRPStatus {
            guard let p = try c.first(.llrpStatus) else { throw missing(.llrpStatus, in: type.description) }
            return try .decode(p)
        }
        switch type {
        case .getReaderCapabilities: return .getReaderCapabilities(requestedData: try c.u8())
        case .getReaderCapabilitiesResponse: return .getReaderCapabilitiesResponse(try ReaderCapabilities(body: &c))
        case .getReaderConfig:
            return .getReaderConfig(antennaID: try c.u16(), requestedData: try c.u8(), gpiPort: try c.u16(), gpoPort: try c.u16())
        case .getReaderConfigResponse:
            var status: LLRPStatus?
            let configuration = try ReaderConfiguration(parameters: &c, status: &status)
            guard let status else { throw missing(.llrpStatus, in: type.description) }
            return .getReaderConfigResponse(status: status, configuration: configuration)
        case .setReaderConfig:
            let reset = try c.u8().bit(0)
            var ignored: LLRPStatus?
            return .setReaderConfig(resetToFactoryDefaults: reset, configuration: try ReaderConfiguration(parameters: &c, status: &ignored))
        case .setReaderConfigResponse: return .setReaderConfigResponse(try statusOnly())
        case .closeConnection: return .closeConnection
        case .closeConnectionResponse: return .closeConnectionResponse(try statusOnly())
        case .addROSpec:
            guard let p = try c.first(.roSpec) else { throw missing(.roSpec, in: type.description) }
            return .addROSpec(try .decode(p))
        case .addROSpecResponse: return .addROSpecResponse(try statusOnly())
        case .deleteROSpec: return .deleteROSpec(id: try c.u32())
        case .deleteROSpecResponse: return .deleteROSpecResponse(try statusOnly())
        case .startROSpec: return .startROSpec(id: try c.u32())
        case .startROSpecResponse: return .startROSpecResponse(try statusOnly())
        case .stopROSpec: return .stopROSpec(id: try c.u32())
        case .stopROSpecResponse: return .stopROSpecResponse(try statusOnly())
        case .enableROSpec: return .enableROSpec(id: try c.u32())
        case .enableROSpecResponse: return .enableROSpecResponse(try statusOnly())
        case .disableROSpec: return .disableROSpec(id: try c.u32())
        case .disableROSpecResponse: return .disableROSpecResponse(try statusOnly())
        case .getROSpecs: return .getROSpecs
        case .getROSpecsResponse:
            var status: LLRPStatus?
            var specs: [ROSpec] = []
            while let p = try c.nextParameter() {
                switch p.type {
                case .llrpStatus: status = try .decode(p)
                case .roSpec: specs.append(try .decode(p))
                default: break
                }
            }
            guard let status else { throw missing(.llrpStatus, in: type.description) }
            return .getROSpecsResponse(status: status, roSpecs: specs)
        case .getAccessSpecs: return .getAccessSpecs
        case .getAccessSpecsResponse:
            var status: LLRPStatus?
            var specs: [LLRPRawParameter] = []
            while let p = try c.nextParameter() {
                switch p.type.rawValue {
                case 287: status = try .decode(p)
                case 207: specs.append(LLRPRawParameter(p))
                default: break
                }
            }
            guard let status else { throw missing(.llrpStatus, in: type.description) }
            return .getAccessSpecsResponse(status: status, accessSpecs: specs)
        case .roAccessReport: return .roAccessReport(try ROAccessReport(body: &c))
        case .keepalive: return .keepalive
        case .keepaliveAck: return .keepaliveAck
        case .readerEventNotification:
            guard let p = try c.first(.readerEventNotificationData) else { throw missing(.readerEventNotificationData, in: type.description) }
            return .readerEventNotification(try .decode(p))
        case .enableEventsAndReports: return .enableEventsAndReports
        case .errorMessage: return .errorMessage(try statusOnly())
        case .customMessage: return .custom(vendorID: try c.u32(), subtype: try c.u8(), payload: c.rest())
        default: return .other(type: type, body: c.rest())
        }
    }

    func encode(into w: inout ByteWriter) {
        switch self {
        case .getReaderCapabilities(let requested): w.u8(requested)
        case .getReaderCapabilitiesResponse(let caps): caps.encodeBody(into: &w)
        case .getReaderConfig(let antenna, let requested, let gpi, let gpo):
            w.u16(antenna)
            w.u8(requested)
            w.u16(gpi)
            w.u16(gpo)
        case .getReaderConfigResponse(let status, let configuration):
            status.encode(into: &w)
            configuration.encodeParameters(into: &w)
        case .setReaderConfig(let reset, let configuration):
            w.u8(.bits(reset))
            configuration.encodeParameters(into: &w)
        case .setReaderConfigResponse(let status), .closeConnectionResponse(let status), .addROSpecResponse(let status),
             .deleteROSpecResponse(let status), .startROSpecResponse(let status), .stopROSpecResponse(let status),
             .enableROSpecResponse(let status), .disableROSpecResponse(let status), .errorMessage(let status):
            status.encode(into: &w)
        case .addROSpec(let spec): spec.encode(into: &w)
        case .deleteROSpec(let id), .startROSpec(let id), .stopROSpec(let id), .enableROSpec(let id), .disableROSpec(let id):
            w.u32(id)
        case .getROSpecsResponse(let status, let specs):
            status.encode(into: &w)
            specs.encode(into: &w)
        case .getAccessSpecsResponse(let status, let specs):
            status.encode(into: &w)
            specs.encode(into: &w)
        case .roAccessReport(let report): report.encodeBody(into: &w)
        case .readerEventNotification(let data): data.encode(into: &w)
        case .custom(let vendor, let subtype, let payload):
            w.u32(vendor)
            w.u8(subtype)
            w.append(payload)
        case .other(_, let body): w.append(body)
        case .closeConnection, .getROSpecs, .getAccessSpecs, .keepalive, .keepaliveAck, .enableEventsAndReports: break
        }
    }
}
