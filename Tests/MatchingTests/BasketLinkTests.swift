import EPC
import Foundation
import GatewayCore
import Logging
import Testing
@testable import Matching

@Suite("Basket link")
struct BasketLinkTests {
    static let otherGTIN = "00614141000012"

    static func sale(at f: Fixture, endedAtMs: Int64, startedAtMs: Int64? = nil, workstation: String = "2", sequence: String = "1",
                     lines: [PosTransaction.Line]) -> PosTransaction {
        PosTransaction(storeID: "S1", workstationID: workstation, sequenceNumber: sequence, businessDay: "2026-11-23",
                       endedAt: f.start.adding(milliseconds: endedAtMs), currency: "EUR", lines: lines,
                       tenders: [.init(type: "Cash", amount: 30)], total: 30, loyaltyID: "C2",
                       startedAt: startedAtMs.map { f.start.adding(milliseconds: $0) })
    }

    static func links(_ sink: RecordingSink) -> [BasketLink] {
        sink.payloads(.basketLink).compactMap { if case .basketLink(let link) = $0 { link } else { nil } }
    }

    @Test("tagged items at the till are matched to the sale; an unpaid item and an untagged line are reported")
    func scriptedCheckout() throws {
        let f = Fixture()
        let scarves = [Fixture.item(serial: 11), Fixture.item(serial: 12)]
        let unpaid = Fixture.item(serial: 13, gtin: Self.otherGTIN)
        // Source 1, antenna 2 covers the checkout.
        for tag in scarves + [unpaid] { f.read(tag, source: 1, antenna: 2, at: 1_000) }
        // A scarf on the floor, not at the till, is not part of the basket.
        f.read(Fixture.item(serial: 14), source: 1, antenna: 1, at: 1_000)
        let sale = Self.sale(at: f, endedAtMs: 20_000, startedAtMs: 0, lines: [
            .init(number: 1, gtin: Fixture.gtin, quantity: 2, unitPrice: 10, amount: 20),
            .init(number: 2, itemID: "GIFTWRAP", quantity: 1, unitPrice: 10, amount: 10),
        ])
        f.pipeline.process(transaction: sale, from: 2)

        let link = try #require(Self.links(f.sink).first)
        #expect(link.transaction == "S1/2/2026-11-23/1")
        #expect(link.zone == "checkout")
        #expect(link.matched == [Fixture.gtin, Fixture.gtin])
        #expect(link.unmatched == [Self.otherGTIN])
        #expect(link.unmatchedEPCs == ["urn:epc:id:sgtin:0614141.000001.13"])
        #expect(link.untaggedLines == [2])
        // The link follows its sale on the bus.
        let types = f.sink.events.map(\.payload.type)
        #expect(types.firstIndex(of: .posTransaction)! < types.firstIndex(of: .basketLink)!)
    }

    @Test("units a tag does not cover leave the line untagged; returns and weighed goods claim no tags")
    func partialLines() throws {
        let f = Fixture()
        f.read(Fixture.item(serial: 21), source: 1, antenna: 2, at: 0)
        f.pipeline.process(transaction: Self.sale(at: f, endedAtMs: 5_000, lines: [
            .init(number: 1, gtin: Fixture.gtin, quantity: 3, unitPrice: 10, amount: 30),
            .init(number: 2, kind: .return, gtin: Self.otherGTIN, quantity: 1, unitPrice: 5, amount: -5),
            .init(number: 3, gtin: Self.otherGTIN, quantity: Decimal(string: "0.350")!, unitPrice: 8, amount: Decimal(string: "2.80")!),
        ]), from: 2)
        let link = try #require(Self.links(f.sink).first)
        #expect(link.matched == [Fixture.gtin])
        #expect(link.untaggedLines == [1, 3])
        #expect(link.unmatched.isEmpty)
    }

    @Test("items seen outside the sale's window are not linked")
    func window() throws {
        let f = Fixture()
        let early = Fixture.item(serial: 31)
        f.read(early, source: 1, antenna: 2, at: 0)
        f.tick(at: 4_000) // left the checkout at 0 s
        let sale = Self.sale(at: f, endedAtMs: 600_000, startedAtMs: 500_000, lines: [
            .init(number: 1, gtin: Fixture.gtin, quantity: 1, unitPrice: 10, amount: 10),
        ])
        f.pipeline.process(transaction: sale, from: 2)
        let link = try #require(Self.links(f.sink).first)
        #expect(link.matched.isEmpty)
        #expect(link.untaggedLines == [1])
    }

    @Test("a sold item is paid for once and its later sightings say so, anonymously")
    func soldItems() throws {
        let f = Fixture()
        let scarf = Fixture.item(serial: 41)
        f.read(scarf, source: 1, antenna: 2, at: 0)
        let line = PosTransaction.Line(number: 1, gtin: Fixture.gtin, quantity: 1, unitPrice: 10, amount: 10)
        f.pipeline.process(transaction: Self.sale(at: f, endedAtMs: 1_000, lines: [line]), from: 2)
        // A second sale at the same till does not claim it again.
        f.pipeline.process(transaction: Self.sale(at: f, endedAtMs: 2_000, sequence: "2", lines: [line]), from: 2)
        let links = Self.links(f.sink)
        #expect(links.map(\.matched) == [[Fixture.gtin], []])

        // It leaves the till as a sold item, and is seen again on the floor the next day.
        f.tick(at: 10_000)
        f.read(scarf, source: 1, antenna: 1, at: 86_400_000)
        let presence = f.sink.events.compactMap { event -> Presence? in
            switch event.payload {
            case .presenceEnter(let p), .presenceExit(let p): p
            default: nil
            }
        }
        let exit = try #require(presence.first { $0.zone == "checkout" && $0.sold == true })
        #expect(exit.token == nil && exit.visit == nil)
        let later = try #require(presence.last)
        #expect(later.zone == "floor")
        #expect(later.sold == true)
        #expect(later.subject == .item)
        #expect(later.token == nil)
    }

    @Test("with soldItems: drop, sold items are counted and not published")
    func soldItemsDropped() throws {
        var matching = MatchingConfig()
        matching.soldItems = .drop
        let f = Fixture(matching: matching)
        let scarf = Fixture.item(serial: 51)
        f.read(scarf, source: 1, antenna: 2, at: 0)
        f.pipeline.process(transaction: Self.sale(at: f, endedAtMs: 1_000, lines: [
            .init(number: 1, gtin: Fixture.gtin, quantity: 1, unitPrice: 10, amount: 10),
        ]), from: 2)
        f.tick(at: 10_000)
        let before = f.sink.events.count
        f.read(scarf, source: 1, antenna: 1, at: 20_000)
        f.tick(at: 30_000)
        #expect(f.sink.events.count == before)
        #expect(f.pipeline.statistics.snapshot.soldSightings == 1)
    }

    @Test("a till maps to the checkout zone that lists it")
    func workstationZones() throws {
        var layout = StoreLayoutConfig()
        layout.companyPrefixes = ["0614141"]
        layout.zones = [
            .init(name: "entrance", role: .entrance),
            .init(name: "till-a", role: .checkout, workstations: ["1"]),
            .init(name: "till-b", role: .checkout, workstations: ["2"]),
        ]
        let f = Fixture(layout: layout, sources: [
            SourceDescriptor(index: 0, name: "door", driver: "test", defaultZone: "entrance"),
            SourceDescriptor(index: 1, name: "tills", driver: "test", antennaZones: [1: "till-a", 2: "till-b"]),
            SourceDescriptor(index: 2, name: "pos", driver: "test"),
        ])
        f.read(Fixture.item(serial: 61), source: 1, antenna: 1, at: 0)
        f.read(Fixture.item(serial: 62), source: 1, antenna: 2, at: 0)
        let line = PosTransaction.Line(number: 1, gtin: Fixture.gtin, quantity: 1, unitPrice: 10, amount: 10)
        f.pipeline.process(transaction: Self.sale(at: f, endedAtMs: 1_000, workstation: "2", lines: [line]), from: 2)
        f.pipeline.process(transaction: Self.sale(at: f, endedAtMs: 1_000, workstation: "9", sequence: "2", lines: [line]), from: 2)
        f.tick(at: 2_000)
        let links = Self.links(f.sink)
        #expect(links.count == 1)
        #expect(links.first?.zone == "till-b")
        #expect(f.pipeline.statistics.snapshot.unlinkedSales == 1)
    }
}

@Suite("VIP arrival")
struct VIPArrivalTests {
    @Test("a customer promoted during a visit is not alerted on the way out, but on the next visit")
    func promotedMidVisit() {
        let f = Fixture()
        // Bo (regular) walks in and on to the floor.
        f.read(Fixture.regularTag, source: 0, at: 0)
        f.read(Fixture.regularTag, source: 1, antenna: 1, at: 500)
        // Promoted while in the store.
        f.pipeline.replace(directory: Directory(customers: [
            .init(id: "C2", token: "tok-reg", firstName: "Bo", tier: "vip", recognitionConsent: true, credentials: [Fixture.regularTag.hex]),
        ], products: []))
        f.tick(at: 1_000)
        // The door reader loses him for longer than the absence, then sees him leave: same visit (still on the floor).
        f.read(Fixture.regularTag, source: 1, antenna: 1, at: 4_000)
        f.tick(at: 4_100)
        f.read(Fixture.regularTag, source: 0, at: 4_200)
        #expect(f.sink.count(.vipArrival) == 0)
        // Gone, then back the next day: a VIP arrival.
        f.tick(at: 20_000)
        f.read(Fixture.regularTag, source: 0, at: 86_400_000)
        #expect(f.sink.count(.vipArrival) == 1)
        #expect(f.sink.count(.customerArrival) == 2)
    }
}
