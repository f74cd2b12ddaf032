import Bus
import Dashboard
import Foundation
import GatewayCore
import Testing

@Suite struct FeedAggregatorTests {
    @Test func presenceCountsPeopleAndItemsPerZone() {
        let feed = FeedAggregator(zones: ["entrance", "floor"], gateway: "gw-1")
        feed.apply([Events.enter(1, .customer, token: "t1"), Events.enter(2, .visitor), Events.enter(3, .item), Events.enter(4, .item),
                    Events.exit(5, .item)])
        let floor = feed.state.zones.first { $0.name == "floor" }
        #expect(floor == DashboardState.ZoneCount(name: "floor", customers: 1, visitors: 1, items: 1))
        #expect(feed.state.zones.map(\.name) == ["entrance", "floor"])
        #expect(feed.state.presence.count == 5)
        #expect(feed.state.presence.first?.kind == "exit")
        // A customer's presence never carries who it is.
        #expect(feed.state.presence.last?.label == "")
        // An exit without its enter (the dashboard started mid-visit) does not go negative.
        feed.apply([Events.exit(6, .visitor, zone: "entrance")])
        #expect(feed.state.zones.first?.visitors == 0)
    }

    @Test func aVIPArrivalBecomesAnAlertThatCanBeAcknowledged() throws {
        let feed = FeedAggregator()
        let connection = feed.connect()
        feed.apply([Events.vip(7)])
        let alert = try #require(feed.state.alerts.first)
        #expect(alert.id == "gw-1/7")
        #expect(alert.firstName == "Ada" && alert.tier == "vip" && alert.zone == "entrance" && !alert.acknowledged)
        #expect(feed.acknowledge(alert: "gw-1/7", by: "anna"))
        #expect(feed.state.alerts.first?.acknowledgedBy == "anna")
        #expect(!feed.acknowledge(alert: "gw-1/99", by: "anna"))
        feed.disconnect(connection.id)
    }

    @Test func erasureForgetsTheCustomersAlertsAndCLVRankAtOnce() {
        let feed = FeedAggregator()
        feed.setSegments(Self.summary)
        feed.apply([Events.vip(1, name: "Ada", token: "t-ada"), Events.vip(2, name: "Bo", token: "t-bo")])
        #expect(!feed.takeSegmentsChanged())
        feed.apply([Events.event(3, .customerErased(CustomerErased(token: "t-ada")))])
        #expect(feed.state.alerts.map(\.firstName) == ["Bo"])
        #expect(feed.state.segments.topCustomers.map(\.token) == ["t-bo"])
        // The counts come from the store: it is read again.
        #expect(feed.takeSegmentsChanged())
        #expect(!feed.takeSegmentsChanged())
        // A store that has not applied the erasure yet (one fed over the bus) does not bring her back.
        feed.setSegments(Self.summary)
        #expect(feed.state.segments.topCustomers.map(\.token) == ["t-bo"])
        #expect(!String(decoding: try! JSONEncoder().encode(feed.state), as: UTF8.self).contains("Ada"))
    }

    static let summary = SegmentSummary(
        tiers: ["regular": 40, "vip": 2],
        bySegmentAndTier: [.init(segment: "loyal", tier: "regular", count: 5), .init(segment: "champions", tier: "vip", count: 2),
                           .init(segment: "champions", tier: "regular", count: 9), .init(segment: "at risk", tier: "regular", count: 1)],
        topCustomers: [.init(token: "t-ada", firstName: "Ada", clv: 910.5), .init(token: "t-bo", firstName: "Bo", clv: 300)],
        lastRun: .init(asOf: "2026-02-28", finishedAt: "2026-03-01T02:00:04.000Z", customers: 17))

    @Test func theSegmentsSectionIsTheStoresSummaryAndChangesAskForARead() async throws {
        let feed = FeedAggregator()
        #expect(!feed.state.segments.fromStore)
        let connection = feed.connect()
        defer { feed.disconnect(connection.id) }
        feed.setSegments(Self.summary)
        let segments = feed.state.segments
        #expect(segments.fromStore)
        #expect(segments.tiers == [.init(name: "regular", count: 40), .init(name: "vip", count: 2)])
        #expect(segments.segments == [.init(name: "champions", count: 11), .init(name: "loyal", count: 5), .init(name: "at risk", count: 1)])
        // Stacked in segment order, the larger tier first.
        #expect(segments.bySegmentAndTier.map { "\($0.segment)/\($0.tier)" } == ["champions/regular", "champions/vip", "loyal/regular", "at risk/regular"])
        #expect(segments.topCustomers.map(\.firstName) == ["Ada", "Bo"])
        #expect(segments.lastRun?.asOf == "2026-02-28")
        let seq = feed.seq
        // The same numbers again broadcast nothing.
        feed.setSegments(Self.summary)
        #expect(feed.seq == seq)

        // A segment change names one customer and carries no CLV: it only asks for the store to be read.
        feed.apply([Events.event(1, .customerSegment(CustomerSegment(token: "t-cy", segment: "loyal", tier: "vip")))])
        #expect(feed.state.segments == segments)
        #expect(feed.takeSegmentsChanged())
        #expect(!feed.takeSegmentsChanged())
        var next = Self.summary
        next.bySegmentAndTier.append(.init(segment: "loyal", tier: "vip", count: 1))
        feed.setSegments(next)
        #expect(feed.state.segments.segments.first { $0.name == "loyal" }?.count == 6)
        var messages = connection.stream.makeAsyncIterator()
        var last: FeedMessage?
        for _ in 0..<Int(feed.seq) { last = try decodeMessage(try #require(await messages.next())) }
        #expect(last?.patch?.segments?.segments.first { $0.name == "loyal" }?.count == 6)
    }

    @Test func salesCountTheBusinessDayAndRestartOnANewOne() {
        let feed = FeedAggregator()
        feed.apply([Events.sale(1, total: 10.50, token: "t"), Events.sale(2, total: 4.25)])
        #expect(feed.state.sales.transactions == 2)
        #expect(feed.state.sales.revenue == "14.75")
        #expect(feed.state.sales.withCustomer == 1)
        feed.apply([Events.event(3, .basketLink(BasketLink(transaction: "k", zone: "checkout", matched: ["a", "b", "c"], unmatched: ["d"])))])
        #expect(feed.state.sales.matchRate == 0.75)
        feed.apply([Events.sale(4, day: "2026-03-02", total: 1)])
        #expect(feed.state.sales.day == "2026-03-02")
        #expect(feed.state.sales.transactions == 1 && feed.state.sales.revenue == "1")
        #expect(feed.state.sales.recent.count == 3)
        // A late sale of the closed day does not count into the new one.
        feed.apply([Events.sale(5, day: "2026-03-01", total: 100)])
        #expect(feed.state.sales.transactions == 1)
    }

    @Test func readerStatusAndInProcessSamples() {
        let feed = FeedAggregator(sources: [("door", "reads")], gateway: "gw-1")
        #expect(feed.state.readers.first?.state == "waiting")
        // Reads from a source whose status came before the dashboard subscribed: it is evidently connected.
        feed.apply([Events.enter(1, .item)])
        #expect(feed.state.readers.first?.state == "connected")
        feed.apply([Events.status(1, .error)])
        #expect(feed.state.readers.first?.state == "error")
        feed.apply([Events.enter(1, .item)])
        #expect(feed.state.readers.first?.state == "error")
        feed.apply([Events.status(1, .connected)])
        #expect(feed.state.readers.first?.state == "connected")
        let start = ContinuousClock.now
        let sample = { (accepted: UInt64) in
            SystemSample(gateway: "gw-1", sources: [.init(name: "door", kind: "reads", accepted: accepted, dropped: 3, queued: 5, capacity: 100)],
                         reads: accepted, publishedSeq: 4, busRefused: 0, journalBytes: 1_000, storeAppliedSeq: 2)
        }
        feed.tick(sample: sample(100), now: start)
        feed.tick(sample: sample(150), now: start + .seconds(1))
        let reader = feed.state.readers[0]
        #expect(reader.rate == 50)
        #expect(reader.history.suffix(1) == [50])
        #expect(feed.state.system.storeLag == 2)
        #expect(feed.state.system.dashboardLag == 3)
        #expect(feed.state.system.rings == [.init(name: "door", queued: 5, capacity: 100, dropped: 3)])
        feed.apply([Events.status(2, .disconnected)])
        #expect(feed.state.readers.count == 1)
        #expect(feed.state.readers[0].state == "disconnected")
    }

    @Test func theSystemSectionSaysWhatTheSubscriberMissedAndRecovered() {
        let statistics = SubscriberStatistics(gaps: 3, missing: 40, replayed: 38, unrecoverable: 2)
        // A recovering subscriber loses only what replay could not give; a plain one every missing event.
        #expect(FeedHealth(statistics, recovers: true) == FeedHealth(gaps: 3, recovered: 38, lost: 2))
        #expect(FeedHealth(statistics, recovers: false) == FeedHealth(gaps: 3, recovered: 38, lost: 40))
        let feed = FeedAggregator()
        feed.tick(sample: nil, feed: FeedHealth(statistics, recovers: true))
        #expect(feed.state.system.gaps == 3 && feed.state.system.recovered == 38 && feed.state.system.lost == 2)
    }

    @Test func aBrowserResumesFromItsLastSeqOrGetsASnapshot() async throws {
        let feed = FeedAggregator()
        let first = feed.connect()
        #expect(try first.initial.map(decodeMessage).map(\.kind) == ["snapshot"])
        feed.apply([Events.vip(1)])
        feed.apply([Events.enter(2, .item)])
        feed.disconnect(first.id)
        let seq = feed.seq
        #expect(seq == 2)

        // Missed one message: exactly that one is replayed.
        let resumed = feed.connect(resumeAfter: seq - 1, epoch: feed.epoch)
        let replay = try resumed.initial.map(decodeMessage)
        #expect(replay.map(\.kind) == ["patch"] && replay.map(\.seq) == [seq])

        // Another process's numbering, or a seq the ring no longer has: a fresh snapshot.
        #expect(try feed.connect(resumeAfter: seq - 1, epoch: "other").initial.map(decodeMessage).map(\.kind) == ["snapshot"])
        #expect(try feed.connect(resumeAfter: seq + 5, epoch: feed.epoch).initial.map(decodeMessage).map(\.kind) == ["snapshot"])

        // The live stream continues right after the replay.
        feed.apply([Events.vip(3, name: "Cy")])
        var iterator = resumed.stream.makeAsyncIterator()
        let next = try decodeMessage(try #require(await iterator.next()))
        #expect(next.seq == seq + 1)
        #expect(next.patch?.newAlerts?.map(\.firstName) == ["Cy"])
    }

    @Test func oldMessagesFallOutOfTheReplayRing() throws {
        let feed = FeedAggregator()
        for seq in 1...UInt64(FeedAggregator.replayCapacity + 10) { feed.apply([Events.enter(seq, .item)]) }
        #expect(try feed.connect(resumeAfter: 1, epoch: feed.epoch).initial.map(decodeMessage).map(\.kind) == ["snapshot"])
        let recent = try feed.connect(resumeAfter: feed.seq - 3, epoch: feed.epoch).initial.map(decodeMessage)
        #expect(recent.count == 3)
    }
}
