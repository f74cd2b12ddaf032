import GatewayCore
import Testing
@testable import LLRP
import LLRPEmulator
import SeededRandom

extension LLRPTests {
    @Suite("LLRP codec")
    struct CodecTests {
        /// Known-good request frames from the reference, and the messages they are.
        static let knownGood: [(String, LLRPMessage)] = [
            ("04010000000b0000000700", LLRPMessage(id: 7, .getReaderCapabilities(requestedData: 0))),
            ("040300000014000000040000dc00090100002710",
             LLRPMessage(id: 4, .setReaderConfig(resetToFactoryDefaults: false,
                                                 configuration: ReaderConfiguration(keepaliveSpec: .periodic(milliseconds: 10_000))))),
            ("04140000004b0000000100b1004100000001000000b2001200b300050100b60009000000000000b700180001000000b80009000000000000ba000700010100ed000d02000100ee00061600",
             LLRPMessage(id: 1, .addROSpec(LLRPSessionHandler.roSpec(for: LLRPReaderConfig(host: "reader"))))),
            ("04180000000e0000000200000001", LLRPMessage(id: 2, .enableROSpec(id: 1))),
            ("04160000000e0000000300000001", LLRPMessage(id: 3, .startROSpec(id: 1))),
            ("04480000000a00000063", LLRPMessage(id: 0x63, .keepaliveAck)),
            ("040e0000000a00000006", LLRPMessage(id: 6, .closeConnection)),
        ]

        @Test("the driver's requests encode to the known-good frames, and decode back", arguments: 0..<knownGood.count)
        func knownGoodFrames(index: Int) throws {
            let (hex, message) = Self.knownGood[index]
            #expect(hexString(message.encode()) == hex)
            #expect(try LLRPMessage.decode(hexBytes(hex)) == message)
        }

        @Test("round trip: decode(encode(m)) == m for random messages of every type")
        func roundTrip() throws {
            var generator = Generator(seed: 0x11AB_5EED)
            for index in 0..<3_300 {
                let message = generator.message(index)
                let bytes = message.encode()
                let decoded: LLRPMessage
                do {
                    decoded = try LLRPMessage.decode(bytes)
                } catch {
                    Issue.record("message \(index) (\(message.type)) did not decode: \(error)\n\(hexString(bytes))")
                    return
                }
                #expect(decoded == message, "message \(index) (\(message.type)) changed in a round trip")
                #expect(decoded.encode() == bytes, "message \(index) (\(message.type)) re-encodes differently")
                #expect(LLRPMessageHeader(version: message.version, type: message.type, length: UInt32(bytes.count), id: message.id).bytes
                    == Array(bytes.prefix(10)))
            }
        }

        /// Valid frames to cut: the known-good ones, the captures with a header, and random ones.
        static func sampleFrames() -> [[UInt8]] {
            var frames = knownGood.map { hexBytes($0.0) }
            for capture in Captures.all {
                guard let type = CaptureTests.messageType(of: capture), let body = try? LLRPMessage.Body.decode(type: type, body: hexBytes(capture.hex))
                else { continue }
                frames.append(LLRPMessage(id: 9, body).encode())
            }
            var generator = Generator(seed: 7)
            for index in 0..<330 { frames.append(generator.message(index).encode()) }
            return frames
        }

        @Test("every truncation of a valid frame is rejected as truncated")
        func everyTruncationRejected() {
            for frame in Self.sampleFrames() {
                for length in 0..<frame.count {
                    do {
                        _ = try LLRPMessage.decode(frame.prefix(length))
                        Issue.record("a \(frame.count)-byte frame cut to \(length) bytes decoded")
                    } catch {
                        #expect(error.code == .truncated, "cut to \(length): \(error)")
                    }
                }
            }
        }

        @Test("a body cut inside a parameter is rejected even when the header is patched to match")
        func cutInsideParameterRejected() throws {
            var checked = 0
            for frame in Self.sampleFrames() {
                let header = try LLRPMessageHeader(decoding: frame)
                guard [LLRPMessageType.roAccessReport, .getReaderCapabilitiesResponse, .getReaderConfigResponse, .addROSpec,
                       .readerEventNotification, .setReaderConfig, .getROSpecsResponse].contains(header.type) else { continue }
                let bodyStart = header.type == .setReaderConfig ? 11 : 10
                // Top-level parameter boundaries, walked from the lengths in the frame.
                var boundaries: Set<Int> = [bodyStart]
                var offset = bodyStart
                while offset < frame.count {
                    let length = frame[offset] & 0x80 != 0 ? 1 + LLRPParameterType.tvValueSizes[Int(frame[offset] & 0x7F)]
                        : Int(frame[offset + 2]) << 8 | Int(frame[offset + 3])
                    offset += length
                    boundaries.insert(offset)
                }
                for cut in bodyStart..<frame.count where !boundaries.contains(cut) {
                    var bytes = Array(frame.prefix(cut))
                    EmulatedFrames.patchLength(&bytes)
                    #expect(throws: LLRPError.self, "\(header.type) cut at \(cut) of \(frame.count)") { try LLRPMessage.decode(bytes) }
                    checked += 1
                }
            }
            #expect(checked > 1_000)
        }

        @Test("corrupted frames decode or fail with a typed error, never crash")
        func mutationsNeverCrash() {
            var rng = SplitMix64(seed: 99)
            var decoded = 0, rejected = 0
            for frame in Self.sampleFrames() where frame.count > 10 {
                for _ in 0..<40 {
                    var bytes = frame
                    for _ in 0..<Int.random(in: 1...4, using: &rng) {
                        let at = Int.random(in: 10..<bytes.count, using: &rng)
                        bytes[at] = UInt8.random(in: 0...255, using: &rng)
                    }
                    do {
                        _ = try LLRPMessage.decode(bytes)
                        decoded += 1
                    } catch {
                        rejected += 1
                    }
                }
            }
            #expect(decoded > 0)
            #expect(rejected > 0)
        }

        @Test("unknown TLVs and vendor parameters are skipped by their length; Impinj's peak RSSI is read")
        func vendorParameters() throws {
            let epc = hexBytes("3074257BF7194E4000001A85")
            let bytes = LLRPReaderEmulator.vendorParameterReport(id: 5, epc: epc, antenna: 3, firstSeen: 1_700_000_000_000_000, impinjPeakRSSI: -4_321)
            let message = try LLRPMessage.decode(bytes)
            guard case .roAccessReport(let report) = message.body else {
                Issue.record("not a report: \(message.type)")
                return
            }
            let tag = try #require(report.tagReports.first)
            #expect(tag.epc == .epc96(epc))
            #expect(tag.antennaID == 3)
            #expect(tag.peakRSSI == -61)
            #expect(tag.firstSeenUTC == 1_700_000_000_000_000)
            #expect(tag.custom.map(\.vendorID) == [LLRPCustomParameter.zebraVendorID, LLRPCustomParameter.impinjVendorID])
            #expect(tag.custom.first?.subtype == 709)
            #expect(tag.impinjPeakRSSI == -4_321)
            #expect(report.custom == [LLRPCustomParameter(vendorID: 161, subtype: 1, payload: [0xAA])])

            var reads: [TagRead] = []
            let result = ReadConversion(source: 2, clockToleranceMicros: UInt64.max).convert(report, hostNow: .now(), into: &reads)
            #expect(result.unsupported == 0)
            #expect(reads.first?.rssi == -4_321)
        }

        @Test("EPCData of any length decodes; the bits are kept with their count")
        func epcDataLengths() throws {
            for bits in [1, 16, 17, 64, 96, 128, 200, 256, 496] {
                let bytes = (0..<((bits + 7) / 8)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 5) }
                let message = LLRPMessage(id: 1, .roAccessReport(ROAccessReport(tagReports: [
                    TagReportData(epc: .data(bitCount: UInt16(bits), bytes: bytes), antennaID: 2, peakRSSI: -70),
                ])))
                let decoded = try LLRPMessage.decode(message.encode())
                #expect(decoded == message)
                guard case .roAccessReport(let report) = decoded.body else { continue }
                var reads: [TagRead] = []
                _ = ReadConversion(source: 0, clockToleranceMicros: 0).convert(report, hostNow: .now(), into: &reads)
                #expect(reads.first?.tag.bitCount == UInt16(bits))
                #expect(reads.first?.tag.bytes == bytes)
                #expect(reads.first?.rssi == -7_000)
            }
        }

        @Test("inconsistent input gets the right typed error")
        func typedErrors() {
            func code(_ hex: String) -> LLRPError.Code? {
                do {
                    _ = try LLRPMessage.decode(hexBytes(hex))
                    return nil
                } catch {
                    return error.code
                }
            }
            // A TLV whose length is below its own header.
            #expect(code("043d0000000e00000001" + "00f00002") == .invalidLength)
            // A TLV that runs past the message.
            #expect(code("043d0000000e00000001" + "00f00010") == .truncated)
            // A TV type with no defined size: nothing after it can be found.
            #expect(code("043d0000001000000001" + "00f00006" + "e5" + "00") == .unknownParameter)
            // A tag report without an EPC.
            #expect(code("043d0000001100000001" + "00f00007" + "810001") == .missingParameter)
            // A response without its LLRPStatus.
            #expect(code("041e0000000a00000001") == .missingParameter)
            // A header whose length is below its own size, or above the bytes given.
            #expect(code("043d0000000400000001") == .invalidLength)
            #expect(code("043d0000000b00000001") == .truncated)
            // Protocol version 5 does not exist.
            #expect(code("143d0000000a00000001") == .unsupportedVersion)
            // EPCData announcing more bits than it carries.
            #expect(code("043d0000001400000001" + "00f0000a" + "00f100060060") == .truncated)
        }

        @Test("an LLRPStatus with nested errors survives a round trip and reads well")
        func statusDetails() throws {
            var status = LLRPStatus(code: .parameterError, errorDescription: "bad antenna")
            status.parameterError = .init(parameterType: 183, errorCode: .fieldError, fieldError: .init(fieldNumber: 0, errorCode: .overflowField),
                                          parameterError: .init(parameterType: 184, errorCode: .missingParameter))
            let message = LLRPMessage(id: 3, .addROSpecResponse(status))
            #expect(try LLRPMessage.decode(message.encode()) == message)
            #expect(status.summary.contains("status 100"))
            #expect(status.summary.contains("bad antenna"))
            #expect(message.body.status == status)
        }
    }
}

/// Byte surgery for tests that need frames the encoder would never write.
enum EmulatedFrames {
    /// Sets the header's length field to the frame's size.
    static func patchLength(_ bytes: inout [UInt8]) {
        let n = UInt32(bytes.count)
        for i in 0..<4 { bytes[2 + i] = UInt8(truncatingIfNeeded: n >> UInt32(24 - 8 * i)) }
    }
}
