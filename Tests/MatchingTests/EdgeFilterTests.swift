import EPC
import GatewayCore
import Logging
import Testing
@testable import Matching

@Suite("Edge filter")
struct EdgeFilterTests {
    static func layout(_ yaml: String) throws -> StoreLayoutConfig {
        try ConfigMap.parse(yaml: yaml, source: "t.yaml").decode("store", as: StoreLayoutConfig.self)
    }

    static func tag(_ uri: String) throws -> TagID {
        try #require(TagID(bytes: EPCTag(tagURI: uri).binary.paddedToWords.bytes))
    }

    static let own = "urn:epc:tag:sgtin-96:3.0614141.812345.6789"
    static let ownPallet = "urn:epc:tag:sscc-96:2.0614141.1234567890"
    static let supplier = "urn:epc:tag:sgtin-96:1.4012345.012345.42"
    static let foreign = "urn:epc:tag:sgtin-96:1.0012345.100001.5"
    static let asset = "urn:epc:tag:gid-96:31415.271828.1414"

    func accepted(_ yaml: String, _ uris: [String]) throws -> [Bool] {
        let filter = try EdgeFilter(layout: Self.layout(yaml))
        return try uris.map { try filter.accepts(Self.tag($0)) }
    }

    @Test("no filter: every TDS EPC passes, raw tags do not")
    func everything() throws {
        #expect(try accepted("store: {}", [Self.own, Self.foreign, Self.asset]) == [true, true, true])
        let filter = try EdgeFilter(layout: StoreLayoutConfig())
        #expect(!filter.accepts(try #require(TagID(hex: "E2801160600002000000FFFF"))))
        #expect(!filter.accepts(try #require(TagID(hex: "301C257BF7194E4000001A85")))) // partition 7
    }

    @Test("company prefixes let in every GS1 scheme of those prefixes")
    func companyPrefixes() throws {
        let yaml = "store:\n  companyPrefixes: ['0614141']\n"
        #expect(try accepted(yaml, [Self.own, Self.ownPallet, Self.supplier, Self.foreign, Self.asset]) == [true, true, false, false, false])
    }

    @Test("include patterns add to the company prefixes; exclude patterns win")
    func includeExclude() throws {
        let yaml = """
            store:
              companyPrefixes: ['0614141']
              filter:
                include: ['urn:epc:pat:sgtin-96:*.4012345.*.*', 'urn:epc:idpat:gid:31415.*.*']
                exclude: ['urn:epc:idpat:sscc:*.*']
            """
        #expect(try accepted(yaml, [Self.own, Self.ownPallet, Self.supplier, Self.foreign, Self.asset]) == [true, false, true, false, true])
    }

    @Test("filter values and serial ranges")
    func ranges() throws {
        let yaml = "store:\n  filter:\n    include: ['urn:epc:pat:sgtin-96:3.0614141.812345.[1-9999]']\n"
        #expect(try accepted(yaml, [Self.own, "urn:epc:tag:sgtin-96:1.0614141.812345.6789", "urn:epc:tag:sgtin-96:3.0614141.812345.10000"])
                == [true, false, false])
    }

    @Test("malformed patterns are config errors naming their key path")
    func syntaxErrors() throws {
        let yaml = "store:\n  filter:\n    include: ['urn:epc:idpat:sgtin:0614141.*.*', 'urn:epc:pat:sgtin-96:3.x.*.*']\n"
        let error = try #require(throws: ConfigError.self) { _ = try Self.layout(yaml) }
        #expect(error.description == "store.filter.include[1]: 'urn:epc:pat:sgtin-96:3.x.*.*' is not an EPC pattern (company prefix 'x' is not 6 to 12 digits or *)")
        for (pattern, reason) in [
            ("urn:epc:pat:sgtin-96:3.0614141.*", "4 dot-separated fields expected, found 3"),
            ("urn:epc:pat:sgtin-99:3.0614141.*.*", "'sgtin-99' is not a TDS binary scheme"),
            ("urn:epc:id:sgtin:0614141.*.*", "it starts with neither urn:epc:pat: nor urn:epc:idpat:"),
            ("urn:epc:pat:usdod-96:0.2S1.*", "'2S1' is not a CAGE code or DoDAAC"),
        ] {
            let error = try #require(throws: ConfigError.self) { _ = try Self.layout("store:\n  filter:\n    exclude: ['\(pattern)']\n") }
            #expect(error.description == "store.filter.exclude[0]: '\(pattern)' is not an EPC pattern (\(reason))")
        }
        let unknown = try #require(throws: ConfigError.self) { _ = try Self.layout("store:\n  filter:\n    includes: []\n") }
        #expect(unknown.keyPath == "store.filter.includes")
    }

    @Test("patterns whose values do not fit their fields fail when the filter is compiled, with the key path")
    func compileErrors() throws {
        let layout = try Self.layout("store:\n  filter:\n    include: ['urn:epc:pat:sgtin-96:3.0614141.81234.*']\n")
        let error = try #require(throws: ConfigError.self) { _ = try EdgeFilter(layout: layout) }
        #expect(error.keyPath == "store.filter.include[0]")
        #expect(error.description.hasPrefix("store.filter.include[0]: 'urn:epc:pat:sgtin-96:3.0614141.81234.*' is not an EPC pattern ("))
        #expect(error.message.contains("6 digits"))
    }

    @Test("a pipeline whose patterns do not compile drops every tag")
    func failsClosed() throws {
        var layout = StoreLayoutConfig()
        layout.filter.include = ["urn:epc:pat:sgtin-96:9.0614141.*.*"]
        let sink = RecordingSink()
        let pipeline = StorePipeline(configuration: MatchingConfig(), layout: layout,
                                     sources: [SourceDescriptor(index: 0, name: "door", driver: "test", defaultZone: "entrance")],
                                     directory: Directory(customers: [], products: []), sink: sink, logger: Logger(label: "test"))
        pipeline.process(read: TagRead(tag: try Self.tag(Self.own), kind: .epc, source: 0, antenna: 1, rssi: -5_000,
                                       timestamp: Timestamp(microseconds: 1_000_000)))
        #expect(sink.events.isEmpty)
        pipeline.tick(now: Timestamp(microseconds: 2_000_000))
        #expect(pipeline.statistics.snapshot.foreign == 1)
    }

    @Test("SGTIN-198 items and other schemes are reported with their pure identity")
    func otherSchemesInEvents() throws {
        let f = Fixture()
        let longSerial = try Self.tag("urn:epc:tag:sgtin-198:3.0614141.812345.A%2F1")
        let pallet = try Self.tag(Self.ownPallet)
        f.read(longSerial, at: 0)
        f.read(pallet, at: 10)
        let enters = f.sink.payloads(.presenceEnter).compactMap { payload -> Presence? in
            if case .presenceEnter(let presence) = payload { return presence }
            return nil
        }
        #expect(enters.map(\.epc) == ["urn:epc:id:sgtin:0614141.812345.A%2F1", "urn:epc:id:sscc:0614141.1234567890"])
        #expect(enters.map(\.gtin) == [Fixture.gtin, nil])
        #expect(enters.map(\.subject) == [.item, .tag])
        #expect(enters.first?.product == "Blue Scarf")
    }
}
