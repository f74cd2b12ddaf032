/// `GeneralDeviceCapabilities` (137): who made the reader and what it has.
public struct GeneralDeviceCapabilities: Sendable, Equatable {
    /// `ReceiveSensitivityTableEntry` (139).
    public struct ReceiveSensitivity: Sendable, Equatable {
        /// The table index.
        public var index: UInt16
        /// Sensitivity in dB relative to the maximum.
        public var value: Int16
        /// Creates an entry.
        public init(index: UInt16, value: Int16) {
            self.index = index
            self.value = value
        }
    }

    /// `PerAntennaReceiveSensitivityRange` (149).
    public struct ReceiveSensitivityRange: Sendable, Equatable {
        /// The antenna.
        public var antennaID: UInt16
        /// The lowest table index it supports.
        public var minimumIndex: UInt16
        /// The highest table index it supports.
        public var maximumIndex: UInt16
        /// Creates a range.
        public init(antennaID: UInt16, minimumIndex: UInt16, maximumIndex: UInt16) {
            self.antennaID = antennaID
            self.minimumIndex = minimumIndex
            self.maximumIndex = maximumIndex
        }
    }

    /// `PerAntennaAirProtocol` (140).
    public struct AntennaAirProtocols: Sendable, Equatable {
        /// The antenna.
        public var antennaID: UInt16
        /// Air protocol ids (1 = EPC Gen2).
        public var protocolIDs: [UInt8]
        /// Creates an entry.
        public init(antennaID: UInt16, protocolIDs: [UInt8]) {
            self.antennaID = antennaID
            self.protocolIDs = protocolIDs
        }
    }

    /// Antenna ports.
    public var maxNumberOfAntennas: UInt16
    /// Whether antenna properties can be set.
    public var canSetAntennaProperties: Bool
    /// Whether the reader keeps a UTC clock; without one, timestamps are uptime.
    public var hasUTCClock: Bool
    /// IANA private enterprise number of the maker (25882 Impinj, 161 Zebra).
    public var deviceManufacturer: UInt32
    /// The maker's model number.
    public var model: UInt32
    /// Firmware version text.
    public var firmwareVersion: String
    /// Receive sensitivity table.
    public var receiveSensitivities: [ReceiveSensitivity]
    /// Per-antenna sensitivity ranges.
    public var receiveSensitivityRanges: [ReceiveSensitivityRange]
    /// `GPIOCapabilities` (141): (inputs, outputs).
    public var gpio: (inputs: UInt16, outputs: UInt16)?
    /// Air protocols per antenna.
    public var antennaAirProtocols: [AntennaAirProtocols]
    /// `MaximumReceiveSensitivity` (363, LLRP 1.1).
    public var maximumReceiveSensitivity: Int16?

    /// Creates capabilities.
    public init(maxNumberOfAntennas: UInt16, canSetAntennaProperties: Bool = false, hasUTCClock: Bool = true,
                deviceManufacturer: UInt32, model: UInt32, firmwareVersion: String,
                receiveSensitivities: [ReceiveSensitivity] = [], receiveSensitivityRanges: [ReceiveSensitivityRange] = [],
                gpio: (inputs: UInt16, outputs: UInt16)? = nil, antennaAirProtocols: [AntennaAirProtocols] = [],
                maximumReceiveSensitivity: Int16? = nil) {
        self.maxNumberOfAntennas = maxNumberOfAntennas
        self.canSetAntennaProperties = canSetAntennaProperties
        self.hasUTCClock = hasUTCClock
        self.deviceManufacturer = deviceManufacturer
        self.model = model
        self.firmwareVersion = firmwareVersion
        self.receiveSensitivities = receiveSensitivities
        self.receiveSensitivityRanges = receiveSensitivityRanges
        self.gpio = gpio
        self.antennaAirProtocols = antennaAirProtocols
        self.maximumReceiveSensitivity = maximumReceiveSensitivity
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.maxNumberOfAntennas == b.maxNumberOfAntennas && a.canSetAntennaProperties == b.canSetAntennaProperties
            && a.hasUTCClock == b.hasUTCClock && a.deviceManufacturer == b.deviceManufacturer && a.model == b.model
            && a.firmwareVersion == b.firmwareVersion && a.receiveSensitivities == b.receiveSensitivities
            && a.receiveSensitivityRanges == b.receiveSensitivityRanges && a.gpio?.inputs == b.gpio?.inputs
            && a.gpio?.outputs == b.gpio?.outputs && a.antennaAirProtocols == b.antennaAirProtocols
            && a.maximumReceiveSensitivity == b.maximumReceiveSensitivity
    }
}

extension GeneralDeviceCapabilities: ParameterCodable {
    static var parameterType: LLRPParameterType { .generalDeviceCapabilities }

    init(body: inout ByteCursor) throws(LLRPError) {
        let antennas = try body.u16()
        let flags = try body.u16()
        self.init(maxNumberOfAntennas: antennas, canSetAntennaProperties: flags & 0x8000 != 0, hasUTCClock: flags & 0x4000 != 0,
                  deviceManufacturer: try body.u32(), model: try body.u32(), firmwareVersion: try body.utf8v())
        while let p = try body.nextParameter() {
            var v = p.body
            switch p.type {
            case .receiveSensitivityTableEntry: receiveSensitivities.append(.init(index: try v.u16(), value: try v.i16()))
            case .perAntennaReceiveSensitivityRange:
                receiveSensitivityRanges.append(.init(antennaID: try v.u16(), minimumIndex: try v.u16(), maximumIndex: try v.u16()))
            case .gpioCapabilities: gpio = (try v.u16(), try v.u16())
            case .perAntennaAirProtocol: antennaAirProtocols.append(.init(antennaID: try v.u16(), protocolIDs: try v.u8v()))
            case .maximumReceiveSensitivity: maximumReceiveSensitivity = try v.i16()
            default: break
            }
        }
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u16(maxNumberOfAntennas)
        w.u16((canSetAntennaProperties ? 0x8000 : 0) | (hasUTCClock ? 0x4000 : 0))
        w.u32(deviceManufacturer)
        w.u32(model)
        w.utf8v(firmwareVersion)
        if let maximumReceiveSensitivity { w.tlv(.maximumReceiveSensitivity) { $0.i16(maximumReceiveSensitivity) } }
        for entry in receiveSensitivities {
            w.tlv(.receiveSensitivityTableEntry) { w in
                w.u16(entry.index)
                w.i16(entry.value)
            }
        }
        for range in receiveSensitivityRanges {
            w.tlv(.perAntennaReceiveSensitivityRange) { w in
                w.u16(range.antennaID)
                w.u16(range.minimumIndex)
                w.u16(range.maximumIndex)
            }
        }
        if let gpio {
            w.tlv(.gpioCapabilities) { w in
                w.u16(gpio.inputs)
                w.u16(gpio.outputs)
            }
        }
        for entry in antennaAirProtocols {
            w.tlv(.perAntennaAirProtocol) { w in
                w.u16(entry.antennaID)
                w.u8v(entry.protocolIDs)
            }
        }
    }
}

/// `LLRPCapabilities` (142): what the reader's LLRP implementation supports.
public struct LLRPCapabilities: Sendable, Equatable {
    /// Whether RF survey specs are supported.
    public var canDoRFSurvey: Bool
    /// Whether the reader warns when its report buffer fills.
    public var canReportBufferFillWarning: Bool
    /// Whether `CLIENT_REQUEST_OP` is supported.
    public var supportsClientRequestOpSpec: Bool
    /// Whether state-aware singulation is supported.
    public var canDoTagInventoryStateAwareSingulation: Bool
    /// Whether events and reports can be held across a reconnect.
    public var supportsEventAndReportHolding: Bool
    /// Priority levels.
    public var maxPriorityLevelSupported: UInt8
    /// Client request op spec timeout in milliseconds.
    public var clientRequestOpSpecTimeout: UInt16
    /// ROSpecs the reader holds.
    public var maxROSpecs: UInt32
    /// Specs per ROSpec.
    public var maxSpecsPerROSpec: UInt32
    /// Inventory parameter specs per AISpec.
    public var maxInventoryParameterSpecsPerAISpec: UInt32
    /// AccessSpecs the reader holds.
    public var maxAccessSpecs: UInt32
    /// OpSpecs per AccessSpec.
    public var maxOpSpecsPerAccessSpec: UInt32

    /// Creates capabilities.
    public init(canDoRFSurvey: Bool = false, canReportBufferFillWarning: Bool = false, supportsClientRequestOpSpec: Bool = false,
                canDoTagInventoryStateAwareSingulation: Bool = false, supportsEventAndReportHolding: Bool = false,
                maxPriorityLevelSupported: UInt8 = 1, clientRequestOpSpecTimeout: UInt16 = 0, maxROSpecs: UInt32 = 1,
                maxSpecsPerROSpec: UInt32 = 1, maxInventoryParameterSpecsPerAISpec: UInt32 = 1, maxAccessSpecs: UInt32 = 0,
                maxOpSpecsPerAccessSpec: UInt32 = 0) {
        self.canDoRFSurvey = canDoRFSurvey
        self.canReportBufferFillWarning = canReportBufferFillWarning
        self.supportsClientRequestOpSpec = supportsClientRequestOpSpec
        self.canDoTagInventoryStateAwareSingulation = canDoTagInventoryStateAwareSingulation
        self.supportsEventAndReportHolding = supportsEventAndReportHolding
        self.maxPriorityLevelSupported = maxPriorityLevelSupported
        self.clientRequestOpSpecTimeout = clientRequestOpSpecTimeout
        self.maxROSpecs = maxROSpecs
        self.maxSpecsPerROSpec = maxSpecsPerROSpec
        self.maxInventoryParameterSpecsPerAISpec = maxInventoryParameterSpecsPerAISpec
        self.maxAccessSpecs = maxAccessSpecs
        self.maxOpSpecsPerAccessSpec = maxOpSpecsPerAccessSpec
    }
}

extension LLRPCapabilities: ParameterCodable {
    static var parameterType: LLRPParameterType { .llrpCapabilities }

    init(body: inout ByteCursor) throws(LLRPError) {
        let flags = try body.u8()
        self.init(canDoRFSurvey: flags.bit(0), canReportBufferFillWarning: flags.bit(1), supportsClientRequestOpSpec: flags.bit(2),
                  canDoTagInventoryStateAwareSingulation: flags.bit(3), supportsEventAndReportHolding: flags.bit(4),
                  maxPriorityLevelSupported: try body.u8(), clientRequestOpSpecTimeout: try body.u16(), maxROSpecs: try body.u32(),
                  maxSpecsPerROSpec: try body.u32(), maxInventoryParameterSpecsPerAISpec: try body.u32(),
                  maxAccessSpecs: try body.u32(), maxOpSpecsPerAccessSpec: try body.u32())
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u8(.bits(canDoRFSurvey, canReportBufferFillWarning, supportsClientRequestOpSpec, canDoTagInventoryStateAwareSingulation,
                   supportsEventAndReportHolding))
        w.u8(maxPriorityLevelSupported)
        w.u16(clientRequestOpSpecTimeout)
        w.u32(maxROSpecs)
        w.u32(maxSpecsPerROSpec)
        w.u32(maxInventoryParameterSpecsPerAISpec)
        w.u32(maxAccessSpecs)
        w.u32(maxOpSpecsPerAccessSpec)
    }
}

/// `RegulatoryCapabilities` (143): the country, standard, power levels, frequencies and RF modes.
public struct RegulatoryCapabilities: Sendable, Equatable {
    /// `TransmitPowerLevelTableEntry` (145).
    public struct TransmitPowerLevel: Sendable, Equatable {
        /// The table index.
        public var index: UInt16
        /// Power in hundredths of a dBm.
        public var value: Int16
        /// Creates an entry.
        public init(index: UInt16, value: Int16) {
            self.index = index
            self.value = value
        }
    }

    /// `FrequencyHopTable` (147).
    public struct FrequencyHopTable: Sendable, Equatable {
        /// The table id.
        public var id: UInt8
        /// Frequencies in kHz, in hop order.
        public var frequencies: [UInt32]
        /// Creates a hop table.
        public init(id: UInt8, frequencies: [UInt32]) {
            self.id = id
            self.frequencies = frequencies
        }
    }

    /// `FrequencyInformation` (146).
    public struct FrequencyInformation: Sendable, Equatable {
        /// Whether the reader hops.
        public var hopping: Bool
        /// Hop tables, when hopping.
        public var hopTables: [FrequencyHopTable]
        /// `FixedFrequencyTable` (148) in kHz, when not hopping.
        public var fixedFrequencies: [UInt32]?
        /// Creates frequency information.
        public init(hopping: Bool, hopTables: [FrequencyHopTable] = [], fixedFrequencies: [UInt32]? = nil) {
            self.hopping = hopping
            self.hopTables = hopTables
            self.fixedFrequencies = fixedFrequencies
        }
    }

    /// `C1G2UHFRFModeTableEntry` (329).
    public struct RFMode: Sendable, Equatable {
        /// The mode id.
        public var id: UInt32
        /// Divide ratio: false = 8, true = 64/3.
        public var divideRatio: Bool
        /// Whether the mode is EPC HAG T&C conformant.
        public var epcHAGConformant: Bool
        /// 0 FM0, 1 Miller-2, 2 Miller-4, 3 Miller-8.
        public var modulation: UInt8
        /// 0 PR-ASK, 1 SSB-ASK, 2 DSB-ASK.
        public var forwardLinkModulation: UInt8
        /// 0 unknown, 1 single, 2 multi, 3 dense interrogator.
        public var spectralMask: UInt8
        /// Backscatter data rate in bps.
        public var backscatterDataRate: UInt32
        /// PIE ratio × 1000.
        public var pieRatio: UInt32
        /// Minimum Tari in ns.
        public var minTari: UInt32
        /// Maximum Tari in ns.
        public var maxTari: UInt32
        /// Tari step in ns.
        public var stepTari: UInt32
        /// Creates a mode entry.
        public init(id: UInt32, divideRatio: Bool, epcHAGConformant: Bool, modulation: UInt8, forwardLinkModulation: UInt8,
                    spectralMask: UInt8, backscatterDataRate: UInt32, pieRatio: UInt32, minTari: UInt32, maxTari: UInt32, stepTari: UInt32) {
            self.id = id
            self.divideRatio = divideRatio
            self.epcHAGConformant = epcHAGConformant
            self.modulation = modulation
            self.forwardLinkModulation = forwardLinkModulation
            self.spectralMask = spectralMask
            self.backscatterDataRate = backscatterDataRate
            self.pieRatio = pieRatio
            self.minTari = minTari
            self.maxTari = maxTari
            self.stepTari = stepTari
        }
    }

    /// `UHFBandCapabilities` (144).
    public struct UHFBand: Sendable, Equatable {
        /// Transmit power table.
        public var transmitPowerLevels: [TransmitPowerLevel]
        /// Frequencies.
        public var frequencyInformation: FrequencyInformation?
        /// `UHF_C1G2RFModeTable` (328).
        public var rfModes: [RFMode]?
        /// `RFSurveyFrequencyCapabilities` (365, LLRP 1.1): (minimum, maximum) in kHz.
        public var rfSurveyFrequencies: (minimum: UInt32, maximum: UInt32)?

        /// Creates band capabilities.
        public init(transmitPowerLevels: [TransmitPowerLevel], frequencyInformation: FrequencyInformation?, rfModes: [RFMode]?,
                    rfSurveyFrequencies: (minimum: UInt32, maximum: UInt32)? = nil) {
            self.transmitPowerLevels = transmitPowerLevels
            self.frequencyInformation = frequencyInformation
            self.rfModes = rfModes
            self.rfSurveyFrequencies = rfSurveyFrequencies
        }

        public static func == (a: Self, b: Self) -> Bool {
            a.transmitPowerLevels == b.transmitPowerLevels && a.frequencyInformation == b.frequencyInformation && a.rfModes == b.rfModes
                && a.rfSurveyFrequencies?.minimum == b.rfSurveyFrequencies?.minimum && a.rfSurveyFrequencies?.maximum == b.rfSurveyFrequencies?.maximum
        }
    }

    /// ISO 3166 numeric country code.
    public var countryCode: UInt16
    /// 1 US FCC 15, 2 ETSI 302 208, …
    public var communicationsStandard: UInt16
    /// UHF band capabilities.
    public var uhfBand: UHFBand?
    /// Vendor parameters.
    public var custom: [LLRPCustomParameter]

    /// Creates regulatory capabilities.
    public init(countryCode: UInt16, communicationsStandard: UInt16, uhfBand: UHFBand? = nil, custom: [LLRPCustomParameter] = []) {
        self.countryCode = countryCode
        self.communicationsStandard = communicationsStandard
        self.uhfBand = uhfBand
        self.custom = custom
    }
}

extension RegulatoryCapabilities: ParameterCodable {
    static var parameterType: LLRPParameterType { .regulatoryCapabilities }

    init(body: inout ByteCursor) throws(LLRPError) {
        self.init(countryCode: try body.u16(), communicationsStandard: try body.u16())
        while let p = try body.nextParameter() {
            switch p.type {
            case .uhfBandCapabilities:
                var v = p.body
                uhfBand = try Self.decodeBand(&v)
            case .custom: custom.append(try .decode(p))
            default: break
            }
        }
    }

    private static func decodeBand(_ v: inout ByteCursor) throws(LLRPError) -> UHFBand {
        var band = UHFBand(transmitPowerLevels: [], frequencyInformation: nil, rfModes: nil)
        while let p = try v.nextParameter() {
            var s = p.body
            switch p.type {
            case .transmitPowerLevelTableEntry: band.transmitPowerLevels.append(.init(index: try s.u16(), value: try s.i16()))
            case .frequencyInformation:
                var info = FrequencyInformation(hopping: try s.u8().bit(0))
                while let f = try s.nextParameter() {
                    var t = f.body
                    switch f.type {
                    case .frequencyHopTable:
                        let id = try t.u8()
                        try t.skip(1)
                        let count = Int(try t.u16())
                        guard count * 4 <= t.remaining else { throw t.truncated(needing: count * 4) }
                        var frequencies: [UInt32] = []
                        frequencies.reserveCapacity(count)
                        for _ in 0..<count { frequencies.append(try t.u32()) }
                        info.hopTables.append(.init(id: id, frequencies: frequencies))
                    case .fixedFrequencyTable:
                        let count = Int(try t.u16())
                        guard count * 4 <= t.remaining else { throw t.truncated(needing: count * 4) }
                        var frequencies: [UInt32] = []
                        for _ in 0..<count { frequencies.append(try t.u32()) }
                        info.fixedFrequencies = frequencies
                    default: break
                    }
                }
                band.frequencyInformation = info
            case .c1g2UHFRFModeTable:
                var modes: [RFMode] = []
                while let m = try s.nextParameter() {
                    guard m.type == .c1g2UHFRFModeTableEntry else { continue }
                    var e = m.body
                    let id = try e.u32()
                    let flags = try e.u8()
                    modes.append(RFMode(id: id, divideRatio: flags.bit(0), epcHAGConformant: flags.bit(1), modulation: try e.u8(),
                                        forwardLinkModulation: try e.u8(), spectralMask: try e.u8(), backscatterDataRate: try e.u32(),
                                        pieRatio: try e.u32(), minTari: try e.u32(), maxTari: try e.u32(), stepTari: try e.u32()))
                }
                band.rfModes = modes
            case .rfSurveyFrequencyCapabilities: band.rfSurveyFrequencies = (try s.u32(), try s.u32())
            default: break
            }
        }
        return band
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u16(countryCode)
        w.u16(communicationsStandard)
        if let band = uhfBand {
            w.tlv(.uhfBandCapabilities) { w in
                for level in band.transmitPowerLevels {
                    w.tlv(.transmitPowerLevelTableEntry) { w in
                        w.u16(level.index)
                        w.i16(level.value)
                    }
                }
                if let info = band.frequencyInformation {
                    w.tlv(.frequencyInformation) { w in
                        w.u8(.bits(info.hopping))
                        for table in info.hopTables {
                            w.tlv(.frequencyHopTable) { w in
                                let frequencies = table.frequencies.prefix(Int(UInt16.max))
                                w.u8(table.id)
                                w.u8(0)
                                w.u16(UInt16(frequencies.count))
                                for f in frequencies { w.u32(f) }
                            }
                        }
                        if let fixed = info.fixedFrequencies {
                            w.tlv(.fixedFrequencyTable) { w in
                                let frequencies = fixed.prefix(Int(UInt16.max))
                                w.u16(UInt16(frequencies.count))
                                for f in frequencies { w.u32(f) }
                            }
                        }
                    }
                }
                if let modes = band.rfModes {
                    w.tlv(.c1g2UHFRFModeTable) { w in
                        for mode in modes {
                            w.tlv(.c1g2UHFRFModeTableEntry) { w in
                                w.u32(mode.id)
                                w.u8(.bits(mode.divideRatio, mode.epcHAGConformant))
                                w.u8(mode.modulation)
                                w.u8(mode.forwardLinkModulation)
                                w.u8(mode.spectralMask)
                                w.u32(mode.backscatterDataRate)
                                w.u32(mode.pieRatio)
                                w.u32(mode.minTari)
                                w.u32(mode.maxTari)
                                w.u32(mode.stepTari)
                            }
                        }
                    }
                }
                if let survey = band.rfSurveyFrequencies {
                    w.tlv(.rfSurveyFrequencyCapabilities) { w in
                        w.u32(survey.minimum)
                        w.u32(survey.maximum)
                    }
                }
            }
        }
        custom.encode(into: &w)
    }
}

/// `C1G2LLRPCapabilities` (327): what Gen2 operations the reader supports.
public struct C1G2LLRPCapabilities: Sendable, Equatable {
    /// BlockErase.
    public var supportsBlockErase: Bool
    /// BlockWrite.
    public var supportsBlockWrite: Bool
    /// BlockPermalock (LLRP 1.1).
    public var supportsBlockPermalock: Bool
    /// Tag recommissioning (LLRP 1.1).
    public var supportsTagRecommissioning: Bool
    /// UMI method 2 (LLRP 1.1).
    public var supportsUMIMethod2: Bool
    /// XPC (LLRP 1.1).
    public var supportsXPC: Bool
    /// Select filters per query.
    public var maxSelectFiltersPerQuery: UInt16

    /// Creates Gen2 capabilities.
    public init(supportsBlockErase: Bool = false, supportsBlockWrite: Bool = false, supportsBlockPermalock: Bool = false,
                supportsTagRecommissioning: Bool = false, supportsUMIMethod2: Bool = false, supportsXPC: Bool = false,
                maxSelectFiltersPerQuery: UInt16 = 0) {
        self.supportsBlockErase = supportsBlockErase
        self.supportsBlockWrite = supportsBlockWrite
        self.supportsBlockPermalock = supportsBlockPermalock
        self.supportsTagRecommissioning = supportsTagRecommissioning
        self.supportsUMIMethod2 = supportsUMIMethod2
        self.supportsXPC = supportsXPC
        self.maxSelectFiltersPerQuery = maxSelectFiltersPerQuery
    }
}

extension C1G2LLRPCapabilities: ParameterCodable {
    static var parameterType: LLRPParameterType { .c1g2LLRPCapabilities }

    init(body: inout ByteCursor) throws(LLRPError) {
        let flags = try body.u8()
        self.init(supportsBlockErase: flags.bit(0), supportsBlockWrite: flags.bit(1), supportsBlockPermalock: flags.bit(2),
                  supportsTagRecommissioning: flags.bit(3), supportsUMIMethod2: flags.bit(4), supportsXPC: flags.bit(5),
                  maxSelectFiltersPerQuery: try body.u16())
    }

    func encodeBody(into w: inout ByteWriter) {
        w.u8(.bits(supportsBlockErase, supportsBlockWrite, supportsBlockPermalock, supportsTagRecommissioning, supportsUMIMethod2, supportsXPC))
        w.u16(maxSelectFiltersPerQuery)
    }
}

/// The body of `GET_READER_CAPABILITIES_RESPONSE` (11).
public struct ReaderCapabilities: Sendable, Equatable {
    /// The outcome of the request.
    public var status: LLRPStatus
    /// Maker, model, antennas, clock.
    public var general: GeneralDeviceCapabilities?
    /// LLRP limits.
    public var llrp: LLRPCapabilities?
    /// Regulatory data.
    public var regulatory: RegulatoryCapabilities?
    /// Gen2 capabilities.
    public var c1g2: C1G2LLRPCapabilities?
    /// Vendor parameters.
    public var custom: [LLRPCustomParameter]

    /// Creates a capabilities response body.
    public init(status: LLRPStatus = .success, general: GeneralDeviceCapabilities? = nil, llrp: LLRPCapabilities? = nil,
                regulatory: RegulatoryCapabilities? = nil, c1g2: C1G2LLRPCapabilities? = nil, custom: [LLRPCustomParameter] = []) {
        self.status = status
        self.general = general
        self.llrp = llrp
        self.regulatory = regulatory
        self.c1g2 = c1g2
        self.custom = custom
    }

    init(body: inout ByteCursor) throws(LLRPError) {
        var status: LLRPStatus?
        self.init()
        while let p = try body.nextParameter() {
            switch p.type {
            case .llrpStatus: status = try .decode(p)
            case .generalDeviceCapabilities: general = try .decode(p)
            case .llrpCapabilities: llrp = try .decode(p)
            case .regulatoryCapabilities: regulatory = try .decode(p)
            case .c1g2LLRPCapabilities: c1g2 = try .decode(p)
            case .custom: custom.append(try .decode(p))
            default: break
            }
        }
        guard let status else { throw missing(.llrpStatus, in: "GET_READER_CAPABILITIES_RESPONSE") }
        self.status = status
    }

    func encodeBody(into w: inout ByteWriter) {
        status.encode(into: &w)
        general.encode(into: &w)
        llrp.encode(into: &w)
        regulatory.encode(into: &w)
        c1g2.encode(into: &w)
        custom.encode(into: &w)
    }
}
