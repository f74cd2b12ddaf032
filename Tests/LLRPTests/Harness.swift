import GatewayCore
import Testing
@testable import LLRP
import LLRPEmulator

/// A driver running against an emulator on loopback, with the pipeline's end of its ring.
struct Harness {
    let emulator: LLRPReaderEmulator
    let probe: SinkProbe
    let reader: LLRPReader
    let task: Task<Void, any Error>

    static func start(emulator configuration: LLRPReaderEmulator.Configuration = .init(), probe: SinkProbe = SinkProbe(),
                      configure: (inout LLRPReaderConfig) -> Void = { _ in },
                      setup: (LLRPReaderEmulator) -> Void = { _ in }) async throws -> Harness {
        let emulator = try await LLRPReaderEmulator.start(configuration: configuration)
        setup(emulator)
        var config = testConfiguration(port: emulator.port)
        configure(&config)
        let reader = LLRPReader(configuration: config, logger: testLogger("llrp-test"))
        let sink = probe.sink
        let task = Task { try await reader.run(into: sink) }
        return Harness(emulator: emulator, probe: probe, reader: reader, task: task)
    }

    var endpoint: String { reader.configuration.endpoint }

    /// Polls the probe until `condition` holds or the deadline passes.
    @discardableResult
    func wait(within timeout: Duration = .seconds(5), _ condition: (Harness) -> Bool) async -> Bool {
        await eventually(within: timeout) {
            probe.poll()
            return condition(self)
        }
    }

    /// Waits until the driver is streaming on the `count`-th accepted connection and has said so.
    @discardableResult
    func waitForSession(_ count: Int = 1, within timeout: Duration = .seconds(5)) async -> Bool {
        await wait(within: timeout) { h in
            let accepted = h.emulator.acceptedConnections
            return accepted.count >= count && accepted[count - 1].started && h.probe.statuses(.connected).count >= count
        }
    }

    /// Cancels the driver (graceful shutdown), waits for it, and stops the emulator.
    func stop() async {
        task.cancel()
        _ = try? await task.value
        probe.poll()
        await emulator.shutdown()
    }
}
