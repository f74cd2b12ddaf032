import Foundation
import GatewayCore
import Logging
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@testable import Bus

/// Collects log lines so tests can check what a component reported.
final class LogCapture: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let storage = Mutex<[Line]>([])

    var lines: [Line] { storage.withLock { $0 } }

    /// A logger writing into this capture.
    var logger: Logger {
        Logger(label: "bus-tests") { _ in Handler(capture: self) }
    }

    fileprivate func append(_ line: Line) { storage.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append(Line(level: event.level, message: event.message.description,
                                metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}

/// A logger that discards everything.
let quietLogger = Logger(label: "bus-tests") { _ in SwiftLogNoOpLogHandler() }

/// A fresh, empty directory for one test; removed by `removeTemporaryDirectory`.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "bus-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeTemporaryDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// A TCP port on 127.0.0.1 that was free a moment ago: the kernel picks it for a socket bound to port 0.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BusError(.socket, "socket() failed: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            bind(fd, address, length) == 0 && getsockname(fd, address, &length) == 0
        }
    }
    guard bound else { throw BusError(.socket, "cannot bind a probe socket: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Runs `make` with a fresh loopback endpoint, retrying when another process took the port in between.
func withFreeEndpoint<T>(_ make: (String) throws -> T) throws -> T {
    var lastError: (any Error)?
    for _ in 0..<10 {
        let endpoint = "tcp://127.0.0.1:\(try freeLoopbackPort())"
        do {
            return try make(endpoint)
        } catch let error as BusError where error.code == .bind {
            lastError = error
        }
    }
    throw lastError ?? BusError(.bind, "no free port")
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func waitUntil(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.002)
    }
    return try condition()
}

/// A fixed instant, so encoded timestamps are predictable: 2026-11-23T06:02:48.123Z.
let fixedTime = Timestamp(microseconds: 1_795_413_768_123_000)

/// One payload of every event type, with every optional field filled in.
let everyPayload: [EventPayload] = [
    .presenceEnter(Presence(zone: "entrance", reader: "door", antenna: 1, subject: .customer, token: "tok-1", visit: "v-1",
                            epc: "urn:epc:id:sgtin:0614141.812345.6789", gtin: "00614141123452", product: "Scarf", rssi: -61.5,
                            dwellMs: 1_200, visitEnd: false)),
    .presenceExit(Presence(zone: "floor", reader: "ceiling", antenna: 3, subject: .item, token: "tok-2", visit: "v-2",
                           epc: "urn:epc:id:sgtin:0614141.812345.1", gtin: "00614141123452", product: "Hat", rssi: -70,
                           dwellMs: 45_000, visitEnd: true)),
    .customerArrival(Arrival(token: "tok-3", visit: "v-3", zone: "entrance", reader: "door", firstName: "Ana", tier: "regular")),
    .vipArrival(Arrival(token: "tok-4", visit: "v-4", zone: "entrance", reader: "door", firstName: "Ben", tier: "vip")),
    .posTransaction(EnrichedTransaction(
        source: "pos", key: "S1/T2/2026-11-23/42", posStore: "S1", workstation: "T2", sequenceNumber: "42", businessDay: "2026-11-23",
        endedAt: fixedTime, operatorId: "op-7", currency: "EUR",
        lines: [EnrichedTransaction.Line(number: 1, kind: .sale, gtin: "00614141123452", itemId: "SKU-1", description: "SCARF WOOL",
                                         product: "Scarf", category: "Accessories", quantity: Decimal(string: "1.5")!,
                                         unitPrice: Decimal(string: "19.99")!, amount: Decimal(string: "29.99")!, discount: Decimal(string: "0.01")!)],
        tenders: [PosTransaction.Tender(type: "Cash", amount: Decimal(string: "29.99")!)],
        total: Decimal(string: "29.99")!, tax: Decimal(string: "4.79")!, token: "tok-5")),
    .basketLink(BasketLink(transaction: "S1/T2/2026-11-23/42", zone: "checkout", matched: ["00614141123452"], unmatched: ["00614141999999"])),
    .customerSegment(CustomerSegment(token: "tok-6", segment: "champions", tier: "vip")),
    .customerErased(CustomerErased(token: "tok-7")),
    .readerStatus(ReaderStatus(reader: "door", state: .dropping, message: "ring overflow", reads: 1_000, drops: 3)),
]

/// A small event for load tests; `message` pads it to a chosen size.
func statusPayload(_ index: Int, message: String? = nil) -> EventPayload {
    .readerStatus(ReaderStatus(reader: "r-\(index)", state: .connected, message: message, reads: UInt64(index.magnitude), drops: 0))
}
