import GatewayCore
import Logging
import Matching
import Synchronization
import Testing
@testable import LLRP
import LLRPEmulator

/// Collects the pipeline's events; written on the pipeline thread, read by the test.
final class LockedRecorder: EventSink, @unchecked Sendable {
    private let events = Mutex<[(payload: EventPayload, ts: Timestamp)]>([])
    func emit(_ payload: EventPayload, at ts: Timestamp) { events.withLock { $0.append((payload, ts)) } }
    func flush() {}
    func close() {}

    var presenceEnters: [Presence] {
        events.withLock { $0.compactMap { if case .presenceEnter(let p) = $0.payload { p } else { nil } } }
    }

    var statuses: [ReaderStatus] {
        events.withLock { $0.compactMap { if case .readerStatus(let s) = $0.payload { s } else { nil } } }
    }
}

extension LLRPTests {
    @Suite("LLRP end to end")
    struct EndToEndTests {
        @Test("reads from an emulated reader become presence events per antenna zone")
        func presenceFromLLRP() async throws {
            let emulator = try await LLRPReaderEmulator.start()
            let serials: [UInt32] = [1, 2, 3]
            let epcs = serials.map { LLRPReaderEmulator.sgtinPrefix + [0, 0, 0, UInt8($0)] }
            emulator.setStream(.init(readsPerSecond: 300, antennas: [1, 2], tags: .cycling(epcs)))

            let doorbell = Doorbell()
            let inbox = ControlInbox(doorbell: doorbell)
            let ring = SPSCRing<TagRead>(capacity: 4_096, policy: .dropOldest, doorbell: doorbell)
            let source = SourceDescriptor(index: 0, name: "door-llrp", driver: "llrp", antennaZones: [1: "entrance", 2: "floor"])
            let sink = ReadSink(source: source, ring: ring, inbox: inbox)
            var layout = StoreLayoutConfig()
            layout.companyPrefixes = ["0614141"]
            let recorder = LockedRecorder()
            let pipeline = StorePipeline(configuration: MatchingConfig(), layout: layout, sources: [source], counters: [0: ring],
                                         directory: Directory(customers: [], products: [.init(gtin: "80614141123458", name: "Blue Scarf", category: "accessories")]),
                                         sink: recorder, logger: testLogger("pipeline"))
            let runner = PipelineRunner(readSinks: [sink], transactionSinks: [], doorbell: doorbell, inbox: inbox, processor: pipeline,
                                        logger: testLogger("pipeline"))
            runner.start()

            let source0 = try LLRPReaderConfig(source: SourceConfig(name: "door-llrp", driver: "llrp", antennas: [1: "entrance", 2: "floor"],
                                                                     options: ["url": "llrp://127.0.0.1:\(emulator.port)", "keepalive": "200ms"],
                                                                     path: "sources[0]"))
            #expect(source0.antennas == [1, 2])
            let reader = LLRPReader(configuration: source0, logger: testLogger("llrp"))
            let task = Task { try await reader.run(into: sink) }

            let arrived = await eventually(within: .seconds(5)) { recorder.presenceEnters.count >= 6 }
            #expect(arrived, "presence enters: \(recorder.presenceEnters.count)")
            let enters = recorder.presenceEnters
            #expect(Set(enters.map(\.zone)) == ["entrance", "floor"])
            #expect(Set(enters.compactMap(\.epc)) == Set(serials.map { "urn:epc:id:sgtin:0614141.812345.\($0)" }))
            for enter in enters {
                #expect(enter.reader == "door-llrp")
                #expect(enter.subject == .item)
                #expect(enter.product == "Blue Scarf")
                #expect(enter.antenna == (enter.zone == "entrance" ? 1 : 2))
                #expect(enter.rssi == -52)
            }
            // Each tag enters each zone once while it keeps being read.
            #expect(enters.count == 6)
            #expect(recorder.statuses.contains { $0.state == .connected && $0.reader == "door-llrp" && ($0.message ?? "").contains("antennas 1, 2") })

            task.cancel()
            _ = try? await task.value
            await runner.stop()
            await emulator.shutdown()
            #expect(recorder.statuses.last?.state == .disconnected)
            #expect(emulator.connections.first?.closeConnectionReceived == true)
        }

        @Test("throughput: reads the emulator pushes as fast as the socket takes them all reach the ring", arguments: [1, 50])
        func throughput(tagsPerReport: Int) async throws {
            let total = tagsPerReport == 1 ? 40_000 : 200_000
            let h = try await Harness.start(configure: { $0.reportEveryTags = tagsPerReport },
                                            setup: { $0.setStream(.init(readsPerSecond: nil, antennas: [1, 2, 3, 4], limit: total)) })
            #expect(await h.waitForSession())
            let start = ContinuousClock.now
            let done = await h.wait(within: .seconds(30)) { $0.probe.reads.count >= total }
            let elapsed = ContinuousClock.now - start
            #expect(done, "received \(h.probe.reads.count) of \(total)")
            #expect(h.probe.serials.count == total)
            #expect(h.probe.ring.dropped == 0)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Double(h.probe.reads.count) / seconds
            print("LLRP throughput: \(total) reads at \(tagsPerReport) tag(s)/report in \(Int(seconds * 1_000)) ms = \(Int(rate)) reads/s")
            // Far below what this does even in a debug build, far above a busy store (20 readers × ~200 tags/s).
            #expect(rate > 4_000)
            await h.stop()
        }
    }
}
