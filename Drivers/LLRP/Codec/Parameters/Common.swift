/// `LLRPStatus` (287): the outcome of a request, carried by every response.
public struct LLRPStatus: Sendable, Equatable {
    /// An LLRP status code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's number.
        public let rawValue: UInt16
        /// Creates a code from its number.
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// `M_Success`.
        public static let success = Code(rawValue: 0)
        /// `M_ParameterError`.
        public static let parameterError = Code(rawValue: 100)
        /// `M_FieldError`.
        public static let fieldError = Code(rawValue: 101)
        /// `M_UnexpectedParameter`.
        public static let unexpectedParameter = Code(rawValue: 102)
        /// `M_MissingParameter`.
        public static let missingParameter = Code(rawValue: 103)
        /// `M_DuplicateParameter`.
        public static let duplicateParameter = Code(rawValue: 104)
        /// `M_OverflowParameter`.
        public static let overflowParameter = Code(rawValue: 105)
        /// `M_OverflowField`.
        public static let overflowField = Code(rawValue: 106)
        /// `M_UnknownParameter`.
        public static let unknownParameter = Code(rawValue: 107)
        /// `M_UnknownField`.
        public static let unknownField = Code(rawValue: 108)
        /// `M_UnsupportedMessage`.
        public static let unsupportedMessage = Code(rawValue: 109)
        /// `M_UnsupportedVersion`.
        public static let unsupportedVersion = Code(rawValue: 110)
        /// `M_UnsupportedParameter`.
        public static let unsupportedParameter = Code(rawValue: 111)
        /// `R_DeviceError`.
        public static let deviceError = Code(rawValue: 401)

        public var description: String { "\(rawValue)" }
    }

    /// `FieldError` (288): which field of a message or parameter was wrong.
    public struct FieldError: Sendable, Equatable {
        /// The field's position, from 0.
        public var fieldNumber: UInt16
        /// What was wrong with it.
        public var errorCode: Code

        /// Creates a field error.
        public init(fieldNumber: UInt16, errorCode: Code) {
            self.fieldNumber = fieldNumber
            self.errorCode = errorCode
        }
    }

    /// `ParameterError` (289): which parameter was wrong, possibly nested.
    public struct ParameterError: Sendable, Equatable {
        /// The offending parameter's type.
        public var parameterType: UInt16
        /// What was wrong with it.
        public var errorCode: Code
        /// The field inside it, when the reader says.
        public var fieldError: FieldError?
        // An array gives the recursive member storage a struct cannot hold inline.
        private var nested: [ParameterError]
        /// The parameter inside it that was wrong, when the reader says.
        public var parameterError: ParameterError? {
            get { nested.first }
            set { nested = newValue.map { [$0] } ?? [] }
        }

        /// Creates a parameter error.
        public init(parameterType: UInt16, errorCode: Code, fieldError: FieldError? = nil, parameterError: ParameterError? = nil) {
            self.parameterType = parameterType
            self.errorCode = errorCode
            self.fieldError = fieldError
            self.nested = parameterError.map { [$0] } ?? []
        }
    }

    /// The status code.
    public var code: Code
    /// The reader's description of the problem; empty on success.
    public var errorDescription: String
    /// The field at fault, when the error is about a message field.
    public var fieldError: FieldError?
    /// The parameter at fault, when the error is about a parameter.
    public var parameterError: ParameterError?

    /// Creates a status.
    public init(code: Code = .success, errorDescription: String = "", fieldError: FieldError? = nil, parameterError: ParameterError? = nil) {
        self.code = code
        self.errorDescription = errorDescription
        self.fieldError = fieldError
        self.parameterError = parameterError
    }

    /// Success with no description.
    public static let success = LLRPStatus()

    /// Whether the request succeeded.
    public var isSuccess: Bool { code == .success }

    /// A sentence for logs and `reader.status`: the code and the reader's description.
    public var summary: String {
        var text = "status \(code.rawValue)"
        if !errorDescription.isEmpty { text += " \"\(errorDescription)\"" }
        if let p = parameterError { text += " in parameter \(p.parameterType) (code \(p.errorCode.rawValue))" }
        if let f = fieldError { text += " in field \(f.fieldNumber) (code \(f.errorCode.rawValue))" }
        return text
    }
}

extension LLRPStatus: ParameterCodable {
    static var parameterType: LLRPParameterType { .llrpStatus }

    init(body: inout ByteCursor) throws(LLRPError) {
        code = Code(rawValue: try body.u16())
        errorDescription = try body.utf8v()
        while let p = try body.nextParameter() {
            switch p.type {
            case .fieldError: fieldError = try .decode(p)
            case .parameterError: parameterError = try .decode(p)
            default: break
            }
        }
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u16(code.rawValue)
        w.utf8v(errorDescription)
        fieldError.encode(into: &w)
        parameterError.encode(into: &w)
    }
}

extension LLRPStatus.FieldError: ParameterCodable {
    static var parameterType: LLRPParameterType { .fieldError }

    init(body: inout ByteCursor) throws(LLRPError) {
        fieldNumber = try body.u16()
        errorCode = .init(rawValue: try body.u16())
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u16(fieldNumber)
        w.u16(errorCode.rawValue)
    }
}

extension LLRPStatus.ParameterError: ParameterCodable {
    static var parameterType: LLRPParameterType { .parameterError }

    init(body: inout ByteCursor) throws(LLRPError) {
        parameterType = try body.u16()
        errorCode = .init(rawValue: try body.u16())
        nested = []
        while let p = try body.nextParameter() {
            switch p.type {
            case .fieldError: fieldError = try .decode(p)
            case .parameterError: parameterError = try .decode(p)
            default: break
            }
        }
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u16(parameterType)
        w.u16(errorCode.rawValue)
        fieldError.encode(into: &w)
        parameterError.encode(into: &w)
    }
}

/// `Custom` (1023): a vendor extension parameter, kept whole so callers can read the ones they know.
public struct LLRPCustomParameter: Sendable, Equatable {
    /// The vendor's IANA private enterprise number.
    public var vendorID: UInt32
    /// The vendor's parameter subtype.
    public var subtype: UInt32
    /// The value bytes after vendor and subtype.
    public var payload: [UInt8]

    /// Creates a custom parameter.
    public init(vendorID: UInt32, subtype: UInt32, payload: [UInt8]) {
        self.vendorID = vendorID
        self.subtype = subtype
        self.payload = payload
    }

    /// Impinj's vendor id.
    public static let impinjVendorID: UInt32 = 25882
    /// Zebra's vendor id.
    public static let zebraVendorID: UInt32 = 161
    /// Impinj `ImpinjPeakRSSI`: i16 in hundredths of a dBm.
    public static let impinjPeakRSSISubtype: UInt32 = 57
}

extension LLRPCustomParameter: ParameterCodable {
    static var parameterType: LLRPParameterType { .custom }

    init(body: inout ByteCursor) throws(LLRPError) {
        vendorID = try body.u32()
        subtype = try body.u32()
        payload = body.rest()
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u32(vendorID)
        w.u32(subtype)
        w.append(payload)
    }
}

/// A TLV parameter the codec carries without modelling its fields (for example an `AccessSpec`).
public struct LLRPRawParameter: Sendable, Equatable {
    /// The parameter type.
    public var type: LLRPParameterType
    /// The value bytes after the 4-byte header.
    public var body: [UInt8]

    /// Creates a raw parameter.
    public init(type: LLRPParameterType, body: [UInt8]) {
        self.type = type
        self.body = body
    }

    init(_ view: RawParameterView) {
        var body = view.body
        self.init(type: view.type, body: body.rest())
    }

    func encode(into w: inout ByteWriter) {
        w.tlv(type) { $0.append(body) }
    }
}

extension Array where Element == LLRPRawParameter {
    func encode(into writer: inout ByteWriter) { for element in self { element.encode(into: &writer) } }
}

/// A time stamp in a reader event: `UTCTimestamp` (128) or `Uptime` (129), in microseconds.
public enum LLRPTimestamp: Sendable, Equatable {
    /// Microseconds since the Unix epoch, by the reader's clock.
    case utc(UInt64)
    /// Microseconds since the reader booted.
    case uptime(UInt64)

    func encode(into w: inout ByteWriter) {
        switch self {
        case .utc(let us): w.tlv(.utcTimestamp) { $0.u64(us) }
        case .uptime(let us): w.tlv(.uptime) { $0.u64(us) }
        }
    }
}
