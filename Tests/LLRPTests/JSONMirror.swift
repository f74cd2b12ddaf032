import Foundation
import LLRP

/// A JSON value as the published decodings hold it, decoded strictly (a 1 is never `true`).
indirect enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let v = try? container.decode(Bool.self) { self = .bool(v) }
        else if let v = try? container.decode(Int64.self) { self = .int(v) }
        else if let v = try? container.decode(Double.self) { self = .double(v) }
        else if let v = try? container.decode(String.self) { self = .string(v) }
        else if let v = try? container.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let v): "\(v)"
        case .int(let v): "\(v)"
        case .double(let v): "\(v)"
        case .string(let v): "\"\(v)\""
        case .array(let v): "[\(v.count) items]"
        case .object(let v): "{\(v.keys.sorted().joined(separator: ", "))}"
        }
    }
}

/// Compares a published decoding with ours: every field the JSON carries must be present in ours
/// with the same value. A JSON `null` matches an absent value or an empty list.
func compare(expected: JSONValue, actual: JSONValue, path: String = "$", issues: inout [String]) {
    switch (expected, actual) {
    case (.null, .null): return
    case (.null, .array(let items)) where items.isEmpty: return
    case (.object(let e), .object(let a)):
        for key in e.keys.sorted() {
            guard let value = a[key] else {
                issues.append("\(path).\(key): in the JSON (\(e[key]!)) but not in our decoding")
                continue
            }
            compare(expected: e[key]!, actual: value, path: "\(path).\(key)", issues: &issues)
        }
    case (.array(let e), .array(let a)):
        guard e.count == a.count else {
            issues.append("\(path): \(e.count) items in the JSON, \(a.count) in ours")
            return
        }
        for (index, pair) in zip(e, a).enumerated() {
            compare(expected: pair.0, actual: pair.1, path: "\(path)[\(index)]", issues: &issues)
        }
    default:
        if expected != actual { issues.append("\(path): JSON has \(expected), ours has \(actual)") }
    }
}

/// Our decodings, shaped and named like the published JSON (a Go decoder's field names).
enum Mirror {
    static func int(_ v: some BinaryInteger) -> JSONValue { .int(Int64(v)) }
    static func int(_ v: (some BinaryInteger)?) -> JSONValue { v.map { .int(Int64($0)) } ?? .null }
    static func bytes(_ v: [UInt8]?) -> JSONValue { v.map { .string(Data($0).base64EncodedString()) } ?? .null }
    static func list<T>(_ items: [T], _ body: (T) -> JSONValue) -> JSONValue { .array(items.map(body)) }
    static func custom(_ items: [LLRPCustomParameter]) -> JSONValue {
        list(items) { .object(["Vendor": int($0.vendorID), "Subtype": int($0.subtype), "Data": bytes($0.payload)]) }
    }

    static func body(_ body: LLRPMessage.Body) -> JSONValue {
        switch body {
        case .closeConnectionResponse(let status): .object(["LLRPStatus": self.status(status)])
        case .getROSpecsResponse(let status, let specs):
            .object(["LLRPStatus": self.status(status), "ROSpecs": list(specs) { .object(["ROSpecID": int($0.id)]) }])
        case .getAccessSpecsResponse(let status, let specs):
            .object(["LLRPStatus": self.status(status), "AccessSpecs": list(specs) { bytes($0.body) }])
        case .getReaderCapabilitiesResponse(let caps): capabilities(caps)
        case .getReaderConfigResponse(let status, let config): readerConfig(status, config)
        case .readerEventNotification(let data): .object(["ReaderEventNotificationData": event(data)])
        case .roAccessReport(let report): roAccessReport(report)
        default: .string("no mirror for \(body.type)")
        }
    }

    static func status(_ s: LLRPStatus) -> JSONValue {
        .object([
            "Status": int(s.code.rawValue),
            "ErrorDescription": .string(s.errorDescription),
            "FieldError": s.fieldError.map { .object(["FieldIndex": int($0.fieldNumber), "ErrorCode": int($0.errorCode.rawValue)]) } ?? .null,
            "ParameterError": s.parameterError.map { .object(["ParameterType": int($0.parameterType), "ErrorCode": int($0.errorCode.rawValue)]) } ?? .null,
        ])
    }

    static func capabilities(_ c: ReaderCapabilities) -> JSONValue {
        let general: JSONValue = c.general.map { g in
            .object([
                "MaxSupportedAntennas": int(g.maxNumberOfAntennas),
                "CanSetAntennaProperties": .bool(g.canSetAntennaProperties),
                "HasUTCClock": .bool(g.hasUTCClock),
                "DeviceManufacturer": int(g.deviceManufacturer),
                "Model": int(g.model),
                "FirmwareVersion": .string(g.firmwareVersion),
                "ReceiveSensitivities": list(g.receiveSensitivities) { .object(["Index": int($0.index), "ReceiveSensitivity": int($0.value)]) },
                "PerAntennaReceiveSensitivityRanges": list(g.receiveSensitivityRanges) {
                    .object(["AntennaID": int($0.antennaID), "ReceiveSensitivityIndexMin": int($0.minimumIndex),
                             "ReceiveSensitivityIndexMax": int($0.maximumIndex)])
                },
                "GPIOCapabilities": g.gpio.map { .object(["NumGPIs": int($0.inputs), "NumGPOs": int($0.outputs)]) } ?? .null,
                "PerAntennaAirProtocols": list(g.antennaAirProtocols) { .object(["AntennaID": int($0.antennaID), "AirProtocolIDs": bytes($0.protocolIDs)]) },
                "MaximumReceiveSensitivity": int(g.maximumReceiveSensitivity),
            ])
        } ?? .null
        let llrp: JSONValue = c.llrp.map { l in
            .object([
                "CanDoRFSurvey": .bool(l.canDoRFSurvey),
                "CanReportBufferFillWarning": .bool(l.canReportBufferFillWarning),
                "SupportsClientRequestOpSpec": .bool(l.supportsClientRequestOpSpec),
                "CanDoTagInventoryStateAwareSingulation": .bool(l.canDoTagInventoryStateAwareSingulation),
                "SupportsEventsAndReportHolding": .bool(l.supportsEventAndReportHolding),
                "MaxPriorityLevelSupported": int(l.maxPriorityLevelSupported),
                "ClientRequestedOpSpecTimeout": int(l.clientRequestOpSpecTimeout),
                "MaxROSpecs": int(l.maxROSpecs),
                "MaxSpecsPerROSpec": int(l.maxSpecsPerROSpec),
                "MaxInventoryParameterSpecsPerAISpec": int(l.maxInventoryParameterSpecsPerAISpec),
                "MaxAccessSpecs": int(l.maxAccessSpecs),
                "MaxOpSpecsPerAccessSpec": int(l.maxOpSpecsPerAccessSpec),
            ])
        } ?? .null
        let regulatory: JSONValue = c.regulatory.map { r in
            let band: JSONValue = r.uhfBand.map { b in
                .object([
                    "TransmitPowerLevels": list(b.transmitPowerLevels) { .object(["Index": int($0.index), "TransmitPowerValue": int($0.value)]) },
                    "FrequencyInformation": b.frequencyInformation.map { f in
                        .object([
                            "Hopping": .bool(f.hopping),
                            "FrequencyHopTables": list(f.hopTables) { .object(["HopTableID": int($0.id), "Frequencies": list($0.frequencies) { int($0) }]) },
                            "FixedFrequencyTable": f.fixedFrequencies.map { .object(["Frequencies": list($0) { int($0) }]) } ?? .null,
                        ])
                    } ?? .null,
                    "C1G2RFModes": b.rfModes.map { modes in
                        .object(["UHFC1G2RFModeTableEntries": list(modes) { m in
                            .object([
                                "ModeID": int(m.id), "DivideRatio": int(m.divideRatio ? 1 : 0), "IsEPCHagConformant": .bool(m.epcHAGConformant),
                                "Modulation": int(m.modulation), "ForwardLinkModulation": int(m.forwardLinkModulation),
                                "SpectralMask": int(m.spectralMask), "BackscatterDataRate": int(m.backscatterDataRate),
                                "PIERatio": int(m.pieRatio), "MinTariTime": int(m.minTari), "MaxTariTime": int(m.maxTari),
                                "StepTariTime": int(m.stepTari),
                            ])
                        }])
                    } ?? .null,
                    "RFSurveyFrequencyCapabilities": b.rfSurveyFrequencies.map {
                        .object(["MinimumFrequency": int($0.minimum), "MaximumFrequency": int($0.maximum)])
                    } ?? .null,
                ])
            } ?? .null
            return .object(["CountryCode": int(r.countryCode), "CommunicationsStandard": int(r.communicationsStandard),
                            "UHFBandCapabilities": band, "Custom": custom(r.custom)])
        } ?? .null
        let c1g2: JSONValue = c.c1g2.map { g in
            .object([
                "SupportsBlockErase": .bool(g.supportsBlockErase), "SupportsBlockWrite": .bool(g.supportsBlockWrite),
                "SupportsBlockPermalock": .bool(g.supportsBlockPermalock), "SupportsTagRecommissioning": .bool(g.supportsTagRecommissioning),
                "SupportsUMIMethod2": .bool(g.supportsUMIMethod2), "SupportsXPC": .bool(g.supportsXPC),
                "MaxSelectFiltersPerQuery": int(g.maxSelectFiltersPerQuery),
            ])
        } ?? .null
        return .object(["LLRPStatus": status(c.status), "GeneralDeviceCapabilities": general, "LLRPCapabilities": llrp,
                        "RegulatoryCapabilities": regulatory, "C1G2LLRPCapabilities": c1g2, "Custom": custom(c.custom)])
    }

    static func readerConfig(_ s: LLRPStatus, _ c: ReaderConfiguration) -> JSONValue {
        func inventory(_ command: AntennaConfiguration.C1G2InventoryCommand?) -> JSONValue {
            guard let command else { return .null }
            return .object([
                "TagInventoryStateAware": .bool(command.tagInventoryStateAware),
                "Filters": list(command.filters) { bytes($0.body) },
                "RFControl": command.rfControl.map { .object(["RFModeID": int($0.modeIndex), "Tari": int($0.tari)]) } ?? .null,
                "SingulationControl": command.singulationControl.map {
                    .object(["Session": int($0.session), "TagPopulation": int($0.tagPopulation), "TagTransitTime": int($0.tagTransitTime),
                             "InvAwareAction": $0.stateAwareAction.map { bytes($0.body) } ?? .null])
                } ?? .null,
                "Custom": custom(command.custom),
            ])
        }
        let selector: JSONValue = c.roReportSpec.map { spec in
            let f = spec.contentSelector.fields
            let memory = spec.contentSelector.memorySelectors.first
            return .object([
                "Trigger": int(spec.trigger), "N": int(spec.n),
                "TagReportContentSelector": .object([
                    "EnableROSpecID": .bool(f.contains(.roSpecID)), "EnableSpecIndex": .bool(f.contains(.specIndex)),
                    "EnableInventoryParamSpecID": .bool(f.contains(.inventoryParameterSpecID)),
                    "EnableAntennaID": .bool(f.contains(.antennaID)), "EnableChannelIndex": .bool(f.contains(.channelIndex)),
                    "EnablePeakRSSI": .bool(f.contains(.peakRSSI)), "EnableFirstSeenTimestamp": .bool(f.contains(.firstSeenTimestamp)),
                    "EnableLastSeenTimestamp": .bool(f.contains(.lastSeenTimestamp)), "EnableTagSeenCount": .bool(f.contains(.tagSeenCount)),
                    "EnableAccessSpecID": .bool(f.contains(.accessSpecID)),
                    "C1G2EPCMemorySelector": memory.map {
                        .object(["CRCEnabled": .bool($0.crc), "PCBitsEnabled": .bool($0.pcBits), "XPCBitsEnabled": .bool($0.xpcBits)])
                    } ?? .null,
                    "Custom": custom(spec.contentSelector.custom),
                ]),
                "Custom": custom(spec.custom),
            ])
        } ?? .null
        return .object([
            "LLRPStatus": status(s),
            "Identification": c.identification.map { .object(["IDType": int($0.idType), "ReaderID": bytes($0.readerID)]) } ?? .null,
            "AntennaProperties": list(c.antennaProperties) {
                .object(["AntennaConnected": .bool($0.connected), "AntennaID": int($0.antennaID), "AntennaGain": int($0.gain)])
            },
            "AntennaConfigurations": list(c.antennaConfigurations) { a in
                .object([
                    "AntennaID": int(a.antennaID),
                    "RFReceiver": int(a.receiverSensitivity),
                    "RFTransmitter": a.transmitter.map {
                        .object(["HopTableID": int($0.hopTableID), "ChannelIndex": int($0.channelIndex), "TransmitPowerIndex": int($0.transmitPower)])
                    } ?? .null,
                    "C1G2InventoryCommand": inventory(a.inventoryCommands.first),
                    "Custom": custom(a.custom),
                ])
            },
            "ReaderEventNotificationSpec": c.eventNotificationStates.map { states in
                .object(["EventNotificationStates": list(states) {
                    .object(["ReaderEventType": int($0.eventType), "NotificationEnabled": .bool($0.enabled)])
                }])
            } ?? .null,
            "ROReportSpec": selector,
            "AccessReportSpec": int(c.accessReportTrigger),
            "LLRPConfigurationStateValue": int(c.configurationStateValue),
            "KeepAliveSpec": c.keepaliveSpec.map { .object(["Trigger": int($0.triggerType), "Interval": int($0.intervalMilliseconds)]) } ?? .null,
            "GPIPortCurrentStates": list(c.gpiPortStates) { .object(["Port": int($0.port), "Enabled": .bool($0.enabled), "State": int($0.state)]) },
            "GPOWriteData": list(c.gpoWriteData) { .object(["Port": int($0.port), "Data": .bool($0.data)]) },
            "EventsAndReports": c.holdEventsAndReportsUponReconnect.map { .bool($0) } ?? .null,
            "Custom": custom(c.custom),
        ])
    }

    static func event(_ e: ReaderEventNotificationData) -> JSONValue {
        func other(_ type: UInt16) -> JSONValue { e.otherEvents.first { $0.type.rawValue == type }.map { bytes($0.body) } ?? .null }
        var utc: UInt64 = 0
        var uptime: UInt64 = 0
        switch e.timestamp {
        case .utc(let us): utc = us
        case .uptime(let us): uptime = us
        }
        // The Go decoder holds both timestamps as plain integers: the absent one reads 0.
        return .object([
            "UTCTimestamp": int(utc), "Uptime": int(uptime),
            "HoppingEvent": other(247), "GPIEvent": other(248),
            "ROSpecEvent": e.roSpecEvent.map { .object(["Trigger": int($0.eventType), "ROSpecID": int($0.roSpecID),
                                                        "PreemptingROSpecID": int($0.preemptingROSpecID)]) } ?? .null,
            "ReportBufferLevelWarningEvent": int(e.reportBufferLevelWarning),
            "ReportBufferOverflowErrorEvent": e.reportBufferOverflow ? .object([:]) : .null,
            "ReaderExceptionEvent": e.readerException.map { .object(["Message": .string($0)]) } ?? .null,
            "RFSurveyEvent": other(253), "AISpecEvent": other(254),
            "AntennaEvent": e.antennaEvent.map { .object(["EventType": int($0.eventType), "AntennaID": int($0.antennaID)]) } ?? .null,
            "ConnectionAttemptEvent": int(e.connectionAttempt?.rawValue),
            "ConnectionCloseEvent": e.connectionClose ? .object([:]) : .null,
            "SpecLoopEvent": other(356),
            "Custom": custom(e.custom),
        ])
    }

    static func roAccessReport(_ r: ROAccessReport) -> JSONValue {
        func result(_ tag: TagReportData, _ type: UInt16) -> JSONValue {
            tag.opSpecResults.first { $0.type.rawValue == type }.map { bytes($0.body) } ?? .null
        }
        return .object([
            "TagReportData": list(r.tagReports) { t in
                var epcData: JSONValue = .object(["EPCNumBits": .int(0), "EPC": .null])
                var epc96: JSONValue = .object(["EPC": .null])
                switch t.epc {
                case .epc96(let bytes): epc96 = .object(["EPC": self.bytes(bytes)])
                case .data(let bits, let bytes): epcData = .object(["EPCNumBits": int(bits), "EPC": self.bytes(bytes)])
                }
                return .object([
                    "EPCData": epcData, "EPC96": epc96,
                    "ROSpecID": int(t.roSpecID), "SpecIndex": int(t.specIndex), "InventoryParameterSpecID": int(t.inventoryParameterSpecID),
                    "AntennaID": int(t.antennaID), "PeakRSSI": int(t.peakRSSI), "ChannelIndex": int(t.channelIndex),
                    "FirstSeenUTC": int(t.firstSeenUTC), "FirstSeenUptime": int(t.firstSeenUptime),
                    "LastSeenUTC": int(t.lastSeenUTC), "LastSeenUptime": int(t.lastSeenUptime), "TagSeenCount": int(t.tagSeenCount),
                    "C1G2PC": int(t.c1g2PC), "C1G2XPCW1": int(t.c1g2XPCW1), "C1G2XPCW2": int(t.c1g2XPCW2), "C1G2CRC": int(t.c1g2CRC),
                    "AccessSpecID": int(t.accessSpecID),
                    "C1G2ReadOpSpecResult": result(t, 349), "C1G2WriteOpSpecResult": result(t, 350),
                    "C1G2KillOpSpecResult": result(t, 351), "C1G2LockOpSpecResult": result(t, 352),
                    "C1G2BlockEraseOpSpecResult": result(t, 353), "C1G2BlockWriteOpSpecResult": result(t, 354),
                    "C1G2RecommissionOpSpecResult": result(t, 360), "C1G2BlockPermalockOpSpecResult": result(t, 361),
                    "C1G2GetBlockPermalockStatusOpSpecResult": result(t, 362),
                    "ClientRequestOpSpecResult": int(t.clientRequestOpSpecResult),
                    "Custom": custom(t.custom),
                ])
            },
            "RFSurveyReportData": list(r.rfSurveyReports) { bytes($0.body) },
            "Custom": custom(r.custom),
        ])
    }
}
