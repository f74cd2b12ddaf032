/// An LLRP parameter type: 1–127 for TV parameters, 128–2047 for TLV parameters.
public struct LLRPParameterType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type number.
    public let rawValue: UInt16

    /// Creates a parameter type from its number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Whether parameters of this type are TV-encoded (fixed size, no length field).
    public var isTV: Bool { rawValue >= 1 && rawValue <= 127 }

    public var description: String { Self.names[rawValue].map { "\($0) (\(rawValue))" } ?? "parameter \(rawValue)" }

    // TV parameters.
    /// `AntennaID`: u16.
    public static let antennaID = Self(rawValue: 1)
    /// `FirstSeenTimestampUTC`: u64 µs.
    public static let firstSeenTimestampUTC = Self(rawValue: 2)
    /// `FirstSeenTimestampUptime`: u64 µs.
    public static let firstSeenTimestampUptime = Self(rawValue: 3)
    /// `LastSeenTimestampUTC`: u64 µs.
    public static let lastSeenTimestampUTC = Self(rawValue: 4)
    /// `LastSeenTimestampUptime`: u64 µs.
    public static let lastSeenTimestampUptime = Self(rawValue: 5)
    /// `PeakRSSI`: i8 dBm.
    public static let peakRSSI = Self(rawValue: 6)
    /// `ChannelIndex`: u16.
    public static let channelIndex = Self(rawValue: 7)
    /// `TagSeenCount`: u16.
    public static let tagSeenCount = Self(rawValue: 8)
    /// `ROSpecID`: u32.
    public static let roSpecID = Self(rawValue: 9)
    /// `InventoryParameterSpecID`: u16.
    public static let inventoryParameterSpecID = Self(rawValue: 10)
    /// `C1G2_CRC`: u16.
    public static let c1g2CRC = Self(rawValue: 11)
    /// `C1G2_PC`: u16.
    public static let c1g2PC = Self(rawValue: 12)
    /// `EPC-96`: 12 bytes.
    public static let epc96 = Self(rawValue: 13)
    /// `SpecIndex`: u16.
    public static let specIndex = Self(rawValue: 14)
    /// `ClientRequestOpSpecResult`: u16.
    public static let clientRequestOpSpecResult = Self(rawValue: 15)
    /// `AccessSpecID`: u32.
    public static let accessSpecID = Self(rawValue: 16)
    /// `OpSpecID`: u16.
    public static let opSpecID = Self(rawValue: 17)
    /// `C1G2SingulationDetails`: u16 + u16.
    public static let c1g2SingulationDetails = Self(rawValue: 18)
    /// `C1G2_XPC_W1`: u16.
    public static let c1g2XPCW1 = Self(rawValue: 19)
    /// `C1G2_XPC_W2`: u16.
    public static let c1g2XPCW2 = Self(rawValue: 20)

    // TLV parameters.
    /// `UTCTimestamp`.
    public static let utcTimestamp = Self(rawValue: 128)
    /// `Uptime`.
    public static let uptime = Self(rawValue: 129)
    /// `GeneralDeviceCapabilities`.
    public static let generalDeviceCapabilities = Self(rawValue: 137)
    /// `ReceiveSensitivityTableEntry`.
    public static let receiveSensitivityTableEntry = Self(rawValue: 139)
    /// `PerAntennaAirProtocol`.
    public static let perAntennaAirProtocol = Self(rawValue: 140)
    /// `GPIOCapabilities`.
    public static let gpioCapabilities = Self(rawValue: 141)
    /// `LLRPCapabilities`.
    public static let llrpCapabilities = Self(rawValue: 142)
    /// `RegulatoryCapabilities`.
    public static let regulatoryCapabilities = Self(rawValue: 143)
    /// `UHFBandCapabilities`.
    public static let uhfBandCapabilities = Self(rawValue: 144)
    /// `TransmitPowerLevelTableEntry`.
    public static let transmitPowerLevelTableEntry = Self(rawValue: 145)
    /// `FrequencyInformation`.
    public static let frequencyInformation = Self(rawValue: 146)
    /// `FrequencyHopTable`.
    public static let frequencyHopTable = Self(rawValue: 147)
    /// `FixedFrequencyTable`.
    public static let fixedFrequencyTable = Self(rawValue: 148)
    /// `PerAntennaReceiveSensitivityRange`.
    public static let perAntennaReceiveSensitivityRange = Self(rawValue: 149)
    /// `ROSpec`.
    public static let roSpec = Self(rawValue: 177)
    /// `ROBoundarySpec`.
    public static let roBoundarySpec = Self(rawValue: 178)
    /// `ROSpecStartTrigger`.
    public static let roSpecStartTrigger = Self(rawValue: 179)
    /// `ROSpecStopTrigger`.
    public static let roSpecStopTrigger = Self(rawValue: 182)
    /// `AISpec`.
    public static let aiSpec = Self(rawValue: 183)
    /// `AISpecStopTrigger`.
    public static let aiSpecStopTrigger = Self(rawValue: 184)
    /// `InventoryParameterSpec`.
    public static let inventoryParameterSpec = Self(rawValue: 186)
    /// `LLRPConfigurationStateValue`.
    public static let llrpConfigurationStateValue = Self(rawValue: 217)
    /// `Identification`.
    public static let identification = Self(rawValue: 218)
    /// `GPOWriteData`.
    public static let gpoWriteData = Self(rawValue: 219)
    /// `KeepaliveSpec`.
    public static let keepaliveSpec = Self(rawValue: 220)
    /// `AntennaProperties`.
    public static let antennaProperties = Self(rawValue: 221)
    /// `AntennaConfiguration`.
    public static let antennaConfiguration = Self(rawValue: 222)
    /// `RFReceiver`.
    public static let rfReceiver = Self(rawValue: 223)
    /// `RFTransmitter`.
    public static let rfTransmitter = Self(rawValue: 224)
    /// `GPIPortCurrentState`.
    public static let gpiPortCurrentState = Self(rawValue: 225)
    /// `EventsAndReports`.
    public static let eventsAndReports = Self(rawValue: 226)
    /// `ROReportSpec`.
    public static let roReportSpec = Self(rawValue: 237)
    /// `TagReportContentSelector`.
    public static let tagReportContentSelector = Self(rawValue: 238)
    /// `AccessReportSpec`.
    public static let accessReportSpec = Self(rawValue: 239)
    /// `TagReportData`.
    public static let tagReportData = Self(rawValue: 240)
    /// `EPCData`.
    public static let epcData = Self(rawValue: 241)
    /// `ReaderEventNotificationSpec`.
    public static let readerEventNotificationSpec = Self(rawValue: 244)
    /// `EventNotificationState`.
    public static let eventNotificationState = Self(rawValue: 245)
    /// `ReaderEventNotificationData`.
    public static let readerEventNotificationData = Self(rawValue: 246)
    /// `ROSpecEvent`.
    public static let roSpecEvent = Self(rawValue: 249)
    /// `ReportBufferLevelWarningEvent`.
    public static let reportBufferLevelWarningEvent = Self(rawValue: 250)
    /// `ReportBufferOverflowErrorEvent`.
    public static let reportBufferOverflowErrorEvent = Self(rawValue: 251)
    /// `ReaderExceptionEvent`.
    public static let readerExceptionEvent = Self(rawValue: 252)
    /// `AntennaEvent`.
    public static let antennaEvent = Self(rawValue: 255)
    /// `ConnectionAttemptEvent`.
    public static let connectionAttemptEvent = Self(rawValue: 256)
    /// `ConnectionCloseEvent`.
    public static let connectionCloseEvent = Self(rawValue: 257)
    /// `LLRPStatus`.
    public static let llrpStatus = Self(rawValue: 287)
    /// `FieldError`.
    public static let fieldError = Self(rawValue: 288)
    /// `ParameterError`.
    public static let parameterError = Self(rawValue: 289)
    /// `C1G2LLRPCapabilities`.
    public static let c1g2LLRPCapabilities = Self(rawValue: 327)
    /// `UHF_C1G2RFModeTable`.
    public static let c1g2UHFRFModeTable = Self(rawValue: 328)
    /// `C1G2UHFRFModeTableEntry`.
    public static let c1g2UHFRFModeTableEntry = Self(rawValue: 329)
    /// `C1G2InventoryCommand`.
    public static let c1g2InventoryCommand = Self(rawValue: 330)
    /// `C1G2RFControl`.
    public static let c1g2RFControl = Self(rawValue: 335)
    /// `C1G2SingulationControl`.
    public static let c1g2SingulationControl = Self(rawValue: 336)
    /// `C1G2EPCMemorySelector`.
    public static let c1g2EPCMemorySelector = Self(rawValue: 348)
    /// `MaximumReceiveSensitivity` (LLRP 1.1).
    public static let maximumReceiveSensitivity = Self(rawValue: 363)
    /// `RFSurveyFrequencyCapabilities` (LLRP 1.1).
    public static let rfSurveyFrequencyCapabilities = Self(rawValue: 365)
    /// `Custom`: a vendor extension.
    public static let custom = Self(rawValue: 1023)

    /// Size in bytes of each TV parameter's value, by type; LLRP defines no others.
    static let tvValueSizes: [Int] = {
        var sizes = [Int](repeating: -1, count: 128)
        for (type, size) in [(1, 2), (2, 8), (3, 8), (4, 8), (5, 8), (6, 1), (7, 2), (8, 2), (9, 4), (10, 2),
                             (11, 2), (12, 2), (13, 12), (14, 2), (15, 2), (16, 4), (17, 2), (18, 4), (19, 2), (20, 2)] {
            sizes[type] = size
        }
        return sizes
    }()

    private static let names: [UInt16: String] = [
        1: "AntennaID", 2: "FirstSeenTimestampUTC", 3: "FirstSeenTimestampUptime", 4: "LastSeenTimestampUTC",
        5: "LastSeenTimestampUptime", 6: "PeakRSSI", 7: "ChannelIndex", 8: "TagSeenCount", 9: "ROSpecID",
        10: "InventoryParameterSpecID", 11: "C1G2_CRC", 12: "C1G2_PC", 13: "EPC-96", 14: "SpecIndex",
        15: "ClientRequestOpSpecResult", 16: "AccessSpecID", 17: "OpSpecID", 18: "C1G2SingulationDetails",
        19: "C1G2_XPC_W1", 20: "C1G2_XPC_W2",
        128: "UTCTimestamp", 129: "Uptime", 137: "GeneralDeviceCapabilities", 142: "LLRPCapabilities",
        143: "RegulatoryCapabilities", 177: "ROSpec", 178: "ROBoundarySpec", 183: "AISpec", 186: "InventoryParameterSpec",
        220: "KeepaliveSpec", 237: "ROReportSpec", 238: "TagReportContentSelector", 240: "TagReportData", 241: "EPCData",
        246: "ReaderEventNotificationData", 256: "ConnectionAttemptEvent", 257: "ConnectionCloseEvent", 287: "LLRPStatus",
        327: "C1G2LLRPCapabilities", 1023: "Custom",
    ]
}

/// One parameter as found while walking a parameter list: its type and a cursor over its value.
struct RawParameterView {
    var type: LLRPParameterType
    var body: ByteCursor
}

extension ByteCursor {
    /// The next parameter in a list, or `nil` at the end of the list.
    ///
    /// TLV parameters are delimited by their own length, so unknown ones can be stepped over; a TV
    /// parameter has no length, so an unknown TV type leaves nothing after it locatable and is an error.
    mutating func nextParameter() throws(LLRPError) -> RawParameterView? {
        guard !isAtEnd else { return nil }
        let first = try peek()
        if first & 0x80 != 0 {
            let type = first & 0x7F
            let size = LLRPParameterType.tvValueSizes[Int(type)]
            guard size >= 0 else {
                throw LLRPError(.unknownParameter, "\(context): unknown TV parameter type \(type) at offset \(position); its size is unknown")
            }
            try skip(1)
            let parameterType = LLRPParameterType(rawValue: UInt16(type))
            guard size <= remaining else {
                throw LLRPError(.truncated, "\(context): \(parameterType) needs \(size) bytes, \(remaining) left")
            }
            return RawParameterView(type: parameterType, body: try take(size, context: parameterType.description))
        }
        guard remaining >= 4 else {
            throw LLRPError(.truncated, "\(context): a parameter header needs 4 bytes at offset \(position), \(remaining) left")
        }
        let at = position
        let type = LLRPParameterType(rawValue: try u16() & 0x3FF)
        let length = Int(try u16())
        guard length >= 4 else {
            throw LLRPError(.invalidLength, "\(context): \(type) at offset \(at) has length \(length), below its 4-byte header")
        }
        guard length - 4 <= remaining else {
            throw LLRPError(.truncated, "\(context): \(type) at offset \(at) announces \(length) bytes, only \(remaining + 4) left")
        }
        return RawParameterView(type: type, body: try take(length - 4, context: type.description))
    }
}

extension ByteCursor {
    /// The first parameter of `type` in the rest of the list. The whole list is walked, so a
    /// malformed parameter after the match is still reported.
    mutating func first(_ type: LLRPParameterType) throws(LLRPError) -> RawParameterView? {
        var found: RawParameterView?
        while let p = try nextParameter() {
            if found == nil, p.type == type { found = p }
        }
        return found
    }
}
