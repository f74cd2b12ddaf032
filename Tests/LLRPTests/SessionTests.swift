import GatewayCore
import Testing
@testable import LLRP
import LLRPEmulator

extension LLRPTests {
    /// The real driver against the emulated reader: the session, the faults, the recoveries.
    /// Serialized: the timing assertions (back-off, keepalive) want the machine's two cores to themselves.
    @Suite("LLRP driver against the emulator")
    struct SessionTests {
        @Test("runs the session in order, streams reads, acknowledges keepalives, and closes gracefully")
        func sessionReadsAndClose() async throws {
            let h = try await Harness.start(setup: { $0.setStream(.init(readsPerSecond: 400, antennas: [1, 2])) })
            #expect(await h.wait { $0.probe.reads.count >= 60 })
            let connection = try #require(h.emulator.acceptedConnections.first)
            #expect(Array(connection.requests.prefix(6)) == [.getReaderCapabilities, .setReaderConfig, .deleteROSpec, .addROSpec,
                                                             .enableROSpec, .startROSpec])
            #expect(connection.requestIDs.prefix(6).elementsEqual(1...6))
            #expect(connection.keepaliveInterval == 500)
            #expect(connection.roSpec == LLRPSessionHandler.roSpec(for: h.reader.configuration))
            #expect(await h.wait { $0.emulator.acceptedConnections[0].keepaliveAcks >= 2 })

            let now = Timestamp.now()
            for read in h.probe.reads {
                #expect(read.source == 3)
                #expect([1, 2].contains(read.antenna))
                #expect(read.rssi == -5_200)
                #expect(read.kind == .epc)
                #expect(read.tag.bitCount == 96)
                #expect(abs(read.timestamp.milliseconds(since: now)) < 10_000)
            }
            #expect(Set(h.probe.reads.map(\.antenna)) == [1, 2])
            let connected = h.probe.statuses(.connected)
            #expect(connected.count == 1)
            #expect(connected.first?.contains("connected to \(h.endpoint)") == true)
            #expect(connected.first?.contains("Impinj") == true)

            // Everything the reader wrote arrives.
            h.emulator.setStream(nil)
            #expect(await h.wait { h in h.probe.serials.isSuperset(of: h.emulator.acceptedConnections[0].allSerials) })
            #expect(h.probe.ring.dropped == 0)

            let stopping = ContinuousClock.now
            await h.stop()
            #expect(ContinuousClock.now - stopping < .seconds(5)) // prompt, with room for a loaded machine
            #expect(h.emulator.connections.count == 1)
            let closed = try #require(h.emulator.connections.last)
            #expect(closed.closeConnectionReceived)
            #expect(closed.closed)
            #expect(h.probe.statuses.last?.state == .disconnected)
            #expect(h.probe.statuses.last?.message?.contains("stopping") == true)
            let stats = h.reader.statistics.snapshot
            #expect(stats.sessions == 1)
            #expect(stats.malformedFrames == 0)
            #expect(stats.keepalives >= 2)
            #expect(stats.reads == UInt64(h.probe.reads.count))
        }

        @Test("a refused session (ConnectionAttemptEvent status 2) backs off exponentially; success resets the back-off")
        func refusalBackoffAndReset() async throws {
            let h = try await Harness.start(
                configure: { $0.reconnect = .init(initial: .milliseconds(50), maximum: .seconds(2), jitter: 0) },
                setup: { $0.refuseNextConnections(with: [2, 2, 2, 2, 2]) })
            #expect(await h.waitForSession(within: .seconds(8)))
            let connections = h.emulator.connections
            #expect(connections.prefix(5).allSatisfy { $0.refusedWith == 2 })
            #expect(connections.count == 6)
            // Each wait at least doubles: 50, 100, 200, 400, 800 ms.
            for (index, minimum) in [50, 100, 200, 400, 800].enumerated() {
                let gap = connections[index + 1].acceptedAt - connections[index].acceptedAt
                #expect(gap >= .milliseconds(minimum), "gap \(index): \(gap)")
            }
            let errors = h.probe.statuses(.error)
            #expect(errors.count == 1, "one status for five identical refusals: \(errors)")
            #expect(errors.first?.contains("a client-initiated connection already exists (ConnectionAttemptEvent status 2)") == true)
            #expect(errors.first?.contains(h.endpoint) == true)
            #expect(h.probe.statuses.last?.state == .connected)

            // The session reached START_ROSPEC, so the next drop reconnects after the initial delay,
            // not the 1.6 s the sixth attempt would otherwise wait.
            let dropped = ContinuousClock.now
            h.emulator.dropConnection(midReport: false)
            #expect(await h.waitForSession(2))
            let reconnect = try #require(h.emulator.connections.last).acceptedAt - dropped
            #expect(reconnect < .milliseconds(1_000), "reconnected after \(reconnect)")
            #expect(h.probe.statuses(.disconnected).contains { $0.contains("lost \(h.endpoint): the reader closed the connection") })
            await h.stop()
        }

        @Test("keepalives keep an idle link up; silence for twice the interval reconnects")
        func keepaliveWatchdog() async throws {
            let h = try await Harness.start(configure: { $0.keepalive = .milliseconds(250) })
            #expect(await h.waitForSession())
            #expect(await h.wait { $0.emulator.acceptedConnections[0].keepaliveAcks >= 4 })
            #expect(h.emulator.connections.count == 1, "an idle link with keepalives must stay up")

            let silent = ContinuousClock.now
            h.emulator.setKeepalivesEnabled(false)
            #expect(await h.wait { $0.emulator.connections.count >= 2 })
            let closedAt = try #require(h.emulator.connections[0].closedAt)
            // The last keepalive came at most one interval before the silence began.
            #expect(closedAt - silent >= .milliseconds(250))
            #expect(closedAt - silent < .seconds(3))
            #expect(h.probe.statuses(.disconnected).contains { $0.contains("no message from the reader") && $0.contains("keepalive every 250 ms") })
            h.emulator.setKeepalivesEnabled(true)
            #expect(await h.wait { h in h.emulator.connections.last.map { !$0.closed && $0.keepaliveAcks >= 2 } ?? false })
            await h.stop()
        }

        @Test("a connection dropped mid-report reconnects, and no read sent on the new connection is lost")
        func dropMidReportLosesNothingAfter() async throws {
            let h = try await Harness.start(configure: { $0.reportEveryTags = 4 },
                                            setup: { $0.setStream(.init(readsPerSecond: 2_000, antennas: [1, 2, 3])) })
            #expect(await h.wait { $0.probe.reads.count >= 300 })
            h.emulator.dropConnection(midReport: true)
            #expect(await h.wait { h in
                let accepted = h.emulator.acceptedConnections
                return accepted.count >= 2 && accepted[1].readsSent >= 1_000
            })
            h.emulator.setStream(nil)
            let sent = h.emulator.acceptedConnections.flatMap(\.allSerials)
            #expect(await h.wait { $0.probe.serials.isSuperset(of: sent) }, "missing \(Set(sent).subtracting(h.probe.serials).count) reads")
            #expect(h.emulator.acceptedConnections[1].readsSent >= 1_000)
            #expect(h.reader.statistics.snapshot.malformedFrames == 1, "the half frame at the drop")
            #expect(h.probe.ring.dropped == 0)
            #expect(h.probe.statuses(.disconnected).contains { $0.contains("closed") && $0.contains("bytes into a frame") })
            await h.stop()
        }

        @Test("vendor parameters the decoder does not know are skipped; a truncated report is counted and skipped")
        func vendorParametersAndTruncatedReport() async throws {
            let h = try await Harness.start(setup: { $0.setStream(.init(readsPerSecond: 300)) })
            #expect(await h.wait { $0.probe.reads.count >= 20 })
            let epc = LLRPReaderEmulator.sgtinPrefix + [0xFF, 0xFF, 0x00, 0x01]
            h.emulator.sendVendorParameterReport(epc: epc, antenna: 2, impinjPeakRSSI: -4_321)
            #expect(await h.wait { $0.probe.reads.contains { $0.tag.bytes == epc } })
            let vendorRead = try #require(h.probe.reads.first { $0.tag.bytes == epc })
            #expect(vendorRead.rssi == -4_321)
            #expect(vendorRead.antenna == 2)

            h.emulator.sendTruncatedReport()
            #expect(await h.wait { $0.reader.statistics.snapshot.malformedFrames == 1 })
            let before = h.probe.reads.count
            #expect(await h.wait { $0.probe.reads.count >= before + 30 }, "reads continue after the bad frame")
            #expect(h.emulator.connections.count == 1, "skipping a bad frame needs no reconnect")
            let errors = h.probe.statuses(.error)
            #expect(errors.count == 1)
            #expect(errors.first?.contains("malformed RO_ACCESS_REPORT") == true)
            await h.stop()
        }

        @Test("a corrupt frame header restarts the connection, not the process")
        func corruptHeaderRestarts() async throws {
            let h = try await Harness.start(setup: { $0.setStream(.init(readsPerSecond: 300)) })
            #expect(await h.wait { $0.probe.reads.count >= 20 })
            h.emulator.sendCorruptHeader()
            #expect(await h.waitForSession(2))
            let before = h.probe.reads.count
            #expect(await h.wait { $0.probe.reads.count >= before + 20 })
            #expect(h.reader.statistics.snapshot.malformedFrames == 1)
            #expect(h.probe.statuses(.error).contains { $0.contains("announces 4 bytes") })
            await h.stop()
        }

        @Test("a year-2000 reader clock falls back to host time, reported once; a plausible clock is used again")
        func implausibleClock() async throws {
            let h = try await Harness.start(setup: {
                $0.setClockToYear2000()
                $0.setStream(.init(readsPerSecond: 300))
            })
            #expect(await h.wait { $0.probe.reads.count >= 30 })
            let now = Timestamp.now()
            #expect(h.probe.reads.allSatisfy { abs($0.timestamp.milliseconds(since: now)) < 10_000 })
            #expect(h.reader.statistics.snapshot.clockFallbackReads >= 30)

            h.emulator.dropConnection(midReport: false)
            #expect(await h.waitForSession(2))
            let before = h.probe.reads.count
            #expect(await h.wait { $0.probe.reads.count >= before + 30 })
            let clockReports = h.probe.statuses(.error).filter { $0.contains("clock") }
            #expect(clockReports.count == 1, "reported once across reconnects: \(clockReports)")
            #expect(clockReports.first?.contains("2000-01-01") == true)

            // Two seconds ahead is plausible: the reader's own time stamps the reads again.
            h.emulator.setClockOffset(microseconds: 2_000_000)
            let set = h.probe.reads.count
            #expect(await h.wait { $0.probe.reads.count >= set + 60 })
            let last = try #require(h.probe.reads.last)
            #expect(last.timestamp.milliseconds(since: .now()) > 1_000)
            await h.stop()
        }

        @Test("a reader that refuses DELETE_ROSPEC 0 gets its own ROSpec id deleted instead")
        func deleteAllRefused() async throws {
            let h = try await Harness.start(setup: { $0.setRejectsDeleteAll(true) })
            #expect(await h.waitForSession())
            let connection = try #require(h.emulator.acceptedConnections.first)
            #expect(Array(connection.requests.prefix(7)) == [.getReaderCapabilities, .setReaderConfig, .deleteROSpec, .deleteROSpec,
                                                             .addROSpec, .enableROSpec, .startROSpec])
            #expect(h.probe.statuses(.connected).count == 1)
            await h.stop()
        }

        @Test("with a blocking ring the event loop never waits: reads queue off-loop, nothing is lost, the link stays up")
        func blockingRing() async throws {
            let probe = SinkProbe(capacity: 256, policy: .block)
            // A 100 ms keepalive: the stall below lasts well past the 200 ms the watchdog allows a silent link.
            let h = try await Harness.start(probe: probe, configure: { $0.reportEveryTags = 32; $0.keepalive = .milliseconds(100) },
                                            setup: { $0.setStream(.init(readsPerSecond: nil, limit: 20_000)) })
            // Nobody drains for a while: the ring fills, pushes wait on the thread pool, the socket pauses.
            #expect(await eventually { h.emulator.acceptedConnections.first?.started == true })
            try await Task.sleep(for: .milliseconds(600)) // the stall being tested, not a synchronisation
            #expect(h.probe.ring.count == 256)
            let sent = await eventually(within: .seconds(15)) {
                h.probe.poll()
                return h.emulator.acceptedConnections.first?.readsSent == 20_000 && h.probe.reads.count == 20_000
            }
            #expect(sent, "received \(h.probe.reads.count) of \(h.emulator.acceptedConnections.first?.readsSent ?? 0)")
            #expect(h.probe.serials.count == 20_000)
            #expect(h.probe.ring.dropped == 0)
            #expect(h.emulator.connections.count == 1, "a paused socket is not a dead link")
            await h.stop()
        }

        @Test("cancelling during back-off stops promptly")
        func cancelDuringBackoff() async throws {
            let emulator = try await LLRPReaderEmulator.start()
            let port = emulator.port
            await emulator.shutdown()
            let probe = SinkProbe()
            var config = testConfiguration(port: port)
            config.reconnect = .init(initial: .milliseconds(20), maximum: .seconds(5), jitter: 0)
            let reader = LLRPReader(configuration: config, logger: testLogger("llrp-test"))
            let sink = probe.sink
            let task = Task { try await reader.run(into: sink) }
            #expect(await eventually { reader.statistics.snapshot.connectionAttempts >= 4 })
            let cancelled = ContinuousClock.now
            task.cancel()
            _ = try? await task.value
            #expect(ContinuousClock.now - cancelled < .seconds(5)) // prompt, with room for a loaded machine
            probe.poll()
            let disconnected = probe.statuses(.disconnected)
            #expect(disconnected.first?.contains("cannot connect to 127.0.0.1:\(port)") == true)
            #expect(disconnected.count == 2, "one for the refused connects, one for stopping: \(disconnected)")
        }
    }
}
