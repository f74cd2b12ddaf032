import Foundation
import Testing
import GatewayCore
import Logging
import Synchronization
@testable import LLRP

/// Bytes from hex (whitespace ignored); traps on bad input, which only tests write.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace }.utf8)
    precondition(digits.count % 2 == 0, "odd hex length")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not hex")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }.joined()
}

/// A logger that prints nothing unless `LLRP_TEST_LOG` is set, so failing runs can be replayed verbosely.
func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["LLRP_TEST_LOG"] == nil ? .critical : .debug
    return logger
}

/// Waits for a condition, checking every few milliseconds, until a deadline.
/// - Returns: whether the condition became true in time.
@discardableResult
func eventually(within timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(5))
    }
}

/// The pipeline's end of a source for tests: a ring, an inbox, and what came out of them.
///
/// Only the test task calls `poll()`, so it is the ring's single consumer.
final class SinkProbe: @unchecked Sendable {
    let doorbell = Doorbell()
    let inbox: ControlInbox
    let ring: SPSCRing<TagRead>
    let sink: ReadSink
    private(set) var reads: [TagRead] = []
    private(set) var statuses: [SourceStatus] = []

    init(capacity: Int = 1 << 18, policy: OverflowPolicy = .dropNewest, index: UInt16 = 3, name: String = "llrp-test",
         antennaZones: [UInt16: String] = [:]) {
        inbox = ControlInbox(doorbell: doorbell)
        ring = SPSCRing<TagRead>(capacity: capacity, policy: policy, doorbell: doorbell)
        sink = ReadSink(source: SourceDescriptor(index: index, name: name, driver: "llrp", antennaZones: antennaZones), ring: ring, inbox: inbox)
    }

    /// Moves everything the driver delivered so far into `reads` and `statuses`.
    func poll() {
        while ring.drain({ reads.append($0) }) > 0 {}
        statuses.append(contentsOf: inbox.take())
    }

    /// The serial (low 32 bits) of each EPC-96 read, for the emulator's sequential tags.
    var serials: Set<UInt32> {
        Set(reads.filter { $0.tag.bitCount == 96 }.map { UInt32(truncatingIfNeeded: $0.tag.bits(at: 64, count: 32)) })
    }

    func statuses(_ state: ReaderStatus.State) -> [String] {
        statuses.filter { $0.state == state }.map { $0.message ?? "" }
    }
}

/// Reader settings for loopback tests: short keepalives, timeouts and back-off, no jitter.
func testConfiguration(port: Int, keepalive: Duration = .milliseconds(500), reportEveryTags: Int = 1) -> LLRPReaderConfig {
    LLRPReaderConfig(host: "127.0.0.1", port: port, keepalive: keepalive, reportEveryTags: reportEveryTags, antennas: [0], roSpecID: 7,
                     reconnect: .init(initial: .milliseconds(50), maximum: .milliseconds(400), jitter: 0),
                     connectTimeout: .seconds(1), responseTimeout: .seconds(1), closeTimeout: .milliseconds(500))
}

/// Every LLRP suite, run one test at a time: the session tests assert on timing (back-off,
/// keepalive silence) and the throughput and codec tests would otherwise steal the machine's two cores.
@Suite("LLRP", .serialized)
enum LLRPTests {}
