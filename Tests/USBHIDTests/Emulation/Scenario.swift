import Foundation

/// What the emulated readers do, step by step; each step waits for its condition before the next.
struct Scenario {
    /// One step of the emulated hardware.
    enum Step {
        /// Queue interrupt reports on a reader; done when the driver has read them all.
        case reports(device: String, [String])
        /// Deliver nothing for this long (the driver's transfers time out meanwhile).
        case idle(Double)
        /// Wait until the child has logged an event with these fields (`count` times).
        case await([String: String])
        /// Wait until the emulated reader `device` has logged `op` (see ``UMockdevHarness/Result/deviceLog``).
        case awaitDevice(String, op: String)
        /// Plug a reader in.
        case plug(String)
        /// Pull a reader out. The kernel gives every pending URB back on a disconnect; `losingTransfers`
        /// models one that does not, so the driver's transfer is never completed.
        case unplug(String, losingTransfers: Bool = false)
        /// The reader's endpoint wedges for the files open on it now: their URBs are neither completed
        /// nor given back, even when discarded. A file opened afterwards works again.
        case wedge(String)
        /// Ask the child to stop now, whatever it has read.
        case stopChild

        var json: [String: Any] {
            switch self {
            case .reports(let device, let reports): ["device": device, "reports": reports]
            case .idle(let seconds): ["idle": seconds]
            case .await(let fields): ["await": fields]
            case .awaitDevice(let device, let op): ["awaitDevice": device, "op": op]
            case .plug(let device): ["plug": device]
            case .unplug(let device, let losing): ["unplug": device, "lose": losing]
            case .wedge(let device): ["wedge": device]
            case .stopChild: ["stopChild": true]
            }
        }
    }

    var devices: [DeviceDescription.Reader]
    var steps: [Step]
    var plan: ChildPlan
}

/// What the child test process runs: the readers, the store's customers, and when to stop.
struct ChildPlan: Codable {
    /// One configured source.
    struct Reader: Codable {
        var name: String
        var zone: String
        var options: [String: String]
    }

    /// One customer of the directory, identified by a card.
    struct Customer: Codable {
        var id: String
        var token: String
        var card: String
    }

    var readers: [Reader]
    var customers: [Customer] = []
    /// The child stops once it has read every one of these cards (or when the scenario tells it to).
    var stopCards: [String]
    /// The child gives up after this long.
    var deadlineSeconds: Double = 25
    /// Where the child writes its event lines; set by the harness.
    var output = ""
    /// The file whose appearance tells the child to stop; set by the harness.
    var stopFile = ""

    static let environmentKey = "USBHID_EMULATION_PLAN"

    /// The plan this process was started with, when it is the harness's child.
    static var current: ChildPlan? {
        guard let path = ProcessInfo.processInfo.environment[environmentKey],
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ChildPlan.self, from: data)
    }
}

/// Report bytes as a reader sends them.
enum Keys {
    static let release = "0000000000000000"

    /// A key press report followed by the all-zero release report.
    static func tap(_ usage: UInt8, modifiers: UInt8 = 0) -> [String] {
        [hex(modifiers) + "00" + hex(usage) + "0000000000", release]
    }

    /// The reports that type `text` (digits and letters; upper-case letters with left Shift) and Enter.
    static func type(_ text: String, shift: UInt8 = 0x02) -> [String] {
        var reports: [String] = []
        for character in text.unicodeScalars {
            switch character {
            case "1"..."9": reports += tap(UInt8(0x1E + character.value - 0x31))
            case "0": reports += tap(0x27)
            case "a"..."z": reports += tap(UInt8(0x04 + character.value - 0x61))
            case "A"..."Z": reports += tap(UInt8(0x04 + character.value - 0x41), modifiers: shift)
            default: preconditionFailure("no key for \(character)")
            }
        }
        return reports + tap(0x28)
    }

    private static func hex(_ value: UInt8) -> String {
        let text = String(value, radix: 16)
        return text.count == 1 ? "0" + text : text
    }
}
