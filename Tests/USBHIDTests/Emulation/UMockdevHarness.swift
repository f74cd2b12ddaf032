import Foundation
import Testing

/// Runs a scenario: the emulator (Python, umockdev) starts this test binary again as a child,
/// filtered to ``EmulatedReaderChild``, under the testbed, and both log what happened.
///
/// The test process itself cannot be preloaded after it started, hence the child; the child runs
/// the driver unmodified against libusb, which umockdev feeds through the usbdevfs ioctls.
enum UMockdevHarness {
    /// What a run left behind.
    struct Result {
        /// The child's event lines: reads, statuses, pipeline events, and its stop.
        var events: [[String: String]]
        /// The emulator's log: claims, detaches, reports delivered, timeouts, plug and unplug.
        var deviceLog: [[String: String]]
        /// The child's console output, for failure messages.
        var childOutput: String

        func events(_ kind: String) -> [[String: String]] { events.filter { $0["kind"] == kind } }
        func cards(from reader: String? = nil) -> [String] {
            events("read").filter { reader == nil || $0["reader"] == reader }.compactMap { $0["card"] }
        }
        func statuses(of reader: String) -> [[String: String]] { events("status").filter { $0["reader"] == reader } }
        func deviceOps(_ device: String) -> [String] { deviceLog.filter { $0["device"] == device }.compactMap { $0["op"] } }
        var exit: [String: String]? { deviceLog.last { $0["op"] == "exit" } }
        var stopped: [String: String]? { events("stopped").last }
    }

    static let python = "/usr/bin/python3"
    static let preload = "libumockdev-preload.so.0"

    /// Whether umockdev's Python bindings are installed (`make deps` installs them).
    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: python) && canImportUMockdev
    }

    private static let canImportUMockdev: Bool = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import gi; gi.require_version('UMockdev', '1.0'); from gi.repository import UMockdev"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    static func run(_ scenario: Scenario, timeout: Double = 45) async throws -> Result {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("usbhid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        // USBHID_KEEP_WORK=1 keeps the emulator's and the child's logs for a post-mortem.
        let keep = ProcessInfo.processInfo.environment["USBHID_KEEP_WORK"] != nil
        defer { if keep { print("usbhid work directory: \(work.path)") } else { try? FileManager.default.removeItem(at: work) } }
        let file = { (name: String) in work.appendingPathComponent(name).path }

        var plan = scenario.plan
        plan.output = file("child-events.jsonl")
        plan.stopFile = file("child-stop")
        try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: file("plan.json")))
        try Data(EmulatorScript.source.utf8).write(to: URL(fileURLWithPath: file("emulator.py")))
        guard FileManager.default.createFile(atPath: plan.output, contents: nil) else { throw CocoaError(.fileWriteUnknown) }

        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let devices: [[String: Any]] = scenario.devices.map { device in
            var spec: [String: Any] = [
                "id": device.id, "description": device.description, "devnode": device.devnode, "syspath": device.syspath,
                "interfaceSyspath": device.interfaceSyspath, "kernelDriver": device.kernelDriver, "present": device.present,
            ]
            if let serial = device.serial { spec["serial"] = serial }
            return spec
        }
        let description: [String: Any] = [
            "hub": DeviceDescription.hub,
            "devices": devices,
            "steps": scenario.steps.map(\.json),
            "child": [executable, "--testing-library", "swift-testing", "--filter", "EmulatedReaderChild"],
            "childEnvironment": [ChildPlan.environmentKey: file("plan.json"), "LD_PRELOAD": preload],
            "childEvents": plan.output,
            "childStopFile": plan.stopFile,
            "childOutput": file("child-output.txt"),
            "deviceLog": file("device-log.jsonl"),
            "timeout": timeout,
        ]
        try JSONSerialization.data(withJSONObject: description).write(to: URL(fileURLWithPath: file("scenario.json")))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [file("emulator.py"), file("scenario.json")]
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = preload
        environment.removeValue(forKey: "UMOCKDEV_DIR")
        process.environment = environment
        let emulatorOutput = Pipe()
        process.standardOutput = emulatorOutput
        process.standardError = emulatorOutput
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let emulatorText = String(decoding: emulatorOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let result = Result(events: lines(file("child-events.jsonl")), deviceLog: lines(file("device-log.jsonl")),
                            childOutput: (try? String(contentsOfFile: file("child-output.txt"), encoding: .utf8)) ?? "")
        let exit = result.exit
        let finished = process.terminationStatus == 0 && exit?["code"] == "0" && exit?["step"] == exit?["steps"]
        if !finished {
            Issue.record("""
            emulation did not finish: emulator status \(process.terminationStatus), exit \(exit ?? [:])
            emulator: \(emulatorText)
            device log: \(result.deviceLog.suffix(20))
            child events: \(result.events)
            child output: \(result.childOutput.suffix(4_000))
            """)
        }
        return result
    }

    private static func lines(_ path: String) -> [[String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
    }
}
