/// An LLRP message type (10 bits).
public struct LLRPMessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type number.
    public let rawValue: UInt16

    /// Creates a message type from its number.
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x3FF }

    /// `GET_READER_CAPABILITIES`.
    public static let getReaderCapabilities = Self(rawValue: 1)
    /// `GET_READER_CONFIG`.
    public static let getReaderConfig = Self(rawValue: 2)
    /// `SET_READER_CONFIG`.
    public static let setReaderConfig = Self(rawValue: 3)
    /// `CLOSE_CONNECTION_RESPONSE`.
    public static let closeConnectionResponse = Self(rawValue: 4)
    /// `GET_READER_CAPABILITIES_RESPONSE`.
    public static let getReaderCapabilitiesResponse = Self(rawValue: 11)
    /// `GET_READER_CONFIG_RESPONSE`.
    public static let getReaderConfigResponse = Self(rawValue: 12)
    /// `SET_READER_CONFIG_RESPONSE`.
    public static let setReaderConfigResponse = Self(rawValue: 13)
    /// `CLOSE_CONNECTION`.
    public static let closeConnection = Self(rawValue: 14)
    /// `ADD_ROSPEC`.
    public static let addROSpec = Self(rawValue: 20)
    /// `DELETE_ROSPEC`.
    public static let deleteROSpec = Self(rawValue: 21)
    /// `START_ROSPEC`.
    public static let startROSpec = Self(rawValue: 22)
    /// `STOP_ROSPEC`.
    public static let stopROSpec = Self(rawValue: 23)
    /// `ENABLE_ROSPEC`.
    public static let enableROSpec = Self(rawValue: 24)
    /// `DISABLE_ROSPEC`.
    public static let disableROSpec = Self(rawValue: 25)
    /// `GET_ROSPECS`.
    public static let getROSpecs = Self(rawValue: 26)
    /// `ADD_ROSPEC_RESPONSE`.
    public static let addROSpecResponse = Self(rawValue: 30)
    /// `DELETE_ROSPEC_RESPONSE`.
    public static let deleteROSpecResponse = Self(rawValue: 31)
    /// `START_ROSPEC_RESPONSE`.
    public static let startROSpecResponse = Self(rawValue: 32)
    /// `STOP_ROSPEC_RESPONSE`.
    public static let stopROSpecResponse = Self(rawValue: 33)
    /// `ENABLE_ROSPEC_RESPONSE`.
    public static let enableROSpecResponse = Self(rawValue: 34)
    /// `DISABLE_ROSPEC_RESPONSE`.
    public static let disableROSpecResponse = Self(rawValue: 35)
    /// `GET_ROSPECS_RESPONSE`.
    public static let getROSpecsResponse = Self(rawValue: 36)
    /// `GET_ACCESSSPECS`.
    public static let getAccessSpecs = Self(rawValue: 44)
    /// `GET_ACCESSSPECS_RESPONSE`.
    public static let getAccessSpecsResponse = Self(rawValue: 54)
    /// `RO_ACCESS_REPORT`.
    public static let roAccessReport = Self(rawValue: 61)
    /// `KEEPALIVE`.
    public static let keepalive = Self(rawValue: 62)
    /// `READER_EVENT_NOTIFICATION`.
    public static let readerEventNotification = Self(rawValue: 63)
    /// `ENABLE_EVENTS_AND_REPORTS`.
    public static let enableEventsAndReports = Self(rawValue: 64)
    /// `KEEPALIVE_ACK`.
    public static let keepaliveAck = Self(rawValue: 72)
    /// `ERROR_MESSAGE`.
    public static let errorMessage = Self(rawValue: 100)
    /// `CUSTOM_MESSAGE`.
    public static let customMessage = Self(rawValue: 1023)

    public var description: String { Self.names[rawValue] ?? "message type \(rawValue)" }

    private static let names: [UInt16: String] = [
        1: "GET_READER_CAPABILITIES", 2: "GET_READER_CONFIG", 3: "SET_READER_CONFIG", 4: "CLOSE_CONNECTION_RESPONSE",
        11: "GET_READER_CAPABILITIES_RESPONSE", 12: "GET_READER_CONFIG_RESPONSE", 13: "SET_READER_CONFIG_RESPONSE",
        14: "CLOSE_CONNECTION", 20: "ADD_ROSPEC", 21: "DELETE_ROSPEC", 22: "START_ROSPEC", 23: "STOP_ROSPEC",
        24: "ENABLE_ROSPEC", 25: "DISABLE_ROSPEC", 26: "GET_ROSPECS", 30: "ADD_ROSPEC_RESPONSE", 31: "DELETE_ROSPEC_RESPONSE",
        32: "START_ROSPEC_RESPONSE", 33: "STOP_ROSPEC_RESPONSE", 34: "ENABLE_ROSPEC_RESPONSE", 35: "DISABLE_ROSPEC_RESPONSE",
        36: "GET_ROSPECS_RESPONSE", 44: "GET_ACCESSSPECS", 54: "GET_ACCESSSPECS_RESPONSE", 61: "RO_ACCESS_REPORT",
        62: "KEEPALIVE", 63: "READER_EVENT_NOTIFICATION", 64: "ENABLE_EVENTS_AND_REPORTS", 72: "KEEPALIVE_ACK",
        100: "ERROR_MESSAGE", 1023: "CUSTOM_MESSAGE",
    ]
}

/// The 10-byte header in front of every LLRP message.
public struct LLRPMessageHeader: Sendable, Equatable {
    /// The header's size in bytes.
    public static let size = 10

    /// Protocol version: 1 = LLRP 1.0.1, 2 = LLRP 1.1.
    public var version: UInt8
    /// The message type.
    public var type: LLRPMessageType
    /// The whole message's length, header included.
    public var length: UInt32
    /// The message id; a response carries its request's id.
    public var id: UInt32

    /// Creates a header.
    public init(version: UInt8, type: LLRPMessageType, length: UInt32, id: UInt32) {
        self.version = version
        self.type = type
        self.length = length
        self.id = id
    }

    /// Reads a header from the first 10 bytes of `bytes`; the length is not checked against anything.
    public init(decoding bytes: some Collection<UInt8>) throws(LLRPError) {
        var cursor = ByteCursor(Array(bytes.prefix(Self.size)), context: "message header")
        let word = try cursor.u16()
        version = UInt8(truncatingIfNeeded: (word >> 10) & 0x7)
        type = LLRPMessageType(rawValue: word & 0x3FF)
        length = try cursor.u32()
        id = try cursor.u32()
    }

    /// The 10 header bytes.
    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.u16(UInt16(version & 0x7) << 10 | type.rawValue)
        w.u32(length)
        w.u32(id)
        return w.bytes
    }
}
