/// `ReaderEventNotificationData` (246): a timestamp and the events the reader reports.
public struct ReaderEventNotificationData: Sendable, Equatable {
    /// `ROSpecEvent` (249).
    public struct ROSpecEvent: Sendable, Equatable {
        /// 0 start of ROSpec, 1 end of ROSpec, 2 preemption.
        public var eventType: UInt8
        /// The ROSpec concerned.
        public var roSpecID: UInt32
        /// The ROSpec that preempted it, for preemption.
        public var preemptingROSpecID: UInt32
        /// Creates an ROSpec event.
        public init(eventType: UInt8, roSpecID: UInt32, preemptingROSpecID: UInt32 = 0) {
            self.eventType = eventType
            self.roSpecID = roSpecID
            self.preemptingROSpecID = preemptingROSpecID
        }
    }

    /// `AntennaEvent` (255).
    public struct AntennaEvent: Sendable, Equatable {
        /// 0 disconnected, 1 connected.
        public var eventType: UInt8
        /// The antenna.
        public var antennaID: UInt16
        /// Creates an antenna event.
        public init(eventType: UInt8, antennaID: UInt16) {
            self.eventType = eventType
            self.antennaID = antennaID
        }
    }

    /// `ConnectionAttemptEvent` status values.
    public struct ConnectionAttemptStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The status number.
        public let rawValue: UInt16
        /// Creates a status from its number.
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// The connection is accepted.
        public static let success = Self(rawValue: 0)
        /// Refused: a reader-initiated connection already exists.
        public static let failedReaderInitiatedConnectionExists = Self(rawValue: 1)
        /// Refused: a client-initiated connection already exists.
        public static let failedClientInitiatedConnectionExists = Self(rawValue: 2)
        /// Refused for another reason.
        public static let failedOtherReason = Self(rawValue: 3)
        /// Another client tried to connect while this connection stands.
        public static let anotherConnectionAttempted = Self(rawValue: 4)

        public var description: String {
            switch rawValue {
            case 0: "success"
            case 1: "a reader-initiated connection already exists"
            case 2: "a client-initiated connection already exists"
            case 3: "the reader refused the connection"
            case 4: "another client attempted to connect"
            default: "unknown status \(rawValue)"
            }
        }
    }

    /// When the events happened, by the reader's clock.
    public var timestamp: LLRPTimestamp
    /// `ConnectionAttemptEvent` (256): the status of the connection just opened.
    public var connectionAttempt: ConnectionAttemptStatus?
    /// `ConnectionCloseEvent` (257): the reader is closing the connection.
    public var connectionClose: Bool
    /// `ROSpecEvent`.
    public var roSpecEvent: ROSpecEvent?
    /// `ReportBufferLevelWarningEvent` (250): fill level in percent.
    public var reportBufferLevelWarning: UInt8?
    /// `ReportBufferOverflowErrorEvent` (251): the reader has dropped reports.
    public var reportBufferOverflow: Bool
    /// `ReaderExceptionEvent` (252): the reader's message (sub-parameters are not kept).
    public var readerException: String?
    /// `AntennaEvent`.
    public var antennaEvent: AntennaEvent?
    /// Other events (hopping, GPI, RF survey, AISpec, spec loop), carried unparsed.
    public var otherEvents: [LLRPRawParameter]
    /// Vendor parameters.
    public var custom: [LLRPCustomParameter]

    /// Creates notification data.
    public init(timestamp: LLRPTimestamp, connectionAttempt: ConnectionAttemptStatus? = nil, connectionClose: Bool = false,
                roSpecEvent: ROSpecEvent? = nil, reportBufferLevelWarning: UInt8? = nil, reportBufferOverflow: Bool = false,
                readerException: String? = nil, antennaEvent: AntennaEvent? = nil, otherEvents: [LLRPRawParameter] = [],
                custom: [LLRPCustomParameter] = []) {
        self.timestamp = timestamp
        self.connectionAttempt = connectionAttempt
        self.connectionClose = connectionClose
        self.roSpecEvent = roSpecEvent
        self.reportBufferLevelWarning = reportBufferLevelWarning
        self.reportBufferOverflow = reportBufferOverflow
        self.readerException = readerException
        self.antennaEvent = antennaEvent
        self.otherEvents = otherEvents
        self.custom = custom
    }

    /// Event parameter types kept unparsed in ``otherEvents``.
    static let otherEventTypes: Set<UInt16> = [247, 248, 253, 254, 356]
}

extension ReaderEventNotificationData: ParameterCodable {
    static var parameterType: LLRPParameterType { .readerEventNotificationData }

    init(body: inout ByteCursor) throws(LLRPError) {
        var timestamp: LLRPTimestamp?
        self.init(timestamp: .uptime(0))
        while let p = try body.nextParameter() {
            var v = p.body
            switch p.type.rawValue {
            case 128: timestamp = .utc(try v.u64())
            case 129: timestamp = .uptime(try v.u64())
            case 249: roSpecEvent = ROSpecEvent(eventType: try v.u8(), roSpecID: try v.u32(), preemptingROSpecID: try v.u32())
            case 250: reportBufferLevelWarning = try v.u8()
            case 251: reportBufferOverflow = true
            case 252: readerException = try v.utf8v()
            case 255: antennaEvent = AntennaEvent(eventType: try v.u8(), antennaID: try v.u16())
            case 256: connectionAttempt = ConnectionAttemptStatus(rawValue: try v.u16())
            case 257: connectionClose = true
            case 1023: custom.append(try .decode(p))
            case let type where Self.otherEventTypes.contains(type): otherEvents.append(LLRPRawParameter(p))
            default: break
            }
        }
        guard let timestamp else { throw missing(.utcTimestamp, in: "ReaderEventNotificationData") }
        self.timestamp = timestamp
    }

    func encodeBody(into w: inout ByteWriter) {
        timestamp.encode(into: &w)
        otherEvents.encode(into: &w)
        if let e = roSpecEvent {
            w.tlv(.roSpecEvent) { w in
                w.u8(e.eventType)
                w.u32(e.roSpecID)
                w.u32(e.preemptingROSpecID)
            }
        }
        if let level = reportBufferLevelWarning { w.tlv(.reportBufferLevelWarningEvent) { $0.u8(level) } }
        if reportBufferOverflow { w.tlv(.reportBufferOverflowErrorEvent) { _ in } }
        if let text = readerException { w.tlv(.readerExceptionEvent) { $0.utf8v(text) } }
        if let e = antennaEvent {
            w.tlv(.antennaEvent) { w in
                w.u8(e.eventType)
                w.u16(e.antennaID)
            }
        }
        if let status = connectionAttempt { w.tlv(.connectionAttemptEvent) { $0.u16(status.rawValue) } }
        if connectionClose { w.tlv(.connectionCloseEvent) { _ in } }
        custom.encode(into: &w)
    }
}
