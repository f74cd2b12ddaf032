import Foundation
import GatewayCore
import Logging
import Matching
import Synchronization
import Testing
import USBHID

/// The child half of the umockdev tests: runs only when ``UMockdevHarness`` starts this binary under
/// the testbed, and is skipped in a normal test run.
///
/// It wires the readers the plan names exactly as the gateway does (config → driver → ring →
/// pipeline runner → store pipeline with a customer directory) and logs every read, status and
/// event to the plan's output file, where the emulator and the parent test read them.
@Suite("USB HID emulation child")
struct EmulatedReaderChild {
    @Test("runs the readers under the umockdev testbed (skipped outside the harness)", .enabled(if: ChildPlan.current != nil))
    func child() async throws {
        let plan = try #require(ChildPlan.current)
        let log = try EventLog(path: plan.output)
        var logger = Logger(label: "usbhid-emulation")
        logger.logLevel = .debug
        let doorbell = Doorbell()
        let inbox = ControlInbox(doorbell: doorbell)
        var descriptors: [SourceDescriptor] = []
        var sinks: [ReadSink] = []
        var readers: [USBHIDReader] = []
        for (index, reader) in plan.readers.enumerated() {
            let source = SourceConfig(name: reader.name, driver: "usbhid", zone: reader.zone, options: reader.options, path: "sources[\(index)]")
            let descriptor = SourceDescriptor(index: UInt16(index), name: reader.name, driver: "usbhid", defaultZone: reader.zone)
            descriptors.append(descriptor)
            sinks.append(ReadSink(source: descriptor, ring: SPSCRing<TagRead>(capacity: 1_024, policy: .dropOldest, doorbell: doorbell), inbox: inbox))
            readers.append(USBHIDReader(configuration: try USBHIDReaderConfig(source: source), logger: logger))
        }
        let names = Dictionary(uniqueKeysWithValues: descriptors.map { ($0.index, $0.name) })
        let directory = Directory(customers: plan.customers.map {
            Directory.Customer(id: $0.id, token: $0.token, firstName: "Card", tier: "regular", recognitionConsent: true, credentials: [$0.card])
        }, products: [])
        let pipeline = StorePipeline(configuration: MatchingConfig(), layout: StoreLayoutConfig(), sources: descriptors, directory: directory,
                                     sink: LoggingEventSink(log: log), logger: logger)
        let runner = PipelineRunner(readSinks: sinks, transactionSinks: [], doorbell: doorbell, inbox: inbox,
                                    processor: TeeProcessor(pipeline: pipeline, log: log, names: names), logger: logger)
        runner.start()
        // What `gateway doctor` would list, seen through the same testbed.
        for device in (try? USBDeviceList.devices()) ?? [] {
            log.write(["kind": "device", "id": device.deviceID, "port": device.port, "bus": "\(device.bus)",
                       "address": "\(device.address)", "keyboard": "\(device.isHIDKeyboard)"])
        }
        let tasks = zip(readers, sinks).map { reader, sink in Task { try await reader.run(into: sink) } }

        let complete = await log.wait(forCards: Set(plan.stopCards), orFile: plan.stopFile, timeout: plan.deadlineSeconds)
        let cancelled = ContinuousClock.now
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.result }
        let latency = ContinuousClock.now - cancelled
        await runner.stop()
        log.write(["kind": "stopped", "cancelMillis": "\(latency.milliseconds)", "complete": "\(complete)"])
        #expect(complete)
    }
}

/// Appends JSON lines to the plan's output file from any thread, and remembers the cards read.
final class EventLog: Sendable {
    private let state: Mutex<(handle: FileHandle, cards: Set<String>)>

    init(path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
        handle.seekToEndOfFile()
        state = Mutex((handle, []))
    }

    func write(_ fields: [String: String]) {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        state.withLock { state in
            if fields["kind"] == "read", let card = fields["card"] { state.cards.insert(card) }
            state.handle.write(data + Data("\n".utf8))
        }
    }

    /// Waits until every card in `cards` was read or `stopFile` exists, or the deadline passes.
    func wait(forCards cards: Set<String>, orFile stopFile: String, timeout: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1_000))
        let done = {
            self.state.withLock { !cards.isEmpty && cards.isSubset(of: $0.cards) } || FileManager.default.fileExists(atPath: stopFile)
        }
        while ContinuousClock.now < deadline {
            if done() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return done()
    }
}

/// Logs each read and status, then hands it to the store pipeline.
final class TeeProcessor: PipelineProcessor, @unchecked Sendable {
    private let pipeline: StorePipeline
    private let log: EventLog
    private let names: [UInt16: String]

    init(pipeline: StorePipeline, log: EventLog, names: [UInt16: String]) {
        self.pipeline = pipeline
        self.log = log
        self.names = names
    }

    func process(read: TagRead) {
        log.write(["kind": "read", "reader": names[read.source] ?? "?", "card": read.tag.text, "type": read.kind == .card ? "card" : "epc",
                   "antenna": "\(read.antenna)"])
        pipeline.process(read: read)
    }

    func process(transaction: PosTransaction, from source: UInt16) { pipeline.process(transaction: transaction, from: source) }

    func process(status: SourceStatus) {
        log.write(["kind": "status", "reader": names[status.source] ?? "?", "state": status.state.rawValue, "message": status.message ?? ""])
        pipeline.process(status: status)
    }

    func tick(now: Timestamp) { pipeline.tick(now: now) }
    func flush() { pipeline.flush() }
    func finish() { pipeline.finish() }
}

/// Logs the customer-facing events the pipeline emits.
final class LoggingEventSink: EventSink {
    private let log: EventLog

    init(log: EventLog) { self.log = log }

    func emit(_ payload: EventPayload, at ts: Timestamp) {
        switch payload {
        case .customerArrival(let arrival):
            log.write(["kind": "event", "type": payload.type.rawValue, "token": arrival.token, "reader": arrival.reader, "zone": arrival.zone])
        case .presenceEnter(let presence):
            log.write(["kind": "event", "type": payload.type.rawValue, "reader": presence.reader, "zone": presence.zone,
                       "subject": presence.subject.rawValue])
        default:
            break
        }
    }

    func flush() {}
    func close() {}
}
