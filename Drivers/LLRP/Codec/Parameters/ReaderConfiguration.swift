/// `KeepaliveSpec` (220): how often the reader sends `KEEPALIVE`.
public struct KeepaliveSpec: Sendable, Equatable {
    /// 0 null (no keepalives), 1 periodic.
    public var triggerType: UInt8
    /// The period in milliseconds.
    public var intervalMilliseconds: UInt32

    /// Creates a keepalive spec.
    public init(triggerType: UInt8, intervalMilliseconds: UInt32) {
        self.triggerType = triggerType
        self.intervalMilliseconds = intervalMilliseconds
    }

    /// Periodic keepalives every `milliseconds`.
    public static func periodic(milliseconds: UInt32) -> KeepaliveSpec { KeepaliveSpec(triggerType: 1, intervalMilliseconds: milliseconds) }
}

extension KeepaliveSpec: ParameterCodable {
    static var parameterType: LLRPParameterType { .keepaliveSpec }

    init(body: inout ByteCursor) throws(LLRPError) {
        triggerType = try body.u8()
        intervalMilliseconds = try body.u32()
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u8(triggerType)
        w.u32(intervalMilliseconds)
    }
}

/// `Identification` (218): the reader's id, a MAC address or an EPC.
public struct Identification: Sendable, Equatable {
    /// 0 MAC address, 1 EPC.
    public var idType: UInt8
    /// The id bytes.
    public var readerID: [UInt8]

    /// Creates an identification.
    public init(idType: UInt8, readerID: [UInt8]) {
        self.idType = idType
        self.readerID = readerID
    }
}

extension Identification: ParameterCodable {
    static var parameterType: LLRPParameterType { .identification }

    init(body: inout ByteCursor) throws(LLRPError) {
        idType = try body.u8()
        readerID = try body.u8v()
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u8(idType)
        w.u8v(readerID)
    }
}

/// `AntennaProperties` (221): whether an antenna is connected, and its gain.
public struct AntennaProperties: Sendable, Equatable {
    /// Whether the reader detects an antenna on the port.
    public var connected: Bool
    /// The port.
    public var antennaID: UInt16
    /// Gain in hundredths of a dBi.
    public var gain: Int16

    /// Creates antenna properties.
    public init(connected: Bool, antennaID: UInt16, gain: Int16) {
        self.connected = connected
        self.antennaID = antennaID
        self.gain = gain
    }
}

extension AntennaProperties: ParameterCodable {
    static var parameterType: LLRPParameterType { .antennaProperties }

    init(body: inout ByteCursor) throws(LLRPError) {
        connected = try body.u8().bit(0)
        antennaID = try body.u16()
        gain = try body.i16()
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u8(.bits(connected))
        w.u16(antennaID)
        w.i16(gain)
    }
}

/// `AntennaConfiguration` (222): receiver, transmitter and air-protocol settings of one antenna.
public struct AntennaConfiguration: Sendable, Equatable {
    /// `RFTransmitter` (224).
    public struct RFTransmitter: Sendable, Equatable {
        /// The frequency hop table.
        public var hopTableID: UInt16
        /// The channel, for fixed-frequency regions.
        public var channelIndex: UInt16
        /// An index into the reader's transmit power table.
        public var transmitPower: UInt16

        /// Creates transmitter settings.
        public init(hopTableID: UInt16, channelIndex: UInt16, transmitPower: UInt16) {
            self.hopTableID = hopTableID
            self.channelIndex = channelIndex
            self.transmitPower = transmitPower
        }
    }

    /// `C1G2InventoryCommand` (330): Gen2 inventory settings.
    public struct C1G2InventoryCommand: Sendable, Equatable {
        /// `C1G2RFControl` (335).
        public struct RFControl: Sendable, Equatable {
            /// An index into the reader's RF mode table.
            public var modeIndex: UInt16
            /// Tari in nanoseconds; 0 lets the mode decide.
            public var tari: UInt16

            /// Creates RF control settings.
            public init(modeIndex: UInt16, tari: UInt16) {
                self.modeIndex = modeIndex
                self.tari = tari
            }
        }

        /// `C1G2SingulationControl` (336).
        public struct SingulationControl: Sendable, Equatable {
            /// The Gen2 session, 0–3.
            public var session: UInt8
            /// The expected tag population.
            public var tagPopulation: UInt16
            /// Expected time a tag stays in the field, in milliseconds.
            public var tagTransitTime: UInt32
            /// `C1G2TagInventoryStateAwareSingulationAction`, carried unparsed.
            public var stateAwareAction: LLRPRawParameter?

            /// Creates singulation settings.
            public init(session: UInt8, tagPopulation: UInt16, tagTransitTime: UInt32, stateAwareAction: LLRPRawParameter? = nil) {
                self.session = session
                self.tagPopulation = tagPopulation
                self.tagTransitTime = tagTransitTime
                self.stateAwareAction = stateAwareAction
            }
        }

        /// Whether the inventory is state-aware.
        public var tagInventoryStateAware: Bool
        /// `C1G2Filter`s, carried unparsed.
        public var filters: [LLRPRawParameter]
        /// RF mode.
        public var rfControl: RFControl?
        /// Singulation.
        public var singulationControl: SingulationControl?
        /// Vendor parameters.
        public var custom: [LLRPCustomParameter]

        /// Creates an inventory command.
        public init(tagInventoryStateAware: Bool = false, filters: [LLRPRawParameter] = [], rfControl: RFControl? = nil,
                    singulationControl: SingulationControl? = nil, custom: [LLRPCustomParameter] = []) {
            self.tagInventoryStateAware = tagInventoryStateAware
            self.filters = filters
            self.rfControl = rfControl
            self.singulationControl = singulationControl
            self.custom = custom
        }
    }

    /// The port.
    public var antennaID: UInt16
    /// `RFReceiver` (223): an index into the receive sensitivity table.
    public var receiverSensitivity: UInt16?
    /// Transmitter settings.
    public var transmitter: RFTransmitter?
    /// Gen2 inventory settings.
    public var inventoryCommands: [C1G2InventoryCommand]
    /// Vendor parameters.
    public var custom: [LLRPCustomParameter]

    /// Creates an antenna configuration.
    public init(antennaID: UInt16, receiverSensitivity: UInt16? = nil, transmitter: RFTransmitter? = nil,
                inventoryCommands: [C1G2InventoryCommand] = [], custom: [LLRPCustomParameter] = []) {
        self.antennaID = antennaID
        self.receiverSensitivity = receiverSensitivity
        self.transmitter = transmitter
        self.inventoryCommands = inventoryCommands
        self.custom = custom
    }
}

extension AntennaConfiguration: ParameterCodable {
    static var parameterType: LLRPParameterType { .antennaConfiguration }

    init(body: inout ByteCursor) throws(LLRPError) {
        self.init(antennaID: try body.u16())
        while let p = try body.nextParameter() {
            var v = p.body
            switch p.type {
            case .rfReceiver: receiverSensitivity = try v.u16()
            case .rfTransmitter: transmitter = RFTransmitter(hopTableID: try v.u16(), channelIndex: try v.u16(), transmitPower: try v.u16())
            case .c1g2InventoryCommand: inventoryCommands.append(try Self.decodeInventoryCommand(&v))
            case .custom: custom.append(try .decode(p))
            default: break
            }
        }
    }

    private static func decodeInventoryCommand(_ v: inout ByteCursor) throws(LLRPError) -> C1G2InventoryCommand {
        var command = C1G2InventoryCommand(tagInventoryStateAware: try v.u8().bit(0))
        while let p = try v.nextParameter() {
            var s = p.body
            switch p.type.rawValue {
            case 331: command.filters.append(LLRPRawParameter(p))
            case 335: command.rfControl = .init(modeIndex: try s.u16(), tari: try s.u16())
            case 336:
                var control = C1G2InventoryCommand.SingulationControl(session: try s.u8() >> 6, tagPopulation: try s.u16(),
                                                                      tagTransitTime: try s.u32())
                while let sub = try s.nextParameter() {
                    if sub.type.rawValue == 337 { control.stateAwareAction = LLRPRawParameter(sub) }
                }
                command.singulationControl = control
            case 1023: command.custom.append(try .decode(p))
            default: break
            }
        }
        return command
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u16(antennaID)
        if let receiverSensitivity { w.tlv(.rfReceiver) { $0.u16(receiverSensitivity) } }
        if let transmitter {
            w.tlv(.rfTransmitter) { w in
                w.u16(transmitter.hopTableID)
                w.u16(transmitter.channelIndex)
                w.u16(transmitter.transmitPower)
            }
        }
        for command in inventoryCommands {
            w.tlv(.c1g2InventoryCommand) { w in
                w.u8(.bits(command.tagInventoryStateAware))
                command.filters.encode(into: &w)
                if let rf = command.rfControl {
                    w.tlv(.c1g2RFControl) { w in
                        w.u16(rf.modeIndex)
                        w.u16(rf.tari)
                    }
                }
                if let s = command.singulationControl {
                    w.tlv(.c1g2SingulationControl) { w in
                        w.u8((s.session & 0x3) << 6)
                        w.u16(s.tagPopulation)
                        w.u32(s.tagTransitTime)
                        s.stateAwareAction.map { $0.encode(into: &w) }
                    }
                }
                command.custom.encode(into: &w)
            }
        }
        custom.encode(into: &w)
    }
}

/// `EventNotificationState` (245): whether one reader event type is reported.
public struct EventNotificationState: Sendable, Equatable {
    /// The event type (0 hopping, 1 GPI, 2 ROSpec, … 8 connection attempt).
    public var eventType: UInt16
    /// Whether it is reported.
    public var enabled: Bool

    /// Creates a notification state.
    public init(eventType: UInt16, enabled: Bool) {
        self.eventType = eventType
        self.enabled = enabled
    }
}

/// `GPIPortCurrentState` (225).
public struct GPIPortCurrentState: Sendable, Equatable {
    /// The port.
    public var port: UInt16
    /// Whether the port is enabled.
    public var enabled: Bool
    /// 0 low, 1 high, 2 unknown.
    public var state: UInt8

    /// Creates a GPI state.
    public init(port: UInt16, enabled: Bool, state: UInt8) {
        self.port = port
        self.enabled = enabled
        self.state = state
    }
}

/// `GPOWriteData` (219).
public struct GPOWriteData: Sendable, Equatable {
    /// The port.
    public var port: UInt16
    /// The level written.
    public var data: Bool

    /// Creates a GPO write.
    public init(port: UInt16, data: Bool) {
        self.port = port
        self.data = data
    }
}

/// The configuration parameters shared by `GET_READER_CONFIG_RESPONSE` (12) and `SET_READER_CONFIG` (3).
public struct ReaderConfiguration: Sendable, Equatable {
    /// `Identification`; only in responses.
    public var identification: Identification?
    /// `AntennaProperties`, per antenna.
    public var antennaProperties: [AntennaProperties]
    /// `AntennaConfiguration`, per antenna.
    public var antennaConfigurations: [AntennaConfiguration]
    /// `ReaderEventNotificationSpec` (244): the event notification states.
    public var eventNotificationStates: [EventNotificationState]?
    /// `ROReportSpec`: the default report spec.
    public var roReportSpec: ROReportSpec?
    /// `AccessReportSpec` (239): the access report trigger.
    public var accessReportTrigger: UInt8?
    /// `LLRPConfigurationStateValue` (217); only in responses.
    public var configurationStateValue: UInt32?
    /// `KeepaliveSpec`.
    public var keepaliveSpec: KeepaliveSpec?
    /// `GPIPortCurrentState`s.
    public var gpiPortStates: [GPIPortCurrentState]
    /// `GPOWriteData`.
    public var gpoWriteData: [GPOWriteData]
    /// `EventsAndReports` (226): whether events and reports are held on reconnect.
    public var holdEventsAndReportsUponReconnect: Bool?
    /// Vendor parameters.
    public var custom: [LLRPCustomParameter]

    /// Creates a configuration; every part is optional.
    public init(identification: Identification? = nil, antennaProperties: [AntennaProperties] = [],
                antennaConfigurations: [AntennaConfiguration] = [], eventNotificationStates: [EventNotificationState]? = nil,
                roReportSpec: ROReportSpec? = nil, accessReportTrigger: UInt8? = nil, configurationStateValue: UInt32? = nil,
                keepaliveSpec: KeepaliveSpec? = nil, gpiPortStates: [GPIPortCurrentState] = [], gpoWriteData: [GPOWriteData] = [],
                holdEventsAndReportsUponReconnect: Bool? = nil, custom: [LLRPCustomParameter] = []) {
        self.identification = identification
        self.antennaProperties = antennaProperties
        self.antennaConfigurations = antennaConfigurations
        self.eventNotificationStates = eventNotificationStates
        self.roReportSpec = roReportSpec
        self.accessReportTrigger = accessReportTrigger
        self.configurationStateValue = configurationStateValue
        self.keepaliveSpec = keepaliveSpec
        self.gpiPortStates = gpiPortStates
        self.gpoWriteData = gpoWriteData
        self.holdEventsAndReportsUponReconnect = holdEventsAndReportsUponReconnect
        self.custom = custom
    }

    /// Decodes the parameter list that follows a response's `LLRPStatus` or a request's flags.
    init(parameters body: inout ByteCursor, status: inout LLRPStatus?) throws(LLRPError) {
        self.init()
        while let p = try body.nextParameter() {
            var v = p.body
            switch p.type {
            case .llrpStatus: status = try .decode(p)
            case .identification: identification = try .decode(p)
            case .antennaProperties: antennaProperties.append(try .decode(p))
            case .antennaConfiguration: antennaConfigurations.append(try .decode(p))
            case .readerEventNotificationSpec:
                var states: [EventNotificationState] = []
                while let s = try v.nextParameter() {
                    guard s.type == .eventNotificationState else { continue }
                    var sv = s.body
                    states.append(EventNotificationState(eventType: try sv.u16(), enabled: try sv.u8().bit(0)))
                }
                eventNotificationStates = states
            case .roReportSpec: roReportSpec = try .decode(p)
            case .accessReportSpec: accessReportTrigger = try v.u8()
            case .llrpConfigurationStateValue: configurationStateValue = try v.u32()
            case .keepaliveSpec: keepaliveSpec = try .decode(p)
            case .gpiPortCurrentState: gpiPortStates.append(GPIPortCurrentState(port: try v.u16(), enabled: try v.u8().bit(0), state: try v.u8()))
            case .gpoWriteData: gpoWriteData.append(GPOWriteData(port: try v.u16(), data: try v.u8().bit(0)))
            case .eventsAndReports: holdEventsAndReportsUponReconnect = try v.u8().bit(0)
            case .custom: custom.append(try .decode(p))
            default: break
            }
        }
    }

    func encodeParameters(into w: inout ByteWriter) {
        identification.encode(into: &w)
        antennaProperties.encode(into: &w)
        antennaConfigurations.encode(into: &w)
        if let states = eventNotificationStates {
            w.tlv(.readerEventNotificationSpec) { w in
                for state in states {
                    w.tlv(.eventNotificationState) { w in
                        w.u16(state.eventType)
                        w.u8(.bits(state.enabled))
                    }
                }
            }
        }
        roReportSpec.encode(into: &w)
        if let accessReportTrigger { w.tlv(.accessReportSpec) { $0.u8(accessReportTrigger) } }
        if let configurationStateValue { w.tlv(.llrpConfigurationStateValue) { $0.u32(configurationStateValue) } }
        keepaliveSpec.encode(into: &w)
        for state in gpiPortStates {
            w.tlv(.gpiPortCurrentState) { w in
                w.u16(state.port)
                w.u8(.bits(state.enabled))
                w.u8(state.state)
            }
        }
        for data in gpoWriteData {
            w.tlv(.gpoWriteData) { w in
                w.u16(data.port)
                w.u8(.bits(data.data))
            }
        }
        if let hold = holdEventsAndReportsUponReconnect { w.tlv(.eventsAndReports) { $0.u8(.bits(hold)) } }
        custom.encode(into: &w)
    }
}
