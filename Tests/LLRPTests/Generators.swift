@testable import LLRP
import SeededRandom

/// Random LLRP values for round-trip properties: every field the model holds gets exercised.
struct Generator {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func bool() -> Bool { Bool.random(using: &rng) }
    mutating func u8() -> UInt8 { UInt8.random(in: 0...UInt8.max, using: &rng) }
    mutating func u16() -> UInt16 { UInt16.random(in: 0...UInt16.max, using: &rng) }
    mutating func u32() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &rng) }
    mutating func u64() -> UInt64 { UInt64.random(in: 0...UInt64.max, using: &rng) }
    mutating func i8() -> Int8 { Int8.random(in: Int8.min...Int8.max, using: &rng) }
    mutating func i16() -> Int16 { Int16.random(in: Int16.min...Int16.max, using: &rng) }
    mutating func count(_ max: Int) -> Int { Int.random(in: 0...max, using: &rng) }
    mutating func maybe<T>(_ make: (inout Generator) -> T) -> T? { bool() ? make(&self) : nil }
    mutating func list<T>(_ max: Int, _ make: (inout Generator) -> T) -> [T] { (0..<count(max)).map { _ in make(&self) } }
    mutating func bytes(_ max: Int) -> [UInt8] { list(max) { $0.u8() } }
    mutating func text() -> String { String(list(12) { g in Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &g.rng))) }) + (bool() ? "é✓" : "") }

    mutating func custom() -> LLRPCustomParameter { LLRPCustomParameter(vendorID: u32(), subtype: u32(), payload: bytes(8)) }
    mutating func customs() -> [LLRPCustomParameter] { list(2) { $0.custom() } }
    mutating func raw(_ types: [UInt16]) -> LLRPRawParameter {
        LLRPRawParameter(type: LLRPParameterType(rawValue: types[count(types.count - 1)]), body: bytes(6))
    }

    mutating func status() -> LLRPStatus {
        let code = [LLRPStatus.Code.success, .parameterError, .fieldError, .unsupportedMessage, .deviceError][count(4)]
        var parameterError = maybe { g in LLRPStatus.ParameterError(parameterType: g.u16(), errorCode: .init(rawValue: g.u16())) }
        if bool() { parameterError?.parameterError = LLRPStatus.ParameterError(parameterType: u16(), errorCode: .init(rawValue: u16()),
                                                                                fieldError: .init(fieldNumber: u16(), errorCode: .init(rawValue: u16()))) }
        return LLRPStatus(code: code, errorDescription: bool() ? "" : text(),
                          fieldError: maybe { g in .init(fieldNumber: g.u16(), errorCode: .init(rawValue: g.u16())) },
                          parameterError: parameterError)
    }

    mutating func epc() -> TagReportData.EPC {
        if bool() { return .epc96((0..<12).map { _ in u8() }) }
        let bits = UInt16.random(in: 0...496, using: &rng)
        var data = (0..<((Int(bits) + 7) / 8)).map { _ in u8() }
        // Bits beyond the count are padding; a reader sends them as zero.
        if bits % 8 != 0, let last = data.indices.last { data[last] &= ~UInt8(0xFF >> (bits % 8)) }
        return .data(bitCount: bits, bytes: data)
    }

    mutating func tagReport() -> TagReportData {
        TagReportData(epc: epc(), roSpecID: maybe { $0.u32() }, specIndex: maybe { $0.u16() }, inventoryParameterSpecID: maybe { $0.u16() },
                      antennaID: maybe { $0.u16() }, peakRSSI: maybe { $0.i8() }, channelIndex: maybe { $0.u16() },
                      firstSeenUTC: maybe { $0.u64() }, firstSeenUptime: maybe { $0.u64() }, lastSeenUTC: maybe { $0.u64() },
                      lastSeenUptime: maybe { $0.u64() }, tagSeenCount: maybe { $0.u16() }, c1g2PC: maybe { $0.u16() },
                      c1g2XPCW1: maybe { $0.u16() }, c1g2XPCW2: maybe { $0.u16() }, c1g2CRC: maybe { $0.u16() },
                      accessSpecID: maybe { $0.u32() }, clientRequestOpSpecResult: maybe { $0.u16() }, opSpecID: maybe { $0.u16() },
                      c1g2SingulationDetails: maybe { $0.u32() }, opSpecResults: list(2) { $0.raw([349, 350, 354, 362]) }, custom: customs())
    }

    mutating func report() -> ROAccessReport {
        ROAccessReport(tagReports: list(5) { $0.tagReport() }, rfSurveyReports: list(1) { $0.raw([242]) }, custom: customs())
    }

    mutating func antennaConfiguration() -> AntennaConfiguration {
        AntennaConfiguration(
            antennaID: u16(), receiverSensitivity: maybe { $0.u16() },
            transmitter: maybe { g in .init(hopTableID: g.u16(), channelIndex: g.u16(), transmitPower: g.u16()) },
            inventoryCommands: list(2) { g in
                .init(tagInventoryStateAware: g.bool(), filters: g.list(2) { $0.raw([331]) },
                      rfControl: g.maybe { g in .init(modeIndex: g.u16(), tari: g.u16()) },
                      singulationControl: g.maybe { g in
                          .init(session: UInt8(g.count(3)), tagPopulation: g.u16(), tagTransitTime: g.u32(), stateAwareAction: g.maybe { $0.raw([337]) })
                      },
                      custom: g.customs())
            },
            custom: customs())
    }

    mutating func reportSpec() -> ROReportSpec {
        ROReportSpec(trigger: u8(), n: u16(),
                     contentSelector: TagReportContentSelector(fields: .init(rawValue: u16() & 0xFFC0),
                                                               memorySelectors: list(2) { g in .init(crc: g.bool(), pcBits: g.bool(), xpcBits: g.bool()) },
                                                               custom: customs()),
                     custom: customs())
    }

    mutating func roSpec() -> ROSpec {
        ROSpec(id: u32(), priority: u8(), currentState: u8(),
               boundary: ROBoundarySpec(start: .init(type: u8(), values: list(1) { $0.raw([180, 181]) }),
                                        stop: .init(type: u8(), durationMilliseconds: u32(), values: list(1) { $0.raw([181]) })),
               aiSpecs: list(3) { g in
                   AISpec(antennaIDs: g.list(4) { $0.u16() },
                          stopTrigger: .init(type: g.u8(), durationMilliseconds: g.u32(), values: g.list(1) { $0.raw([181, 185]) }),
                          inventoryParameterSpecs: g.list(2) { g in
                              InventoryParameterSpec(id: g.u16(), protocolID: g.u8(), antennaConfigurations: g.list(2) { $0.antennaConfiguration() },
                                                     custom: g.customs())
                          },
                          custom: g.customs())
               },
               otherSpecs: list(1) { $0.raw([187, 1023]) },
               reportSpec: maybe { $0.reportSpec() })
    }

    mutating func configuration(response: Bool) -> ReaderConfiguration {
        ReaderConfiguration(
            identification: response ? maybe { g in Identification(idType: g.u8(), readerID: g.bytes(8)) } : nil,
            antennaProperties: list(3) { g in AntennaProperties(connected: g.bool(), antennaID: g.u16(), gain: g.i16()) },
            antennaConfigurations: list(2) { $0.antennaConfiguration() },
            eventNotificationStates: maybe { g in g.list(4) { g in EventNotificationState(eventType: g.u16(), enabled: g.bool()) } },
            roReportSpec: maybe { $0.reportSpec() },
            accessReportTrigger: maybe { $0.u8() },
            configurationStateValue: response ? maybe { $0.u32() } : nil,
            keepaliveSpec: maybe { g in KeepaliveSpec(triggerType: g.u8(), intervalMilliseconds: g.u32()) },
            gpiPortStates: list(2) { g in GPIPortCurrentState(port: g.u16(), enabled: g.bool(), state: g.u8()) },
            gpoWriteData: list(2) { g in GPOWriteData(port: g.u16(), data: g.bool()) },
            holdEventsAndReportsUponReconnect: maybe { $0.bool() },
            custom: customs())
    }

    mutating func capabilities() -> ReaderCapabilities {
        ReaderCapabilities(
            status: status(),
            general: maybe { g in
                GeneralDeviceCapabilities(
                    maxNumberOfAntennas: g.u16(), canSetAntennaProperties: g.bool(), hasUTCClock: g.bool(), deviceManufacturer: g.u32(),
                    model: g.u32(), firmwareVersion: g.text(), receiveSensitivities: g.list(3) { g in .init(index: g.u16(), value: g.i16()) },
                    receiveSensitivityRanges: g.list(2) { g in .init(antennaID: g.u16(), minimumIndex: g.u16(), maximumIndex: g.u16()) },
                    gpio: g.maybe { g in (g.u16(), g.u16()) },
                    antennaAirProtocols: g.list(3) { g in .init(antennaID: g.u16(), protocolIDs: g.bytes(3)) },
                    maximumReceiveSensitivity: g.maybe { $0.i16() })
            },
            llrp: maybe { g in
                LLRPCapabilities(canDoRFSurvey: g.bool(), canReportBufferFillWarning: g.bool(), supportsClientRequestOpSpec: g.bool(),
                                 canDoTagInventoryStateAwareSingulation: g.bool(), supportsEventAndReportHolding: g.bool(),
                                 maxPriorityLevelSupported: g.u8(), clientRequestOpSpecTimeout: g.u16(), maxROSpecs: g.u32(),
                                 maxSpecsPerROSpec: g.u32(), maxInventoryParameterSpecsPerAISpec: g.u32(), maxAccessSpecs: g.u32(),
                                 maxOpSpecsPerAccessSpec: g.u32())
            },
            regulatory: maybe { g in
                RegulatoryCapabilities(
                    countryCode: g.u16(), communicationsStandard: g.u16(),
                    uhfBand: g.maybe { g in
                        .init(transmitPowerLevels: g.list(4) { g in .init(index: g.u16(), value: g.i16()) },
                              frequencyInformation: g.maybe { g in
                                  .init(hopping: g.bool(), hopTables: g.list(2) { g in .init(id: g.u8(), frequencies: g.list(6) { $0.u32() }) },
                                        fixedFrequencies: g.maybe { g in g.list(4) { $0.u32() } })
                              },
                              rfModes: g.maybe { g in
                                  g.list(3) { g in
                                      .init(id: g.u32(), divideRatio: g.bool(), epcHAGConformant: g.bool(), modulation: g.u8(),
                                            forwardLinkModulation: g.u8(), spectralMask: g.u8(), backscatterDataRate: g.u32(),
                                            pieRatio: g.u32(), minTari: g.u32(), maxTari: g.u32(), stepTari: g.u32())
                                  }
                              },
                              rfSurveyFrequencies: g.maybe { g in (g.u32(), g.u32()) })
                    },
                    custom: g.customs())
            },
            c1g2: maybe { g in
                C1G2LLRPCapabilities(supportsBlockErase: g.bool(), supportsBlockWrite: g.bool(), supportsBlockPermalock: g.bool(),
                                     supportsTagRecommissioning: g.bool(), supportsUMIMethod2: g.bool(), supportsXPC: g.bool(),
                                     maxSelectFiltersPerQuery: g.u16())
            },
            custom: customs())
    }

    mutating func event() -> ReaderEventNotificationData {
        ReaderEventNotificationData(
            timestamp: bool() ? .utc(u64()) : .uptime(u64()),
            connectionAttempt: maybe { g in .init(rawValue: UInt16(g.count(4))) }, connectionClose: bool(),
            roSpecEvent: maybe { g in .init(eventType: g.u8(), roSpecID: g.u32(), preemptingROSpecID: g.u32()) },
            reportBufferLevelWarning: maybe { $0.u8() }, reportBufferOverflow: bool(), readerException: maybe { $0.text() },
            antennaEvent: maybe { g in .init(eventType: g.u8(), antennaID: g.u16()) },
            otherEvents: list(2) { $0.raw([247, 248, 253, 254, 356]) }, custom: customs())
    }

    /// One body of every kind, in turn by `index`.
    mutating func body(_ index: Int) -> LLRPMessage.Body {
        switch index % 33 {
        case 0: .getReaderCapabilities(requestedData: u8())
        case 1: .getReaderCapabilitiesResponse(capabilities())
        case 2: .getReaderConfig(antennaID: u16(), requestedData: u8(), gpiPort: u16(), gpoPort: u16())
        case 3: .getReaderConfigResponse(status: status(), configuration: configuration(response: true))
        case 4: .setReaderConfig(resetToFactoryDefaults: bool(), configuration: configuration(response: false))
        case 5: .setReaderConfigResponse(status())
        case 6: .closeConnection
        case 7: .closeConnectionResponse(status())
        case 8: .addROSpec(roSpec())
        case 9: .addROSpecResponse(status())
        case 10: .deleteROSpec(id: u32())
        case 11: .deleteROSpecResponse(status())
        case 12: .startROSpec(id: u32())
        case 13: .startROSpecResponse(status())
        case 14: .stopROSpec(id: u32())
        case 15: .stopROSpecResponse(status())
        case 16: .enableROSpec(id: u32())
        case 17: .enableROSpecResponse(status())
        case 18: .disableROSpec(id: u32())
        case 19: .disableROSpecResponse(status())
        case 20: .getROSpecs
        case 21: .getROSpecsResponse(status: status(), roSpecs: list(2) { $0.roSpec() })
        case 22: .getAccessSpecs
        case 23: .getAccessSpecsResponse(status: status(), accessSpecs: list(2) { $0.raw([207]) })
        case 24: .roAccessReport(report())
        case 25: .keepalive
        case 26: .keepaliveAck
        case 27: .readerEventNotification(event())
        case 28: .enableEventsAndReports
        case 29: .errorMessage(status())
        case 30: .custom(vendorID: u32(), subtype: u8(), payload: bytes(10))
        case 31: .other(type: LLRPMessageType(rawValue: [5, 6, 45, 46, 47, 60, 500][count(6)]), body: bytes(10))
        default: .roAccessReport(ROAccessReport(tagReports: [tagReport()]))
        }
    }

    mutating func message(_ index: Int) -> LLRPMessage {
        LLRPMessage(id: u32(), version: bool() ? 1 : 2, body(index))
    }
}
