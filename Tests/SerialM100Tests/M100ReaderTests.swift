import Foundation
import GatewayCore
import Logging
import Synchronization
import Testing
@testable import SerialM100

/// Collects what a driver pushes into its sink, for assertions with deadlines.
final class SinkProbe: Sendable {
    let sink: ReadSink
    private let inbox: ControlInbox
    private let collected = Mutex<(reads: [TagRead], statuses: [SourceStatus])>(([], []))

    init(name: String = "uhf") {
        let doorbell = Doorbell()
        inbox = ControlInbox(doorbell: doorbell)
        sink = ReadSink(source: SourceDescriptor(index: 4, name: name, driver: "m100", defaultZone: "entrance"),
                        ring: SPSCRing<TagRead>(capacity: 4_096, policy: .block, doorbell: doorbell), inbox: inbox)
    }

    private func pump() {
        let statuses = inbox.take()
        var reads: [TagRead] = []
        _ = sink.ring.drain { reads.append($0) }
        collected.withLock {
            $0.reads += reads
            $0.statuses += statuses
        }
    }

    var reads: [TagRead] {
        pump()
        return collected.withLock { $0.reads }
    }

    var statuses: [SourceStatus] {
        pump()
        return collected.withLock { $0.statuses }
    }

    var states: [ReaderStatus.State] { statuses.map(\.state) }
}

/// Waits for `condition` until `timeout`, checking every few milliseconds.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

@Suite("M100 reader on an emulated serial port", .serialized)
struct M100ReaderTests {
    /// A fresh directory per test for the device link.
    static func link() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("m100-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("ttyUSB0").path
    }

    static func epc(_ n: Int) -> [UInt8] {
        // Bytes a cooked tty would mangle (CR, LF, XON, XOFF, ^C, DEL) prove the port is raw.
        [0xE2, 0x80, 0x0D, 0x0A, 0x11, 0x13, 0x03, 0x7F, 0xBB, 0x7E, UInt8(n >> 8), UInt8(n & 0xFF)]
    }

    static func rssi(_ n: Int) -> Int8 { Int8(-40 - n % 30) }

    static let logger = Logger(label: "m100-test")

    /// Runs the reader as the gateway does (`run(into:)` in a task), on ``DedicatedExecutor`` so it starts at once
    /// however busy the global pool is.
    static func start(_ config: M100ReaderConfig, into probe: SinkProbe) -> Task<Void, any Error> {
        Task(executorPreference: DedicatedExecutor.shared) {
            try await M100Reader(configuration: config, logger: logger).run(into: probe.sink)
        }
    }

    @Test("tags at a set rate, with error frames (no tag, and another code), garbage and a truncated frame between them, all arrive; stop-polling on shutdown")
    func streamAndStop() async throws {
        let path = try Self.link()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let emulator = M100Emulator(link: path)
        var chunks: [M100Emulator.Chunk] = []
        for n in 0..<60 {
            chunks.append(.bytes(noticeBytes(epc: Self.epc(n), rssi: Self.rssi(n))))
            switch n % 10 {
            case 3: chunks.append(.bytes(bytes("BB01FF000115167E"))) // no tag this round
            case 5: chunks.append(.bytes([0x00, 0xFF, 0x42, 0xBB, 0x13, 0x7E])) // line noise, a stray header among it
            case 7: chunks.append(.bytes(Array(noticeBytes(epc: Self.epc(9_999)).prefix(11)))) // cut off mid-frame
            case 8: chunks.append(.bytes(bytes("BB01FF0001090A7E"))) // another error code: logged once, polling goes on
            default: break
            }
            chunks.append(.pause(milliseconds: 5)) // 200 tags a second
        }
        emulator.onStart(chunks)
        try emulator.plug()
        defer { emulator.unplug() }

        let probe = SinkProbe()
        let config = M100ReaderConfig(path: path, baud: 115_200, pollingRounds: 10_000, retryInterval: .milliseconds(200), antenna: 3,
                                      restartAfterSilence: .seconds(30))
        let task = Self.start(config, into: probe)
        #expect(await eventually { probe.reads.count >= 60 })

        let reads = probe.reads
        #expect(reads.map(\.tag.bytes) == (0..<60).map(Self.epc))
        let expectedRSSI: [Int16] = (0..<60).map { Int16(Self.rssi($0)) * 100 }
        #expect(reads.map(\.rssi) == expectedRSSI)
        #expect(reads.allSatisfy { read in
            let placed = read.antenna == 3 && read.source == 4
            return read.kind == .epc && placed && read.tag.bitCount == 96
        })
        #expect(probe.states == [.connected])
        #expect(probe.statuses.first?.message == "serial reader \(path) connected at 115200 baud")
        #expect(emulator.observed.withLock { $0.pollingRounds } == [10_000])

        let cancelled = ContinuousClock.now
        task.cancel()
        _ = await task.result
        #expect(await eventually { emulator.observed.withLock { $0.stopCommands } == 1 })
        // Timed on the emulator's thread, which sees the stop-polling command the driver sends on its way out:
        // within one read timeout (250 ms) plus scheduling slack, whatever the global pool is doing.
        let stopped = try #require(emulator.observed.withLock { $0.firstStop })
        #expect(stopped - cancelled < .seconds(2))
        #expect(probe.reads.count == 60)
    }

    @Test("a reader still polling before the port is opened (its bytes meet the pty's cooked defaults: echo, ^C, XON/XOFF) leaves nothing behind once the driver has the port raw")
    func streamingBeforeOpen() async throws {
        let path = try Self.link()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let emulator = M100Emulator(link: path)
        emulator.onStart((100..<110).map { .bytes(noticeBytes(epc: Self.epc($0))) })
        try emulator.plug()
        defer { emulator.unplug() }
        // Software flow control left on by an earlier user of the port, which cfmakeraw alone would keep.
        emulator.addPortInputFlags(tcflag_t(IXOFF | IXANY))
        // Nobody has the port open: a cooked line discipline takes these, and each EPC ends its output with XOFF.
        emulator.sendUnsolicited((0..<20).map { .bytes(noticeBytes(epc: Self.epc($0))) })
        #expect(await eventually { emulator.observed.withLock { $0.unsolicitedSent } == 1 })
        // The port really was cooked when they arrived: canonical, echoing, with signals and XON/XOFF.
        let cooked = emulator.portSettings()
        #expect(cooked.c_lflag & tcflag_t(ICANON | ECHO | ISIG) == tcflag_t(ICANON | ECHO | ISIG))
        #expect(cooked.c_iflag & tcflag_t(IXON) == tcflag_t(IXON))

        let probe = SinkProbe()
        let config = M100ReaderConfig(path: path, baud: 57_600, retryInterval: .milliseconds(200), restartAfterSilence: .seconds(30))
        let task = Self.start(config, into: probe)
        // The driver's start command gets through (raw mode ends the XOFF), and every frame after it arrives;
        // what came before it was listening is stale and flushed at open.
        #expect(await eventually { probe.reads.count >= 10 })
        #expect(probe.reads.map(\.tag.bytes) == (100..<110).map(Self.epc))
        #expect(probe.states == [.connected])
        #expect(emulator.observed.withLock { $0.startCommands } == 1)
        var raw = emulator.portSettings()
        #expect(raw.c_lflag & tcflag_t(ICANON | ECHO | ISIG | IEXTEN) == 0)
        #expect(raw.c_iflag & tcflag_t(IXON | IXOFF | IXANY | ICRNL | INLCR | IGNCR | ISTRIP) == 0)
        #expect(raw.c_oflag & tcflag_t(OPOST) == 0)
        // 8N1 at the configured speed, no hardware flow control, modem lines ignored.
        let line: tcflag_t = tcflag_t(CSIZE) | tcflag_t(PARENB) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS) | tcflag_t(CLOCAL) | tcflag_t(CREAD)
        let eightN1: tcflag_t = tcflag_t(CS8) | tcflag_t(CLOCAL) | tcflag_t(CREAD)
        #expect(raw.c_cflag & line == eightN1)
        #expect(cfgetispeed(&raw) == speed_t(B57600) && cfgetospeed(&raw) == speed_t(B57600))
        task.cancel()
        _ = await task.result
        #expect(await eventually { emulator.observed.withLock { $0.stopCommands } == 1 })
    }

    @Test("the port vanishing is reported as disconnected; when it comes back, polling starts again")
    func closeAndReopen() async throws {
        let path = try Self.link()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let emulator = M100Emulator(link: path)
        emulator.onStart((0..<5).map { .bytes(noticeBytes(epc: Self.epc($0))) })
        emulator.onStart((5..<10).map { .bytes(noticeBytes(epc: Self.epc($0))) })
        try emulator.plug()

        let probe = SinkProbe()
        let config = M100ReaderConfig(path: path, retryInterval: .milliseconds(200), restartAfterSilence: .seconds(30))
        let task = Self.start(config, into: probe)
        #expect(await eventually { probe.reads.count == 5 })

        emulator.unplug()
        #expect(await eventually { probe.states == [.connected, .disconnected] })
        #expect(probe.statuses.last?.message?.hasPrefix("serial reader \(path) disconnected (") == true)
        #expect(probe.statuses.last?.message?.hasSuffix("; retrying every 200ms") == true)

        try emulator.plug()
        defer { emulator.unplug() }
        #expect(await eventually { probe.reads.count == 10 })
        #expect(probe.reads.map(\.tag.bytes) == (0..<10).map(Self.epc))
        // Gone and back: no "not found" noise in between, however many retries it took.
        #expect(probe.states == [.connected, .disconnected, .connected])
        #expect(emulator.observed.withLock { $0.startCommands } == 2)

        task.cancel()
        _ = await task.result
        #expect(await eventually { emulator.observed.withLock { $0.stopCommands } == 1 })
    }

    @Test("silence restarts polling: the reader's rounds ran out")
    func restartAfterSilence() async throws {
        let path = try Self.link()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let emulator = M100Emulator(link: path)
        emulator.onStart([.bytes(noticeBytes(epc: Self.epc(1)))])
        emulator.onStart([.bytes(noticeBytes(epc: Self.epc(2)))])
        try emulator.plug()
        defer { emulator.unplug() }

        let probe = SinkProbe()
        let config = M100ReaderConfig(path: path, pollingRounds: 3, restartAfterSilence: .milliseconds(300))
        let task = Self.start(config, into: probe)
        #expect(await eventually { probe.reads.count == 2 })
        #expect(emulator.observed.withLock { $0.pollingRounds.prefix(2) } == [3, 3])
        task.cancel()
        _ = await task.result
    }

    @Test("a missing port is reported once, however many retries, and used as soon as it appears")
    func missingAtStart() async throws {
        let path = try Self.link()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let probe = SinkProbe()
        let config = M100ReaderConfig(path: path, retryInterval: .milliseconds(100), restartAfterSilence: .seconds(30))
        let task = Self.start(config, into: probe)
        #expect(await eventually { probe.states == [.error] })
        #expect(probe.statuses.first?.message == "serial reader \(path) not found; retrying every 100ms")
        try await Task.sleep(for: .milliseconds(600)) // the device stays away through several retries

        let emulator = M100Emulator(link: path)
        emulator.onStart([.bytes(noticeBytes(epc: Self.epc(7)))])
        try emulator.plug()
        defer { emulator.unplug() }
        #expect(await eventually { probe.reads.count == 1 })
        #expect(probe.states == [.error, .connected])
        task.cancel()
        _ = await task.result
    }

    @Test("a path that is not a serial port is an error, not a crash")
    func notATTY() async throws {
        let path = try Self.link()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let probe = SinkProbe()
        let config = M100ReaderConfig(path: path, retryInterval: .milliseconds(100))
        let task = Self.start(config, into: probe)
        #expect(await eventually { probe.states == [.error] })
        #expect(probe.statuses.first?.message?.contains("is not a serial port") == true)
        task.cancel()
        _ = await task.result
        #expect(probe.states == [.error])
    }
}
