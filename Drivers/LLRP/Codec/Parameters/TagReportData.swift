/// `TagReportData` (240): one tag as the reader saw it, with whatever the content selector asked for.
public struct TagReportData: Sendable, Equatable {
    /// The tag's EPC, in the encoding the reader chose.
    public enum EPC: Sendable, Equatable {
        /// `EPC-96` (TV 13): exactly 12 bytes; shorter arrays are zero-padded and longer ones cut when encoded.
        case epc96([UInt8])
        /// `EPCData` (241): any bit count, the bits padded to a whole byte.
        case data(bitCount: UInt16, bytes: [UInt8])

        /// The EPC bytes.
        public var bytes: [UInt8] {
            switch self {
            case .epc96(let bytes), .data(_, let bytes): bytes
            }
        }

        /// The number of significant bits.
        public var bitCount: Int {
            switch self {
            case .epc96: 96
            case .data(let bits, _): Int(bits)
            }
        }
    }

    /// The tag's EPC.
    public var epc: EPC
    /// `ROSpecID` (TV 9).
    public var roSpecID: UInt32?
    /// `SpecIndex` (TV 14).
    public var specIndex: UInt16?
    /// `InventoryParameterSpecID` (TV 10).
    public var inventoryParameterSpecID: UInt16?
    /// `AntennaID` (TV 1).
    public var antennaID: UInt16?
    /// `PeakRSSI` (TV 6), in dBm.
    public var peakRSSI: Int8?
    /// `ChannelIndex` (TV 7).
    public var channelIndex: UInt16?
    /// `FirstSeenTimestampUTC` (TV 2), microseconds since the epoch by the reader's clock.
    public var firstSeenUTC: UInt64?
    /// `FirstSeenTimestampUptime` (TV 3), microseconds since the reader booted.
    public var firstSeenUptime: UInt64?
    /// `LastSeenTimestampUTC` (TV 4).
    public var lastSeenUTC: UInt64?
    /// `LastSeenTimestampUptime` (TV 5).
    public var lastSeenUptime: UInt64?
    /// `TagSeenCount` (TV 8).
    public var tagSeenCount: UInt16?
    /// `C1G2_PC` (TV 12).
    public var c1g2PC: UInt16?
    /// `C1G2_XPC_W1` (TV 19).
    public var c1g2XPCW1: UInt16?
    /// `C1G2_XPC_W2` (TV 20).
    public var c1g2XPCW2: UInt16?
    /// `C1G2_CRC` (TV 11).
    public var c1g2CRC: UInt16?
    /// `AccessSpecID` (TV 16).
    public var accessSpecID: UInt32?
    /// `ClientRequestOpSpecResult` (TV 15).
    public var clientRequestOpSpecResult: UInt16?
    /// `OpSpecID` (TV 17).
    public var opSpecID: UInt16?
    /// `C1G2SingulationDetails` (TV 18): number of collision slots and empty slots, packed.
    public var c1g2SingulationDetails: UInt32?
    /// Access results (`C1G2ReadOpSpecResult` and kin, 349–362), carried unparsed.
    public var opSpecResults: [LLRPRawParameter]
    /// Vendor parameters, such as Impinj's peak RSSI, phase or TID.
    public var custom: [LLRPCustomParameter]

    /// Creates a tag report.
    public init(epc: EPC, roSpecID: UInt32? = nil, specIndex: UInt16? = nil, inventoryParameterSpecID: UInt16? = nil,
                antennaID: UInt16? = nil, peakRSSI: Int8? = nil, channelIndex: UInt16? = nil,
                firstSeenUTC: UInt64? = nil, firstSeenUptime: UInt64? = nil, lastSeenUTC: UInt64? = nil, lastSeenUptime: UInt64? = nil,
                tagSeenCount: UInt16? = nil, c1g2PC: UInt16? = nil, c1g2XPCW1: UInt16? = nil, c1g2XPCW2: UInt16? = nil,
                c1g2CRC: UInt16? = nil, accessSpecID: UInt32? = nil, clientRequestOpSpecResult: UInt16? = nil,
                opSpecID: UInt16? = nil, c1g2SingulationDetails: UInt32? = nil,
                opSpecResults: [LLRPRawParameter] = [], custom: [LLRPCustomParameter] = []) {
        self.epc = epc
        self.roSpecID = roSpecID
        self.specIndex = specIndex
        self.inventoryParameterSpecID = inventoryParameterSpecID
        self.antennaID = antennaID
        self.peakRSSI = peakRSSI
        self.channelIndex = channelIndex
        self.firstSeenUTC = firstSeenUTC
        self.firstSeenUptime = firstSeenUptime
        self.lastSeenUTC = lastSeenUTC
        self.lastSeenUptime = lastSeenUptime
        self.tagSeenCount = tagSeenCount
        self.c1g2PC = c1g2PC
        self.c1g2XPCW1 = c1g2XPCW1
        self.c1g2XPCW2 = c1g2XPCW2
        self.c1g2CRC = c1g2CRC
        self.accessSpecID = accessSpecID
        self.clientRequestOpSpecResult = clientRequestOpSpecResult
        self.opSpecID = opSpecID
        self.c1g2SingulationDetails = c1g2SingulationDetails
        self.opSpecResults = opSpecResults
        self.custom = custom
    }

    /// Impinj's peak RSSI (custom subtype 57) in hundredths of a dBm, when the reader sent it.
    public var impinjPeakRSSI: Int16? {
        for parameter in custom
        where parameter.vendorID == LLRPCustomParameter.impinjVendorID && parameter.subtype == LLRPCustomParameter.impinjPeakRSSISubtype
            && parameter.payload.count >= 2 {
            return Int16(bitPattern: UInt16(parameter.payload[0]) << 8 | UInt16(parameter.payload[1]))
        }
        return nil
    }

    /// The range of access-result parameter types kept in ``opSpecResults``.
    static let opSpecResultTypes: ClosedRange<UInt16> = 349...362
}

extension TagReportData: ParameterCodable {
    static var parameterType: LLRPParameterType { .tagReportData }

    init(body: inout ByteCursor) throws(LLRPError) {
        var epc: EPC?
        self.init(epc: .data(bitCount: 0, bytes: []))
        while let p = try body.nextParameter() {
            var v = p.body
            switch p.type.rawValue {
            case 13: epc = .epc96(try v.bytes(12))
            case 241:
                let bits = try v.u16()
                let count = (Int(bits) + 7) / 8
                guard count <= v.remaining else {
                    throw LLRPError(.truncated, "EPCData: \(bits) bits need \(count) bytes, \(v.remaining) present")
                }
                epc = .data(bitCount: bits, bytes: try v.bytes(count))
            case 1: antennaID = try v.u16()
            case 2: firstSeenUTC = try v.u64()
            case 3: firstSeenUptime = try v.u64()
            case 4: lastSeenUTC = try v.u64()
            case 5: lastSeenUptime = try v.u64()
            case 6: peakRSSI = try v.i8()
            case 7: channelIndex = try v.u16()
            case 8: tagSeenCount = try v.u16()
            case 9: roSpecID = try v.u32()
            case 10: inventoryParameterSpecID = try v.u16()
            case 11: c1g2CRC = try v.u16()
            case 12: c1g2PC = try v.u16()
            case 14: specIndex = try v.u16()
            case 15: clientRequestOpSpecResult = try v.u16()
            case 16: accessSpecID = try v.u32()
            case 17: opSpecID = try v.u16()
            case 18: c1g2SingulationDetails = try v.u32()
            case 19: c1g2XPCW1 = try v.u16()
            case 20: c1g2XPCW2 = try v.u16()
            case 1023: custom.append(try .decode(p))
            case Self.opSpecResultTypes: opSpecResults.append(LLRPRawParameter(p))
            default: break // unknown TLVs: skipped by their length
            }
        }
        guard let epc else { throw LLRPError(.missingParameter, "TagReportData: neither EPC-96 nor EPCData is present") }
        self.epc = epc
    }

    func encodeBody(into w: inout ByteWriter) {
        switch epc {
        case .epc96(let bytes):
            w.tv(.epc96)
            let fixed = Array(bytes.prefix(12))
            w.append(fixed + [UInt8](repeating: 0, count: 12 - fixed.count))
        case .data(let bits, let bytes):
            w.tlv(.epcData) { w in
                let count = (Int(bits) + 7) / 8
                let fixed = Array(bytes.prefix(count))
                w.u16(bits)
                w.append(fixed + [UInt8](repeating: 0, count: count - fixed.count))
            }
        }
        func tv16(_ type: LLRPParameterType, _ value: UInt16?) {
            if let value { w.tv(type); w.u16(value) }
        }
        func tv32(_ type: LLRPParameterType, _ value: UInt32?) {
            if let value { w.tv(type); w.u32(value) }
        }
        func tv64(_ type: LLRPParameterType, _ value: UInt64?) {
            if let value { w.tv(type); w.u64(value) }
        }
        tv32(.roSpecID, roSpecID)
        tv16(.specIndex, specIndex)
        tv16(.inventoryParameterSpecID, inventoryParameterSpecID)
        tv16(.antennaID, antennaID)
        if let peakRSSI { w.tv(.peakRSSI); w.i8(peakRSSI) }
        tv16(.channelIndex, channelIndex)
        tv64(.firstSeenTimestampUTC, firstSeenUTC)
        tv64(.firstSeenTimestampUptime, firstSeenUptime)
        tv64(.lastSeenTimestampUTC, lastSeenUTC)
        tv64(.lastSeenTimestampUptime, lastSeenUptime)
        tv16(.tagSeenCount, tagSeenCount)
        tv16(.c1g2PC, c1g2PC)
        tv16(.c1g2XPCW1, c1g2XPCW1)
        tv16(.c1g2XPCW2, c1g2XPCW2)
        tv16(.c1g2CRC, c1g2CRC)
        tv32(.accessSpecID, accessSpecID)
        opSpecResults.encode(into: &w)
        tv16(.clientRequestOpSpecResult, clientRequestOpSpecResult)
        tv16(.opSpecID, opSpecID)
        tv32(.c1g2SingulationDetails, c1g2SingulationDetails)
        custom.encode(into: &w)
    }
}

/// The body of `RO_ACCESS_REPORT` (61): tag reports, survey reports and vendor parameters.
public struct ROAccessReport: Sendable, Equatable {
    /// The tags, in the order the reader listed them.
    public var tagReports: [TagReportData]
    /// `RFSurveyReportData` (242), carried unparsed.
    public var rfSurveyReports: [LLRPRawParameter]
    /// Vendor parameters at report level.
    public var custom: [LLRPCustomParameter]

    /// Creates a report.
    public init(tagReports: [TagReportData], rfSurveyReports: [LLRPRawParameter] = [], custom: [LLRPCustomParameter] = []) {
        self.tagReports = tagReports
        self.rfSurveyReports = rfSurveyReports
        self.custom = custom
    }

    init(body: inout ByteCursor) throws(LLRPError) {
        self.init(tagReports: [])
        while let p = try body.nextParameter() {
            switch p.type {
            case .tagReportData: tagReports.append(try .decode(p))
            case LLRPParameterType(rawValue: 242): rfSurveyReports.append(LLRPRawParameter(p))
            case .custom: custom.append(try .decode(p))
            default: break
            }
        }
    }

    func encodeBody(into w: inout ByteWriter) {
        tagReports.encode(into: &w)
        rfSurveyReports.encode(into: &w)
        custom.encode(into: &w)
    }
}
