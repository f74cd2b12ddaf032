/// `ROSpec` (177): what to inventory, when to start and stop, and how to report.
public struct ROSpec: Sendable, Equatable {
    /// The spec's id; 0 is reserved (it means "all" in requests).
    public var id: UInt32
    /// 0 is the highest priority.
    public var priority: UInt8
    /// 0 disabled, 1 inactive, 2 active; a client adds a spec in state 0.
    public var currentState: UInt8
    /// When the spec starts and stops.
    public var boundary: ROBoundarySpec
    /// The antenna inventory specs, run in order.
    public var aiSpecs: [AISpec]
    /// Other spec parameters (`RFSurveySpec`, `LoopSpec`, custom specs), carried unparsed.
    public var otherSpecs: [LLRPRawParameter]
    /// How the reader reports; `nil` uses the reader's configured default.
    public var reportSpec: ROReportSpec?

    /// Creates an ROSpec.
    public init(id: UInt32, priority: UInt8 = 0, currentState: UInt8 = 0, boundary: ROBoundarySpec, aiSpecs: [AISpec],
                otherSpecs: [LLRPRawParameter] = [], reportSpec: ROReportSpec? = nil) {
        self.id = id
        self.priority = priority
        self.currentState = currentState
        self.boundary = boundary
        self.aiSpecs = aiSpecs
        self.otherSpecs = otherSpecs
        self.reportSpec = reportSpec
    }
}

extension ROSpec: ParameterCodable {
    static var parameterType: LLRPParameterType { .roSpec }

    init(body: inout ByteCursor) throws(LLRPError) {
        id = try body.u32()
        priority = try body.u8()
        currentState = try body.u8()
        var boundary: ROBoundarySpec?
        aiSpecs = []
        otherSpecs = []
        while let p = try body.nextParameter() {
            switch p.type.rawValue {
            case 178: boundary = try .decode(p)
            case 183: aiSpecs.append(try .decode(p))
            case 237: reportSpec = try .decode(p)
            case 187, 355, 1023: otherSpecs.append(LLRPRawParameter(p))
            default: break
            }
        }
        guard let boundary else { throw missing(.roBoundarySpec, in: "ROSpec") }
        self.boundary = boundary
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u32(id)
        w.u8(priority)
        w.u8(currentState)
        boundary.encode(into: &w)
        aiSpecs.encode(into: &w)
        otherSpecs.encode(into: &w)
        reportSpec.encode(into: &w)
    }
}

/// `ROBoundarySpec` (178): the start and stop triggers of an ROSpec.
public struct ROBoundarySpec: Sendable, Equatable {
    /// `ROSpecStartTrigger` (179).
    public struct StartTrigger: Sendable, Equatable {
        /// 0 null (start on `START_ROSPEC`), 1 immediate, 2 periodic, 3 GPI.
        public var type: UInt8
        /// `PeriodicTriggerValue` / `GPITriggerValue`, carried unparsed.
        public var values: [LLRPRawParameter]

        /// Creates a start trigger.
        public init(type: UInt8, values: [LLRPRawParameter] = []) {
            self.type = type
            self.values = values
        }

        /// Start as soon as the spec is enabled.
        public static let immediate = StartTrigger(type: 1)
        /// Start on `START_ROSPEC` only.
        public static let null = StartTrigger(type: 0)
    }

    /// `ROSpecStopTrigger` (182).
    public struct StopTrigger: Sendable, Equatable {
        /// 0 null (run until `STOP_ROSPEC`), 1 duration, 2 GPI with timeout.
        public var type: UInt8
        /// Milliseconds, for the duration trigger.
        public var durationMilliseconds: UInt32
        /// `GPITriggerValue`, carried unparsed.
        public var values: [LLRPRawParameter]

        /// Creates a stop trigger.
        public init(type: UInt8, durationMilliseconds: UInt32 = 0, values: [LLRPRawParameter] = []) {
            self.type = type
            self.durationMilliseconds = durationMilliseconds
            self.values = values
        }

        /// Run until stopped.
        public static let null = StopTrigger(type: 0)
    }

    /// When the spec starts.
    public var start: StartTrigger
    /// When it stops.
    public var stop: StopTrigger

    /// Creates a boundary spec.
    public init(start: StartTrigger, stop: StopTrigger) {
        self.start = start
        self.stop = stop
    }
}

extension ROBoundarySpec: ParameterCodable {
    static var parameterType: LLRPParameterType { .roBoundarySpec }

    init(body: inout ByteCursor) throws(LLRPError) {
        var start: StartTrigger?
        var stop: StopTrigger?
        while let p = try body.nextParameter() {
            var v = p.body
            switch p.type {
            case .roSpecStartTrigger:
                var trigger = StartTrigger(type: try v.u8())
                while let sub = try v.nextParameter() {
                    if sub.type.rawValue == 180 || sub.type.rawValue == 181 { trigger.values.append(LLRPRawParameter(sub)) }
                }
                start = trigger
            case .roSpecStopTrigger:
                var trigger = StopTrigger(type: try v.u8(), durationMilliseconds: try v.u32())
                while let sub = try v.nextParameter() {
                    if sub.type.rawValue == 181 { trigger.values.append(LLRPRawParameter(sub)) }
                }
                stop = trigger
            default: break
            }
        }
        guard let start else { throw missing(.roSpecStartTrigger, in: "ROBoundarySpec") }
        guard let stop else { throw missing(.roSpecStopTrigger, in: "ROBoundarySpec") }
        self.start = start
        self.stop = stop
    }

    func encodeBody(into w: inout ByteWriter) {
        w.tlv(.roSpecStartTrigger) { w in
            w.u8(start.type)
            start.values.encode(into: &w)
        }
        w.tlv(.roSpecStopTrigger) { w in
            w.u8(stop.type)
            w.u32(stop.durationMilliseconds)
            stop.values.encode(into: &w)
        }
    }
}

/// `AISpec` (183): an antenna inventory: which antennas, until when, with which air protocol settings.
public struct AISpec: Sendable, Equatable {
    /// `AISpecStopTrigger` (184).
    public struct StopTrigger: Sendable, Equatable {
        /// 0 null (stop with the ROSpec), 1 duration, 2 GPI with timeout, 3 tag observation.
        public var type: UInt8
        /// Milliseconds, for the duration trigger.
        public var durationMilliseconds: UInt32
        /// `GPITriggerValue` / `TagObservationTrigger`, carried unparsed.
        public var values: [LLRPRawParameter]

        /// Creates a stop trigger.
        public init(type: UInt8, durationMilliseconds: UInt32 = 0, values: [LLRPRawParameter] = []) {
            self.type = type
            self.durationMilliseconds = durationMilliseconds
            self.values = values
        }

        /// Stop with the ROSpec.
        public static let null = StopTrigger(type: 0)
    }

    /// Antenna ids; `[0]` means every antenna.
    public var antennaIDs: [UInt16]
    /// When the inventory stops.
    public var stopTrigger: StopTrigger
    /// At least one inventory parameter spec.
    public var inventoryParameterSpecs: [InventoryParameterSpec]
    /// Vendor parameters.
    public var custom: [LLRPCustomParameter]

    /// Creates an AISpec.
    public init(antennaIDs: [UInt16], stopTrigger: StopTrigger = .null, inventoryParameterSpecs: [InventoryParameterSpec],
                custom: [LLRPCustomParameter] = []) {
        self.antennaIDs = antennaIDs
        self.stopTrigger = stopTrigger
        self.inventoryParameterSpecs = inventoryParameterSpecs
        self.custom = custom
    }
}

extension AISpec: ParameterCodable {
    static var parameterType: LLRPParameterType { .aiSpec }

    init(body: inout ByteCursor) throws(LLRPError) {
        antennaIDs = try body.u16v()
        var stop: StopTrigger?
        inventoryParameterSpecs = []
        custom = []
        while let p = try body.nextParameter() {
            switch p.type {
            case .aiSpecStopTrigger:
                var v = p.body
                var trigger = StopTrigger(type: try v.u8(), durationMilliseconds: try v.u32())
                while let sub = try v.nextParameter() {
                    if sub.type.rawValue == 181 || sub.type.rawValue == 185 { trigger.values.append(LLRPRawParameter(sub)) }
                }
                stop = trigger
            case .inventoryParameterSpec: inventoryParameterSpecs.append(try .decode(p))
            case .custom: custom.append(try .decode(p))
            default: break
            }
        }
        guard let stop else { throw missing(.aiSpecStopTrigger, in: "AISpec") }
        stopTrigger = stop
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u16v(antennaIDs)
        w.tlv(.aiSpecStopTrigger) { w in
            w.u8(stopTrigger.type)
            w.u32(stopTrigger.durationMilliseconds)
            stopTrigger.values.encode(into: &w)
        }
        inventoryParameterSpecs.encode(into: &w)
        custom.encode(into: &w)
    }
}

/// `InventoryParameterSpec` (186): the air protocol and per-antenna settings of an inventory.
public struct InventoryParameterSpec: Sendable, Equatable {
    /// The spec's id, reported back in `InventoryParameterSpecID`.
    public var id: UInt16
    /// 1 = EPCglobal Class 1 Gen 2.
    public var protocolID: UInt8
    /// Per-antenna overrides of the reader configuration.
    public var antennaConfigurations: [AntennaConfiguration]
    /// Vendor parameters.
    public var custom: [LLRPCustomParameter]

    /// Creates an inventory parameter spec.
    public init(id: UInt16, protocolID: UInt8 = 1, antennaConfigurations: [AntennaConfiguration] = [], custom: [LLRPCustomParameter] = []) {
        self.id = id
        self.protocolID = protocolID
        self.antennaConfigurations = antennaConfigurations
        self.custom = custom
    }
}

extension InventoryParameterSpec: ParameterCodable {
    static var parameterType: LLRPParameterType { .inventoryParameterSpec }

    init(body: inout ByteCursor) throws(LLRPError) {
        id = try body.u16()
        protocolID = try body.u8()
        antennaConfigurations = []
        custom = []
        while let p = try body.nextParameter() {
            switch p.type {
            case .antennaConfiguration: antennaConfigurations.append(try .decode(p))
            case .custom: custom.append(try .decode(p))
            default: break
            }
        }
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u16(id)
        w.u8(protocolID)
        antennaConfigurations.encode(into: &w)
        custom.encode(into: &w)
    }
}

/// `ROReportSpec` (237): when the reader sends `RO_ACCESS_REPORT`s and what each tag entry contains.
public struct ROReportSpec: Sendable, Equatable {
    /// 0 none, 1 at the end of each AISpec or N tags, 2 at the end of the ROSpec or N tags.
    public var trigger: UInt8
    /// Tags per report; 0 means no limit.
    public var n: UInt16
    /// Which fields each `TagReportData` carries.
    public var contentSelector: TagReportContentSelector
    /// Vendor parameters (for example Impinj's own content selector).
    public var custom: [LLRPCustomParameter]

    /// Creates a report spec.
    public init(trigger: UInt8, n: UInt16, contentSelector: TagReportContentSelector, custom: [LLRPCustomParameter] = []) {
        self.trigger = trigger
        self.n = n
        self.contentSelector = contentSelector
        self.custom = custom
    }
}

extension ROReportSpec: ParameterCodable {
    static var parameterType: LLRPParameterType { .roReportSpec }

    init(body: inout ByteCursor) throws(LLRPError) {
        trigger = try body.u8()
        n = try body.u16()
        var selector: TagReportContentSelector?
        custom = []
        while let p = try body.nextParameter() {
            switch p.type {
            case .tagReportContentSelector: selector = try .decode(p)
            case .custom: custom.append(try .decode(p))
            default: break
            }
        }
        guard let selector else { throw missing(.tagReportContentSelector, in: "ROReportSpec") }
        contentSelector = selector
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u8(trigger)
        w.u16(n)
        contentSelector.encode(into: &w)
        custom.encode(into: &w)
    }
}

/// `TagReportContentSelector` (238): the fields the reader includes in each `TagReportData`.
public struct TagReportContentSelector: Sendable, Equatable {
    /// The selector bits, bit 15 first.
    public struct Fields: OptionSet, Sendable, Hashable {
        /// The bitfield.
        public let rawValue: UInt16
        /// Creates fields from the bitfield.
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// `EnableROSpecID`.
        public static let roSpecID = Fields(rawValue: 1 << 15)
        /// `EnableSpecIndex`.
        public static let specIndex = Fields(rawValue: 1 << 14)
        /// `EnableInventoryParameterSpecID`.
        public static let inventoryParameterSpecID = Fields(rawValue: 1 << 13)
        /// `EnableAntennaID`.
        public static let antennaID = Fields(rawValue: 1 << 12)
        /// `EnableChannelIndex`.
        public static let channelIndex = Fields(rawValue: 1 << 11)
        /// `EnablePeakRSSI`.
        public static let peakRSSI = Fields(rawValue: 1 << 10)
        /// `EnableFirstSeenTimestamp`.
        public static let firstSeenTimestamp = Fields(rawValue: 1 << 9)
        /// `EnableLastSeenTimestamp`.
        public static let lastSeenTimestamp = Fields(rawValue: 1 << 8)
        /// `EnableTagSeenCount`.
        public static let tagSeenCount = Fields(rawValue: 1 << 7)
        /// `EnableAccessSpecID`.
        public static let accessSpecID = Fields(rawValue: 1 << 6)
    }

    /// `C1G2EPCMemorySelector` (348): whether the Gen2 CRC, PC and XPC words are reported.
    public struct C1G2EPCMemorySelector: Sendable, Equatable {
        /// Report `C1G2_CRC`.
        public var crc: Bool
        /// Report `C1G2_PC`.
        public var pcBits: Bool
        /// Report the XPC words (LLRP 1.1).
        public var xpcBits: Bool

        /// Creates a memory selector.
        public init(crc: Bool = false, pcBits: Bool = false, xpcBits: Bool = false) {
            self.crc = crc
            self.pcBits = pcBits
            self.xpcBits = xpcBits
        }
    }

    /// The selected fields.
    public var fields: Fields
    /// Air-protocol memory selectors.
    public var memorySelectors: [C1G2EPCMemorySelector]
    /// Vendor parameters.
    public var custom: [LLRPCustomParameter]

    /// Creates a selector.
    public init(fields: Fields, memorySelectors: [C1G2EPCMemorySelector] = [], custom: [LLRPCustomParameter] = []) {
        self.fields = fields
        self.memorySelectors = memorySelectors
        self.custom = custom
    }
}

extension TagReportContentSelector: ParameterCodable {
    static var parameterType: LLRPParameterType { .tagReportContentSelector }

    init(body: inout ByteCursor) throws(LLRPError) {
        // The low six bits are reserved; dropping them keeps a decoded selector equal to what we would send.
        fields = Fields(rawValue: try body.u16() & 0xFFC0)
        memorySelectors = []
        custom = []
        while let p = try body.nextParameter() {
            switch p.type {
            case .c1g2EPCMemorySelector:
                var v = p.body
                let flags = try v.u8()
                memorySelectors.append(C1G2EPCMemorySelector(crc: flags.bit(0), pcBits: flags.bit(1), xpcBits: flags.bit(2)))
            case .custom: custom.append(try .decode(p))
            default: break
            }
        }
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u16(fields.rawValue & 0xFFC0)
        for selector in memorySelectors {
            w.tlv(.c1g2EPCMemorySelector) { $0.u8(.bits(selector.crc, selector.pcBits, selector.xpcBits)) }
        }
        custom.encode(into: &w)
    }
}
