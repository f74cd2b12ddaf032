import Foundation
import Testing
@testable import LLRP

extension LLRPTests {
    @Suite("Captures from real readers")
    struct CaptureTests {
        static func messageType(of capture: Capture) -> LLRPMessageType? {
            let name = capture.name.split(separator: "/").last.map(String.init) ?? capture.name
            let prefix = name.split(separator: "-").first.map(String.init) ?? name
            return [
                "CloseConnectionResponse": .closeConnectionResponse, "GetAccessSpecsResponse": .getAccessSpecsResponse,
                "GetROSpecsResponse": .getROSpecsResponse, "GetReaderCapabilitiesResponse": .getReaderCapabilitiesResponse,
                "GetReaderConfigResponse": .getReaderConfigResponse, "ReaderEventNotification": .readerEventNotification,
                "ROAccessReport": .roAccessReport,
            ][prefix]
        }

        @Test("every capture decodes to what its published JSON says", arguments: Captures.all.map(\.name))
        func decodesLikeTheJSON(name: String) throws {
            let capture = try #require(Captures.all.first { $0.name == name })
            let type = try #require(Self.messageType(of: capture), "no message type for \(name)")
            let body = try LLRPMessage.Body.decode(type: type, body: hexBytes(capture.hex))
            var issues: [String] = []
            compare(expected: try JSONValue.parse(capture.json), actual: Mirror.body(body), issues: &issues)
            #expect(issues.isEmpty, "\(name):\n\(issues.joined(separator: "\n"))")
        }

        @Test("every capture re-encodes to the reader's own bytes", arguments: Captures.all.map(\.name))
        func reencodesByteForByte(name: String) throws {
            let capture = try #require(Captures.all.first { $0.name == name })
            let type = try #require(Self.messageType(of: capture))
            let original = hexBytes(capture.hex)
            let message = LLRPMessage(id: 42, try LLRPMessage.Body.decode(type: type, body: original))
            let encoded = message.encode()
            #expect(Array(encoded.dropFirst(LLRPMessageHeader.size)) == original)
            #expect(try LLRPMessage.decode(encoded) == message)
        }

        @Test("the comparison with the JSON notices a wrong or missing field")
        func comparisonIsStrict() throws {
            let capture = try #require(Captures.all.first { $0.name.hasSuffix("ROAccessReport-001") })
            guard case .roAccessReport(var report) = try LLRPMessage.Body.decode(type: .roAccessReport, body: hexBytes(capture.hex)) else {
                Issue.record("not a report")
                return
            }
            let expected = try JSONValue.parse(capture.json)
            report.tagReports[0].peakRSSI = -47
            var issues: [String] = []
            compare(expected: expected, actual: Mirror.body(.roAccessReport(report)), issues: &issues)
            #expect(issues == ["$.TagReportData[0].PeakRSSI: JSON has -48, ours has -47"])
            issues = []
            compare(expected: expected, actual: .object(["TagReportData": .array([.object([:])])]), issues: &issues)
            #expect(issues.count == 31, "every field of the JSON is checked: \(issues.count)")
        }

        @Test("the first RO_ACCESS_REPORT capture holds the documented read")
        func firstReport() throws {
            let capture = try #require(Captures.all.first { $0.name.hasSuffix("ROAccessReport-001") })
            guard case .roAccessReport(let report) = try LLRPMessage.Body.decode(type: .roAccessReport, body: hexBytes(capture.hex)) else {
                Issue.record("not a report")
                return
            }
            let tag = try #require(report.tagReports.first)
            #expect(tag.epc == .epc96(hexBytes("3000abcdef00000000000003")))
            #expect(tag.antennaID == 1)
            #expect(tag.peakRSSI == -48)
            #expect(tag.firstSeenUTC == 1_594_174_805_140_192)
        }

        @Test("the capabilities capture describes an Impinj reader with four antennas and a UTC clock")
        func capabilities() throws {
            let capture = try #require(Captures.all.first { $0.name.hasPrefix("GetReaderCapabilitiesResponse") })
            guard case .getReaderCapabilitiesResponse(let caps) = try LLRPMessage.Body.decode(type: .getReaderCapabilitiesResponse,
                                                                                                body: hexBytes(capture.hex)) else {
                Issue.record("not a capabilities response")
                return
            }
            let general = try #require(caps.general)
            #expect(general.deviceManufacturer == LLRPCustomParameter.impinjVendorID)
            #expect(general.maxNumberOfAntennas == 4)
            #expect(general.hasUTCClock)
            #expect(general.firmwareVersion == "5.14.0.240")
            #expect(caps.regulatory?.uhfBand?.frequencyInformation?.hopTables.first?.frequencies.count == 50)
            #expect(caps.regulatory?.uhfBand?.rfModes?.count == 10)
        }

        /// The shared fixtures folder, when this checkout sits beside it (not in a fresh clone).
        static let sharedFolder: URL? = {
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let folder = root.deletingLastPathComponent().appendingPathComponent("shared/fixtures/llrp-captures")
            return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
        }()

        @Test("the embedded captures are the shared fixtures, all of them", .enabled(if: sharedFolder != nil))
        func embeddedMatchesShared() throws {
            let folder = try #require(Self.sharedFolder)
            var names: [String] = []
            let enumerator = try #require(FileManager.default.enumerator(atPath: folder.path))
            while let path = enumerator.nextObject() as? String {
                if path.hasSuffix(".bytes") { names.append(String(path.dropLast(".bytes".count))) }
            }
            #expect(!names.isEmpty)
            #expect(Set(names) == Set(Captures.all.map(\.name)))
            for capture in Captures.all {
                let bytes = try Data(contentsOf: folder.appendingPathComponent(capture.name + ".bytes"))
                #expect(Array(bytes) == hexBytes(capture.hex), "\(capture.name).bytes differs")
                let json = try String(contentsOf: folder.appendingPathComponent(capture.name + ".json"), encoding: .utf8)
                #expect(try JSONValue.parse(json) == JSONValue.parse(capture.json), "\(capture.name).json differs")
            }
        }
    }
}
