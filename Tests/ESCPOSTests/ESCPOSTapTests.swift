import Foundation
import GatewayCore
import Logging
import Synchronization
import Testing
@testable import ESCPOS

/// Collects what the tap pushes into its sink, for assertions with deadlines.
final class TransactionProbe: Sendable {
    let sink: TransactionSink
    private let inbox: ControlInbox
    private let collected = Mutex<(transactions: [PosTransaction], statuses: [SourceStatus])>(([], []))

    init(name: String = "till-tap") {
        let doorbell = Doorbell()
        inbox = ControlInbox(doorbell: doorbell)
        sink = TransactionSink(source: SourceDescriptor(index: 3, name: name, driver: "escpos"),
                               ring: SPSCRing<PosTransaction>(capacity: 1_024, lossless: .block, doorbell: doorbell), inbox: inbox)
    }

    private func pump() {
        let statuses = inbox.take()
        var transactions: [PosTransaction] = []
        _ = sink.ring.drain { transactions.append($0) }
        collected.withLock {
            $0.transactions += transactions
            $0.statuses += statuses
        }
    }

    var transactions: [PosTransaction] {
        pump()
        return collected.withLock { $0.transactions }
    }

    var statuses: [SourceStatus] {
        pump()
        return collected.withLock { $0.statuses }
    }

    func saw(_ state: ReaderStatus.State, containing text: String) -> Bool {
        statuses.contains { $0.state == state && ($0.message ?? "").contains(text) }
    }
}

/// Waits for `condition` until `timeout`, checking every few milliseconds.
func eventually(timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

@Suite("ESC/POS printer tap on ptys", .serialized)
struct ESCPOSTapTests {
    static let logger = Logger(label: "escpos-test")

    static func directory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("escpos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func config(input: String, printer: String?, extra: [String: String] = [:]) throws -> ESCPOSTapConfig {
        var options = ["input": input, "retryInterval": "200ms", "timeZone": "UTC", "store": "s1", "workstation": "till-9"]
        if let printer { options["printer"] = printer }
        options.merge(extra) { $1 }
        return try ESCPOSTapConfig(source: SourceConfig(name: "till-tap", driver: "escpos", kind: .transactions, options: options,
                                                        path: "sources[0]"))
    }

    /// A receipt with styling, a barcode, a raster logo and a QR code between its lines.
    static func receipt(number: Int, items: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = [0x1B, 0x40, 0x1B, 0x61, 0x01, 0x1B, 0x45, 0x01] + Bytes.line("ACME STORE") + [0x1B, 0x45, 0x00, 0x1B, 0x61, 0x00]
        bytes += [0x1D, 0x76, 0x30, 0x00, 4, 0, 3, 0] + [UInt8](repeating: 0x0A, count: 12)
        bytes += Bytes.line("Receipt: \(number)") + Bytes.line("2026-11-23 10:15")
        var total = Decimal(0)
        for (name, amount) in items {
            bytes += Bytes.line("\(name)    \(amount)")
            total += Decimal(string: amount)!
        }
        bytes += [0x1D, 0x6B, 0x02] + Array("4006381333931".utf8) + [0x00]
        bytes += [0x1D, 0x28, 0x6B, 0x08, 0x00, 0x31, 0x50, 0x30] + Array("R-\(number)-XXXXX".utf8).prefix(5)
        bytes += Bytes.line("TOTAL    " + String(format: "%.2f", NSDecimalNumber(decimal: total).doubleValue)) + [0x1B, 0x64, 0x04, 0x1D, 0x56, 0x41, 0x03]
        return bytes
    }

    @Test("POS → pty → tap → pty printer: the printer gets exactly the bytes, the sink gets each receipt as a low-confidence sale")
    func endToEnd() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pos = Pty(link: directory.appendingPathComponent("ttyPOS").path)
        let printer = Pty(link: directory.appendingPathComponent("ttyPRN").path)
        try pos.plug()
        try printer.plug()
        let probe = TransactionProbe()
        let tap = ESCPOSTap(configuration: try Self.config(input: pos.link, printer: printer.link), logger: Self.logger)
        let task = Task { try await tap.run(into: probe.sink) }
        defer { task.cancel() }
        #expect(await eventually { probe.saw(.connected, containing: "ttyPOS") && probe.saw(.connected, containing: "ttyPRN") })

        var sent: [UInt8] = []
        for n in 1...3 {
            let bytes = Self.receipt(number: 1_000 + n, items: [("Milk", "1.25"), ("Bread \(n)", "2.\(n)0")])
            sent += bytes
            // Uneven writes: the tap must not care where reads split.
            pos.write(Array(bytes.prefix(7)))
            pos.write(Array(bytes.dropFirst(7)))
        }
        var printed: [UInt8] = []
        #expect(await eventually {
            printed += printer.readAvailable()
            return printed.count >= sent.count && probe.transactions.count == 3
        })
        #expect(printed == sent)
        let sales = probe.transactions
        #expect(sales.map(\.sequenceNumber) == ["1001", "1002", "1003"])
        #expect(sales.map(\.total) == [Decimal(string: "3.35")!, Decimal(string: "3.45")!, Decimal(string: "3.55")!])
        #expect(sales.allSatisfy { $0.confidence == .low && $0.flags.isEmpty && $0.storeID == "s1" && $0.workstationID == "till-9" })
        #expect(sales[1].lines.map(\.description) == ["Milk", "Bread 2"])
        #expect(tap.statistics.snapshot.bytesPrinted == UInt64(sent.count))
        #expect(tap.statistics.snapshot.parser.unknownCommands == 0)
    }

    @Test("a missing input is reported and retried; when it appears, and after it vanishes and comes back, receipts flow; a file printer gets every byte")
    func reconnect() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pos = Pty(link: directory.appendingPathComponent("ttyPOS").path)
        let printerFile = directory.appendingPathComponent("printer.bin").path
        let probe = TransactionProbe()
        let tap = ESCPOSTap(configuration: try Self.config(input: pos.link, printer: printerFile), logger: Self.logger)
        let task = Task { try await tap.run(into: probe.sink) }
        defer { task.cancel() }
        #expect(await eventually { probe.saw(.error, containing: "ttyPOS not found") })

        try pos.plug()
        #expect(await eventually { probe.saw(.connected, containing: "ttyPOS") })
        let first = Self.receipt(number: 1, items: [("Tea", "1.00")])
        pos.write(first)
        #expect(await eventually { probe.transactions.count == 1 })

        // Half a receipt, then the cable goes: that half is abandoned (counted), not invented into a sale.
        pos.write(Array(Bytes.line("Receipt: 2") + Bytes.line("Coffee 2.00")))
        #expect(await eventually { tap.statistics.snapshot.bytesIn >= UInt64(first.count + 23) })
        pos.unplug()
        #expect(await eventually { probe.saw(.disconnected, containing: "ttyPOS") })
        try pos.plug()
        #expect(await eventually { probe.statuses.filter { $0.state == .connected && ($0.message ?? "").contains("ttyPOS") }.count == 2 })
        let third = Self.receipt(number: 3, items: [("Juice", "3.00")])
        pos.write(third)
        #expect(await eventually { probe.transactions.count == 2 })
        #expect(probe.transactions.map(\.sequenceNumber) == ["1", "3"])
        #expect(tap.statistics.snapshot.abandonedReceipts == 1)
        let expected = first + Bytes.line("Receipt: 2") + Bytes.line("Coffee 2.00") + third
        #expect(await eventually { (try? Data(contentsOf: URL(fileURLWithPath: printerFile))).map(Array.init) == expected })
    }

    @Test("a printer that takes nothing costs printing, not ingestion: its bounded buffer drops (counted, reported) while sales keep coming")
    func stuckPrinter() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pos = Pty(link: directory.appendingPathComponent("ttyPOS").path)
        let printer = Pty(link: directory.appendingPathComponent("ttyPRN").path)
        try pos.plug()
        try printer.plug()
        let probe = TransactionProbe()
        let tap = ESCPOSTap(configuration: try Self.config(input: pos.link, printer: printer.link, extra: ["printerBuffer": "4096"]),
                            logger: Self.logger)
        let task = Task { try await tap.run(into: probe.sink) }
        defer { task.cancel() }
        #expect(await eventually { probe.saw(.connected, containing: "ttyPOS") && probe.saw(.connected, containing: "ttyPRN") })
        // Nobody reads the printer's master: the pty fills, then the tap's buffer, then bytes are dropped.
        let count = 500
        for n in 1...count { pos.write(Self.receipt(number: n, items: [("Item \(n)", "1.00")])) }
        #expect(await eventually { probe.transactions.count == count })
        let stats = tap.statistics.snapshot
        #expect(stats.printerDroppedBytes > 0)
        #expect(stats.bytesPrinted + stats.printerDroppedBytes <= stats.bytesIn)
        #expect(await eventually { probe.saw(.dropping, containing: "bytes not printed") })
    }

    @Test("receiptTimeout ends an uncut receipt after silence; a receipt without a total is counted as not a sale")
    func idleAndNonSale() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pos = Pty(link: directory.appendingPathComponent("ttyPOS").path)
        try pos.plug()
        let probe = TransactionProbe()
        let tap = ESCPOSTap(configuration: try Self.config(input: pos.link, printer: nil, extra: ["receiptTimeout": "300ms"]), logger: Self.logger)
        let task = Task { try await tap.run(into: probe.sink) }
        defer { task.cancel() }
        #expect(await eventually { probe.saw(.connected, containing: "ttyPOS") })
        pos.write(Bytes.line("X REPORT") + Bytes.line("Sales 10.00") + Bytes.cut)
        pos.write(Bytes.line("Receipt: 77") + Bytes.line("Soap  4.00") + Bytes.line("TOTAL 4.00"))
        #expect(await eventually { probe.transactions.count == 1 })
        #expect(probe.transactions.first?.sequenceNumber == "77")
        #expect(tap.statistics.snapshot.nonSales == 1)
    }
}
