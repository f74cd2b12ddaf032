import Dashboard
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

    @Test func erasureForgetsTheCustomersAlertsAndSegment() {
        let feed = FeedAggregator()
        feed.apply([Events.vip(1, name: "Ada", token: "t-ada"), Events.vip(2, name: "Bo", token: "t-bo"),
                    Events.event(3, .customerSegment(CustomerSegment(token: "t-ada", segment: "loyal", tier: "vip")))])
        #expect(feed.state.segments.segments == [.init(name: "loyal", count: 1)])
        feed.apply([Events.event(4, .customerErased(CustomerErased(token: "t-ada")))])
        #expect(feed.state.alerts.map(\.firstName) == ["Bo"])
        #expect(feed.state.segments.segments.isEmpty)
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
