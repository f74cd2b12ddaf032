import EPC
import Foundation
import GatewayCore
import Logging
import Testing
@testable import Matching

/// Collects what the pipeline emits.
final class RecordingSink: EventSink {
    var events: [(payload: EventPayload, ts: Timestamp)] = []
    func emit(_ payload: EventPayload, at ts: Timestamp) { events.append((payload, ts)) }
    func flush() {}
    func close() {}

    func count(_ type: EventType) -> Int { events.filter { $0.payload.type == type }.count }
    func payloads(_ type: EventType) -> [EventPayload] { events.map(\.payload).filter { $0.type == type } }
}

/// A small store: an entrance reader, a floor reader, a till; three customers and one product.
struct Fixture {
    static let vipTag = TagID(hex: "E28011606000020000000001")!
    static let regularTag = TagID(hex: "E28011606000020000000002")!
    static let privateTag = TagID(hex: "E28011606000020000000003")!
    static let gtin = "80614141123458"

    let sink = RecordingSink()
    let pipeline: StorePipeline
    let start = Timestamp(microseconds: 1_800_000_000_000_000)

    static var defaultLayout: StoreLayoutConfig {
        var layout = StoreLayoutConfig()
        layout.companyPrefixes = ["0614141"]
        return layout
    }

    static let defaultSources = [
        SourceDescriptor(index: 0, name: "door", driver: "test", defaultZone: "entrance"),
        SourceDescriptor(index: 1, name: "floor", driver: "test", antennaZones: [1: "floor", 2: "checkout"]),
        SourceDescriptor(index: 2, name: "till", driver: "test"),
    ]

    init(absence: Duration = .seconds(3), matching: MatchingConfig = MatchingConfig(), layout: StoreLayoutConfig = Fixture.defaultLayout,
         sources: [SourceDescriptor] = Fixture.defaultSources) {
        var matching = matching
        matching.absence = absence
        let directory = Directory(customers: [
            .init(id: "C1", token: "tok-vip", firstName: "Ada", tier: "vip", recognitionConsent: true, credentials: [Self.vipTag.hex]),
            .init(id: "C2", token: "tok-reg", firstName: "Bo", tier: "regular", recognitionConsent: true, credentials: [Self.regularTag.hex, "0004242"]),
            .init(id: "C3", token: "tok-private", firstName: "Cy", tier: "vip", recognitionConsent: false, credentials: [Self.privateTag.hex]),
        ], products: [.init(gtin: Self.gtin, name: "Blue Scarf", category: "accessories")])
        pipeline = StorePipeline(configuration: matching, layout: layout, sources: sources, directory: directory, sink: sink,
                                 logger: Logger(label: "test"))
    }

    func read(_ tag: TagID, source: UInt16 = 0, antenna: UInt16 = 1, at ms: Int64, kind: TagRead.Kind = .epc) {
        pipeline.process(read: TagRead(tag: tag, kind: kind, source: source, antenna: antenna, rssi: -5_500, timestamp: start.adding(milliseconds: ms)))
    }

    func tick(at ms: Int64) { pipeline.tick(now: start.adding(milliseconds: ms)) }

    static func item(serial: UInt64, gtin: String = gtin, prefixDigits: Int = 7) -> TagID {
        TagID(bytes: try! SGTIN96(gtin14: gtin, companyPrefixDigits: prefixDigits, serial: serial).bytes)!
    }
}

@Suite("Store pipeline")
struct StorePipelineTests {
    @Test("a tag enters on its first read and exits only after the absence time")
    func presenceTiming() throws {
        let f = Fixture()
        let item = Fixture.item(serial: 1)
        for ms in stride(from: Int64(0), through: 2_000, by: 250) { f.read(item, source: 1, antenna: 1, at: ms) }
        #expect(f.sink.count(.presenceEnter) == 1)
        f.tick(at: 4_900) // last read at 2.0 s; 2.9 s absent < 3 s
        #expect(f.sink.count(.presenceExit) == 0)
        f.tick(at: 5_010) // 3.0 s absent, and the 10 ms expiry bucket of the last read has closed
        #expect(f.sink.count(.presenceExit) == 1)
        guard case .presenceExit(let exit) = try #require(f.sink.payloads(.presenceExit).first) else { return }
        #expect(exit.zone == "floor")
        #expect(exit.subject == .item)
        #expect(exit.gtin == Fixture.gtin)
        #expect(exit.product == "Blue Scarf")
        #expect(exit.epc == "urn:epc:id:sgtin:0614141.812345.1")
        #expect(exit.dwellMs == 2_000)
        #expect(f.sink.events.last?.ts == f.start.adding(milliseconds: 2_000))
        // Seen again: a new enter.
        f.read(item, source: 1, antenna: 1, at: 6_000)
        #expect(f.sink.count(.presenceEnter) == 2)
    }

    @Test("antennas of one reader place tags in different zones")
    func antennaZones() {
        let f = Fixture()
        let item = Fixture.item(serial: 2)
        f.read(item, source: 1, antenna: 1, at: 0)
        f.read(item, source: 1, antenna: 2, at: 10)
        let zones = f.sink.payloads(.presenceEnter).compactMap { payload -> String? in
            if case .presenceEnter(let p) = payload { return p.zone }
            return nil
        }
        #expect(zones == ["floor", "checkout"])
    }

    @Test("VIP arrival fires once per visit and not again within the suppression window")
    func vipOncePerVisit() {
        let f = Fixture()
        for ms in stride(from: Int64(0), through: 1_000, by: 100) { f.read(Fixture.vipTag, at: ms) }
        f.read(Fixture.vipTag, source: 1, antenna: 1, at: 1_200) // walks onto the floor
        #expect(f.sink.count(.vipArrival) == 1)
        #expect(f.sink.count(.customerArrival) == 1)
        // Passes the door again during the same visit: no new alert.
        f.tick(at: 4_100)
        f.read(Fixture.vipTag, at: 5_000)
        #expect(f.sink.count(.vipArrival) == 1)
        #expect(f.sink.count(.customerArrival) == 1)
        // Leaves: every zone expires, the visit ends.
        f.tick(at: 9_000)
        let ends = f.sink.payloads(.presenceExit).filter { if case .presenceExit(let p) = $0 { return p.visitEnd == true } else { return false } }
        #expect(ends.count == 1)
        // Back ten minutes later: a new visit (customer.arrival) but the VIP alert is suppressed.
        f.read(Fixture.vipTag, at: 600_000)
        #expect(f.sink.count(.customerArrival) == 2)
        #expect(f.sink.count(.vipArrival) == 1)
        f.tick(at: 700_000)
        // Back after the 30-minute window: alerted again.
        f.read(Fixture.vipTag, at: 2_000_000)
        #expect(f.sink.count(.vipArrival) == 2)
        guard case .vipArrival(let alert) = f.sink.payloads(.vipArrival).last else { Issue.record("no alert"); return }
        #expect(alert.token == "tok-vip")
        #expect(alert.firstName == "Ada")
        #expect(alert.tier == "vip")
        #expect(alert.zone == "entrance")
    }

    @Test("a regular customer arrives without a VIP alert")
    func regularArrival() {
        let f = Fixture()
        f.read(Fixture.regularTag, at: 0)
        #expect(f.sink.count(.customerArrival) == 1)
        #expect(f.sink.count(.vipArrival) == 0)
    }

    @Test("a customer without recognition consent is counted, never identified")
    func noConsentNoIdentity() throws {
        let f = Fixture()
        for ms in stride(from: Int64(0), through: 1_000, by: 100) { f.read(Fixture.privateTag, at: ms) }
        f.tick(at: 10_000)
        #expect(f.sink.count(.customerArrival) == 0)
        #expect(f.sink.count(.vipArrival) == 0)
        let presence = f.sink.events.compactMap { event -> Presence? in
            switch event.payload {
            case .presenceEnter(let p), .presenceExit(let p): return p
            default: return nil
            }
        }
        #expect(presence.count == 2)
        #expect(presence.allSatisfy { $0.subject == .visitor && $0.token == nil && $0.epc == nil && $0.visit == nil })
        // Nothing that could identify them appears anywhere in what was emitted.
        let encoder = JSONEncoder()
        for event in f.sink.events {
            let json = String(decoding: try encoder.encode(GatewayEvent(seq: 1, gateway: "g", store: "s", ts: event.ts, payload: event.payload)), as: UTF8.self)
            for secret in ["tok-private", "C3", "Cy", Fixture.privateTag.hex] { #expect(!json.contains(secret)) }
        }
    }

    @Test("foreign tags are dropped and counted; unknown own tags are reported as tags")
    func edgeFilter() throws {
        let f = Fixture()
        let foreign = TagID(bytes: try SGTIN96(filter: 1, companyPrefix: CompanyPrefix(value: 12_345, digits: 7), itemReference: 100_001, serial: 5).bytes)!
        let raw = TagID(hex: "E2801160600002000000FFFF")!
        f.read(foreign, at: 0)
        f.read(foreign, at: 100)
        f.read(raw, at: 100)
        f.read(Fixture.item(serial: 9, gtin: "00614141000012"), at: 200)
        f.tick(at: 300)
        #expect(f.sink.count(.presenceEnter) == 1)
        guard case .presenceEnter(let p) = f.sink.events[0].payload else { Issue.record("expected an enter"); return }
        #expect(p.subject == .tag)
        #expect(p.gtin == "00614141000012")
        #expect(f.pipeline.statistics.snapshot.foreign == 3)
    }

    @Test("card credentials resolve like tags")
    func cardCredential() {
        let f = Fixture()
        f.read(TagID(cardNumber: "0004242")!, at: 0, kind: .card)
        guard case .customerArrival(let arrival) = f.sink.payloads(.customerArrival).first else { Issue.record("no arrival"); return }
        #expect(arrival.token == "tok-reg")
    }

    @Test("POS transactions are enriched with product names and the customer token")
    func enrichTransaction() throws {
        let f = Fixture()
        let tx = PosTransaction(storeID: "S1", workstationID: "2", sequenceNumber: "77", businessDay: "2026-11-23", endedAt: f.start,
                                currency: "USD", lines: [.init(number: 1, gtin: Fixture.gtin, quantity: 2, unitPrice: Decimal(string: "9.99")!, amount: Decimal(string: "19.98")!)],
                                tenders: [.init(type: "Cash", amount: Decimal(string: "19.98")!)], total: Decimal(string: "19.98")!, loyaltyID: "C2")
        f.pipeline.process(transaction: tx, from: 2)
        guard case .posTransaction(let sale) = try #require(f.sink.events.first?.payload) else { Issue.record("no sale"); return }
        #expect(sale.token == "tok-reg")
        #expect(sale.key == "S1/2/2026-11-23/77")
        #expect(sale.lines.first?.product == "Blue Scarf")
        #expect(sale.lines.first?.category == "accessories")
        #expect(sale.source == "till")
        #expect(sale.total == Decimal(string: "19.98"))
    }

    @Test("a reloaded directory is picked up at the next tick")
    func reload() {
        let f = Fixture()
        let newTag = TagID(hex: "E28011606000020000000009")!
        f.read(newTag, at: 0)
        #expect(f.sink.count(.customerArrival) == 0)
        f.pipeline.replace(directory: Directory(customers: [
            .init(id: "C9", token: "tok-new", firstName: "Di", tier: "regular", recognitionConsent: true, credentials: [newTag.hex]),
        ], products: []))
        f.tick(at: 100)
        f.read(newTag, source: 1, antenna: 1, at: 200)
        #expect(f.sink.count(.customerArrival) == 1)
    }

    /// Every event's token, in order, from the first `customer.erased` on.
    private static func tokensAfterTombstone(_ sink: RecordingSink) -> [String] {
        guard let at = sink.events.firstIndex(where: { $0.payload.type == .customerErased }) else { return ["no tombstone"] }
        return sink.events[(at + 1)...].compactMap { event -> String? in
            switch event.payload {
            case .presenceEnter(let p), .presenceExit(let p): p.token
            case .customerArrival(let a), .vipArrival(let a): a.token
            default: nil
            }
        }
    }

    @Test("an erasure's tombstone goes out after the directory without the customer: nothing later carries the token")
    func erasureReloadsBeforeTheTombstone() {
        let f = Fixture()
        f.read(Fixture.vipTag, at: 0)
        f.read(Fixture.vipTag, source: 1, antenna: 1, at: 100)
        #expect(f.sink.count(.customerArrival) == 1)
        // What the erasure outbox does: the directory without Ada, then the tombstone.
        f.pipeline.replace(directory: Directory(customers: [
            .init(id: "C2", token: "tok-reg", firstName: "Bo", tier: "regular", recognitionConsent: true, credentials: [Fixture.regularTag.hex]),
        ], products: []))
        f.pipeline.announce(.customerErased(CustomerErased(token: "tok-vip", change: "c-1")))
        f.tick(at: 200)
        // She is still in the store, and then leaves.
        f.read(Fixture.vipTag, at: 300)
        f.read(Fixture.vipTag, source: 1, antenna: 1, at: 400)
        f.tick(at: 9_000)
        #expect(f.sink.count(.customerErased) == 1)
        #expect(Self.tokensAfterTombstone(f.sink).isEmpty)
        // Her exits are a visitor's: counted, never hers, and no visit end under her token.
        let exits = f.sink.payloads(.presenceExit).compactMap { if case .presenceExit(let p) = $0 { p } else { nil } }
        #expect(exits.count >= 2 && exits.suffix(2).allSatisfy { $0.subject == .visitor && $0.token == nil && $0.visitEnd != true })
    }

    @Test("a withdrawn consent ends the visit: a later visit with consent again is greeted afresh")
    func withdrawnConsentEndsTheVisit() {
        let f = Fixture()
        let ada = { (consent: Bool) in
            Directory(customers: [
                .init(id: "C1", token: "tok-vip", firstName: "Ada", tier: "vip", recognitionConsent: consent, credentials: [Fixture.vipTag.hex]),
            ], products: [])
        }
        f.read(Fixture.vipTag, at: 0)
        #expect(f.sink.count(.vipArrival) == 1)
        f.pipeline.replace(directory: ada(false))
        f.tick(at: 100)
        f.read(Fixture.vipTag, source: 1, antenna: 1, at: 200)
        f.tick(at: 9_000)
        // Consent given again (say, at the kiosk by the door), and she comes back the next day.
        f.pipeline.replace(directory: ada(true))
        f.tick(at: 86_400_000)
        f.read(Fixture.vipTag, at: 86_400_100)
        #expect(f.sink.count(.customerArrival) == 2)
        #expect(f.sink.count(.vipArrival) == 2)
    }
}
