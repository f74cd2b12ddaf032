import Foundation
import Testing

/// The driver, unmodified, against badge readers emulated by umockdev (see ``UMockdevHarness``).
@Suite("USB HID reader against emulated devices", .serialized,
       .enabled(if: UMockdevHarness.isAvailable, "needs umockdev and python3-gi (make deps)"))
struct EmulatedBadgeReaderTests {
    static let door = DeviceDescription.Reader(id: "door", port: 1, devnum: 2)
    static let till = DeviceDescription.Reader(id: "till", port: 2, devnum: 3)
    static let connected: [String: String] = ["kind": "status", "state": "connected"]

    /// Ops that show how the interface changed hands.
    static func handOver(_ result: UMockdevHarness.Result, _ device: String) -> [String] {
        result.deviceOps(device).filter { ["detach", "claim", "claim-refused", "release", "attach", "unplugged", "plugged"].contains($0) }
    }

    static func expectPromptStop(_ result: UMockdevHarness.Result) {
        #expect(result.stopped?["complete"] == "true")
        // A stop is noticed within one round of event handling (100 ms), plus 250 ms for a transfer the device
        // does not give back, plus scheduling slack.
        #expect((Int(result.stopped?["cancelMillis"] ?? "") ?? .max) < 1_500)
    }

    @Test("a card typed on the reader becomes a customer.arrival; usbhid is detached, then given back on stop")
    func cardToArrival() async throws {
        let result = try await UMockdevHarness.run(Scenario(
            devices: [Self.door],
            steps: [.await(Self.connected), .reports(device: "door", Keys.type("0004242"))],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["url": "usbhid://08ff:0009"])],
                            customers: [.init(id: "C2", token: "tok-bo", card: "0004242")],
                            stopCards: ["0004242"])))

        #expect(result.cards() == ["0004242"])
        #expect(result.events("read").first?["type"] == "card")
        #expect(result.events("read").first?["antenna"] == "0")
        let arrivals = result.events("event").filter { $0["type"] == "customer.arrival" }
        #expect(arrivals.count == 1)
        #expect(arrivals.first?["token"] == "tok-bo")
        #expect(arrivals.first?["zone"] == "entrance")
        #expect(arrivals.first?["reader"] == "door-badge")
        #expect(result.statuses(of: "door-badge").map { $0["state"] } == ["connected"])
        #expect(result.statuses(of: "door-badge").first?["message"] == "USB reader 08ff:0009 connected at 1-1 (bus 1, address 2)")
        #expect(Self.handOver(result, "door") == ["plugged", "detach", "claim", "release", "attach"])
        Self.expectPromptStop(result)
        // The device list for `gateway doctor`: the root hub and the badge reader, which is a boot keyboard.
        let devices = result.events("device").map { "\($0["id"] ?? "")@\($0["port"] ?? "") bus \($0["bus"] ?? "") address \($0["address"] ?? "") keyboard \($0["keyboard"] ?? "")" }
        #expect(devices.contains("08ff:0009@1-1 bus 1 address 2 keyboard true"))
        #expect(devices.contains { $0.hasPrefix("1d6b:0002@") && $0.hasSuffix("keyboard false") })
    }

    @Test("a reader no kernel driver has bound is claimed without a detach, and nothing is reattached on close")
    func noKernelDriver() async throws {
        var door = Self.door
        door.kernelDriver = false
        let result = try await UMockdevHarness.run(Scenario(
            devices: [door],
            steps: [.await(Self.connected), .reports(device: "door", Keys.type("3330001"))],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009"])],
                            stopCards: ["3330001"])))

        #expect(result.cards() == ["3330001"])
        #expect(Self.handOver(result, "door") == ["plugged", "claim", "release"])
        Self.expectPromptStop(result)
    }

    @Test("two readers on two ports, each with its own zone and source")
    func twoReaders() async throws {
        let result = try await UMockdevHarness.run(Scenario(
            devices: [Self.door, Self.till],
            steps: [
                .await(Self.connected.merging(["count": "2"]) { $1 }),
                .reports(device: "door", Keys.type("1111") + Keys.type("9001")),
                .reports(device: "till", Keys.type("2222") + Keys.type("9002")),
            ],
            plan: ChildPlan(readers: [
                .init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009", "port": "1-1"]),
                .init(name: "till-badge", zone: "checkout", options: ["url": "usbhid://08ff:0009?port=1-2"]),
            ], customers: [
                .init(id: "C1", token: "tok-ada", card: "1111"),
                .init(id: "C2", token: "tok-bo", card: "2222"),
            ], stopCards: ["9001", "9002"])))

        #expect(result.cards(from: "door-badge") == ["1111", "9001"])
        #expect(result.cards(from: "till-badge") == ["2222", "9002"])
        let arrivals = result.events("event").filter { $0["type"] == "customer.arrival" }
            .map { "\($0["token"] ?? "")@\($0["zone"] ?? "")/\($0["reader"] ?? "")" }
        #expect(Set(arrivals) == ["tok-ada@entrance/door-badge", "tok-bo@checkout/till-badge"])
        #expect(Self.handOver(result, "door") == ["plugged", "detach", "claim", "release", "attach"])
        #expect(Self.handOver(result, "till") == ["plugged", "detach", "claim", "release", "attach"])
        Self.expectPromptStop(result)
    }

    @Test("identical readers without a selector each take a free one; a serial number pins one down")
    func identicalReaders() async throws {
        var left = Self.door, right = Self.till
        left.serial = "SN-LEFT"
        right.serial = "SN-RIGHT"
        let result = try await UMockdevHarness.run(Scenario(
            devices: [left, right],
            steps: [
                .await(Self.connected.merging(["count": "2"]) { $1 }),
                .reports(device: "door", Keys.type("9001")),
                .reports(device: "till", Keys.type("9002")),
            ],
            plan: ChildPlan(readers: [
                .init(name: "pinned", zone: "entrance", options: ["device": "08ff:0009", "serial": "SN-RIGHT"]),
                .init(name: "any", zone: "floor", options: ["device": "08ff:0009"]),
            ], stopCards: ["9001", "9002"])))

        // "pinned" sits on the right-hand reader whatever the order; "any" gets the one left over.
        #expect(result.cards(from: "pinned") == ["9002"])
        #expect(result.cards(from: "any") == ["9001"])
        #expect(result.statuses(of: "pinned").map { $0["state"] } == ["connected"])
        #expect(result.statuses(of: "any").map { $0["state"] } == ["connected"])
        Self.expectPromptStop(result)
    }

    @Test("Shift, hex letters, AZERTY-style shifted digits and repeated keys decode into one credential")
    func shiftAndHexLetters() async throws {
        let shiftDown = "0200000000000000"
        var reports: [String] = []
        reports += Keys.tap(0x27) + Keys.tap(0x27) // 0 0: the same key twice, released in between
        reports += Keys.tap(0x04) // a
        reports += Keys.tap(0x1E, modifiers: 0x02) // Shift+1 is still 1
        reports += [shiftDown] + Keys.tap(0x05, modifiers: 0x02) // Shift pressed alone first, then B
        reports += Keys.tap(0x1F) // 2
        reports += Keys.tap(0x06, modifiers: 0x20) // right Shift + c
        reports += Keys.tap(0x20) + Keys.tap(0x07) + Keys.tap(0x21) // 3 d 4
        reports += Keys.tap(0x28) // Enter
        let result = try await UMockdevHarness.run(Scenario(
            devices: [Self.door],
            steps: [.await(Self.connected), .reports(device: "door", reports)],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009"])],
                            customers: [.init(id: "C7", token: "tok-hex", card: "00A1B2C3D4")],
                            stopCards: ["00A1B2C3D4"])))

        #expect(result.cards() == ["00A1B2C3D4"])
        #expect(result.events("event").filter { $0["type"] == "customer.arrival" }.map { $0["token"] } == ["tok-hex"])
        Self.expectPromptStop(result)
    }

    @Test("no card for a while: transfers time out, the reader stays connected and reads nothing, then reads the next card")
    func readTimeout() async throws {
        let result = try await UMockdevHarness.run(Scenario(
            devices: [Self.door],
            steps: [.await(Self.connected), .idle(1.6), .reports(device: "door", Keys.type("5550001"))],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009"])],
                            stopCards: ["5550001"])))

        #expect(result.cards() == ["5550001"])
        #expect(result.statuses(of: "door-badge").map { $0["state"] } == ["connected"])
        // The idle 1.6 s spans at least two 500 ms transfer timeouts, each a discarded URB.
        #expect(result.deviceOps("door").filter { $0 == "timeout" }.count >= 2)
        Self.expectPromptStop(result)
    }

    @Test("repeats of a card within the debounce time are ignored; after it the card counts again")
    func debounce() async throws {
        let result = try await UMockdevHarness.run(Scenario(
            devices: [Self.door],
            steps: [
                .await(Self.connected),
                .reports(device: "door", Keys.type("4242") + Keys.type("4242")),
                .idle(1.5),
                .reports(device: "door", Keys.type("4242") + Keys.type("9999")),
            ],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009", "debounce": "1s"])],
                            stopCards: ["9999"])))

        #expect(result.cards() == ["4242", "4242", "9999"])
        Self.expectPromptStop(result)
    }

    @Test("unplugged: reported as disconnected, found again when plugged back, and reads on")
    func unplugAndReplug() async throws {
        let result = try await UMockdevHarness.run(Scenario(
            devices: [Self.door],
            steps: [
                .await(Self.connected),
                .reports(device: "door", Keys.type("7770001")),
                .await(["kind": "read", "card": "7770001"]),
                .unplug("door"),
                .await(["kind": "status", "state": "disconnected"]),
                .idle(0.5), // a person takes a moment to plug it back
                .plug("door"),
                .await(Self.connected.merging(["count": "2"]) { $1 }),
                .reports(device: "door", Keys.type("7770002")),
            ],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009", "retryInterval": "300ms"])],
                            stopCards: ["7770002"])))

        #expect(result.cards() == ["7770001", "7770002"])
        let statuses = result.statuses(of: "door-badge")
        // Gone and back: no "not found" in between, however many rescans it took.
        #expect(statuses.map { $0["state"] } == ["connected", "disconnected", "connected"])
        #expect(statuses.dropFirst().first?["message"] == "USB reader 08ff:0009 unplugged from 1-1; retrying every 300ms")
        #expect(Self.handOver(result, "door") == ["plugged", "detach", "claim", "unplugged", "plugged", "detach", "claim", "release", "attach"])
        Self.expectPromptStop(result)
    }

    @Test("unplugged while the kernel loses the pending transfer: the departure still ends the read, and the reader is found again")
    func unplugLosingTransfers() async throws {
        let result = try await UMockdevHarness.run(Scenario(
            devices: [Self.door],
            steps: [
                .await(Self.connected),
                .reports(device: "door", Keys.type("7770001")),
                .await(["kind": "read", "card": "7770001"]),
                // The transfer in flight is never completed: a synchronous libusb read waits for it for ever.
                .unplug("door", losingTransfers: true),
                .await(["kind": "status", "state": "disconnected"]),
                .plug("door"),
                .await(Self.connected.merging(["count": "2"]) { $1 }),
                .reports(device: "door", Keys.type("7770002")),
            ],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009", "retryInterval": "300ms"])],
                            stopCards: ["7770002"], deadlineSeconds: 15)))

        #expect(result.cards() == ["7770001", "7770002"])
        #expect(result.statuses(of: "door-badge").map { $0["state"] } == ["connected", "disconnected", "connected"])
        #expect(result.deviceLog.first { $0["op"] == "unplugged" }?["givenBack"] == "0")
        Self.expectPromptStop(result)
    }

    @Test("a wedged endpoint that never gives its transfer back, not even when cancelled: the reader is reopened and reads on")
    func wedgedEndpoint() async throws {
        let result = try await UMockdevHarness.run(Scenario(
            devices: [Self.door],
            steps: [
                .await(Self.connected),
                .wedge("door"),
                .await(["kind": "status", "state": "error"]),
                .await(Self.connected.merging(["count": "2"]) { $1 }),
                .reports(device: "door", Keys.type("4440001")),
            ],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009", "retryInterval": "200ms"])],
                            stopCards: ["4440001"], deadlineSeconds: 15)))

        #expect(result.cards() == ["4440001"])
        let statuses = result.statuses(of: "door-badge")
        #expect(statuses.map { $0["state"] } == ["connected", "error", "connected"])
        #expect(statuses.dropFirst().first?["message"] == "USB reader 08ff:0009 at 1-1 stopped answering; reopening, retrying every 200ms")
        // The idle transfer was cancelled, the cancellation ignored, and the interface handed back before the reopen.
        #expect(Self.handOver(result, "door") == ["plugged", "detach", "claim", "release", "attach", "detach", "claim", "release", "attach"])
        #expect(result.deviceOps("door").contains("discard-ignored"))
        Self.expectPromptStop(result)
    }

    @Test("stopping while the transfer is wedged does not wait for it: the stop is prompt and the interface is handed back")
    func stopWhileWedged() async throws {
        let result = try await UMockdevHarness.run(Scenario(
            devices: [Self.door],
            steps: [.await(Self.connected), .wedge("door"), .awaitDevice("door", op: "discard-ignored"), .stopChild],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009"])], stopCards: [])))

        #expect(result.statuses(of: "door-badge").map { $0["state"] } == ["connected"])
        #expect(Self.handOver(result, "door") == ["plugged", "detach", "claim", "release", "attach"])
        #expect(result.deviceOps("door").contains("discard-ignored"))
        Self.expectPromptStop(result)
    }

    @Test("a reader plugged in after start is picked up through hotplug, long before the next retry")
    func hotplugArrival() async throws {
        var door = Self.door
        door.present = false
        let result = try await UMockdevHarness.run(Scenario(
            devices: [door],
            steps: [
                .await(["kind": "status", "state": "error"]),
                .plug("door"),
                .await(Self.connected),
                .reports(device: "door", Keys.type("6660001")),
            ],
            // The next retry is a minute away, past the child's deadline: only the arrival event finds the reader in time.
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009", "retryInterval": "60s"])],
                            stopCards: ["6660001"], deadlineSeconds: 15)))

        #expect(result.statuses(of: "door-badge").map { $0["state"] } == ["error", "connected"])
        #expect(result.cards() == ["6660001"])
        Self.expectPromptStop(result)
    }

    @Test("missing at start: one error however many retries, then connected once it is plugged in")
    func missingAtStart() async throws {
        var door = Self.door
        door.present = false
        let result = try await UMockdevHarness.run(Scenario(
            devices: [door],
            steps: [
                .await(["kind": "status", "state": "error"]),
                .idle(1.0), // five more retries at 200 ms
                .plug("door"),
                .await(Self.connected),
                .reports(device: "door", Keys.type("8880001")),
            ],
            plan: ChildPlan(readers: [.init(name: "door-badge", zone: "entrance", options: ["device": "08ff:0009", "retryInterval": "200ms"])],
                            stopCards: ["8880001"])))

        let statuses = result.statuses(of: "door-badge")
        #expect(statuses.map { $0["state"] } == ["error", "connected"])
        #expect(statuses.first?["message"] == "USB reader 08ff:0009 not found; retrying every 200ms")
        #expect(result.cards() == ["8880001"])
        Self.expectPromptStop(result)
    }
}
