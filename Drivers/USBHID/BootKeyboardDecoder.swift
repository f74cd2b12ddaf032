import GatewayCore

/// Turns HID boot-keyboard reports from a keyboard-wedge badge reader into card IDs.
///
/// A report is `[modifiers, reserved, key1…key6]`. A key counts as typed when it appears in a report
/// and was not down in the previous one, so the all-zero release report a reader sends after every key
/// lets the same digit be typed twice in a row. Enter (or keypad Enter, or Tab) ends a card ID.
///
/// Repeats of the same card within `debounce` of its last accepted read are swallowed, so a card held
/// on the reader is still reported once per `debounce` and presence stays alive without flooding.
public struct BootKeyboardDecoder: Sendable {
    /// The longest card ID kept; longer lines are dropped (a stuck key, not a card).
    public static let maxLength = TagID.maxBytes

    /// Letters are stored upper-cased or as typed.
    public var letterCase: USBHIDReaderConfig.LetterCase
    /// The same card is not reported again within this time after a read.
    public var debounce: Duration
    /// Keystrokes further apart than this start a new card ID.
    public var keystrokeTimeout: Duration

    /// Card reads swallowed as repeats within the debounce time.
    public private(set) var suppressedRepeats = 0
    /// Half-typed or over-long IDs that were dropped.
    public private(set) var droppedPartials = 0
    /// Reports ignored because the reader signalled a rollover or other error.
    public private(set) var errorReports = 0

    private var pressed: [UInt8] = []
    private var line: [UInt8] = []
    private var overflowed = false
    private var lastKeystroke: ContinuousClock.Instant?
    private var lastAccepted: [String: ContinuousClock.Instant] = [:]

    /// Creates a decoder.
    public init(debounce: Duration = .seconds(2), letterCase: USBHIDReaderConfig.LetterCase = .upper,
                keystrokeTimeout: Duration = .seconds(1)) {
        self.debounce = debounce
        self.letterCase = letterCase
        self.keystrokeTimeout = keystrokeTimeout
    }

    /// Feeds one interrupt report received at `time`.
    /// - Returns: a card ID when this report completes one that is not a repeat within the debounce time.
    /// - Throws: `USBHIDError.invalidReport` for a report shorter than three bytes (the decoder state is kept).
    public mutating func feed(_ report: some Collection<UInt8>, at time: ContinuousClock.Instant) throws(USBHIDError) -> String? {
        let bytes = Array(report)
        guard bytes.count >= 3 else {
            throw USBHIDError(.invalidReport, "a \(bytes.count)-byte report is not a boot-keyboard report (8 bytes)")
        }
        let modifiers = bytes[0]
        let keys = bytes[2...].filter { $0 != 0 }
        // 0x01–0x03: ErrorRollOver, POSTFail, ErrorUndefined; the report says nothing about which keys are down.
        if keys.contains(where: { $0 <= 0x03 }) {
            errorReports += 1
            return nil
        }
        let newlyPressed = keys.filter { !pressed.contains($0) }
        pressed = Array(keys)
        var completed: String?
        for key in newlyPressed {
            if let card = type(key, shift: modifiers & 0x22 != 0, at: time) { completed = card }
        }
        return completed
    }

    /// Forgets a half-typed ID and the keys held down, e.g. after the reader was unplugged.
    public mutating func reset() {
        if !line.isEmpty { droppedPartials += 1 }
        line.removeAll(keepingCapacity: true)
        pressed.removeAll(keepingCapacity: true)
        overflowed = false
        lastKeystroke = nil
    }

    private mutating func type(_ key: UInt8, shift: Bool, at time: ContinuousClock.Instant) -> String? {
        if let last = lastKeystroke, time - last > keystrokeTimeout, !line.isEmpty || overflowed {
            droppedPartials += 1
            line.removeAll(keepingCapacity: true)
            overflowed = false
        }
        lastKeystroke = time
        switch key {
        case 0x28, 0x58, 0x2B: // Enter, keypad Enter, Tab: readers end an ID with one of them.
            return finishLine(at: time)
        default:
            guard let character = Self.character(for: key, shift: shift, letterCase: letterCase) else { return nil }
            if line.count >= Self.maxLength {
                overflowed = true
            } else {
                line.append(character)
            }
            return nil
        }
    }

    private mutating func finishLine(at time: ContinuousClock.Instant) -> String? {
        defer {
            line.removeAll(keepingCapacity: true)
            overflowed = false
        }
        if overflowed {
            droppedPartials += 1
            return nil
        }
        guard !line.isEmpty else { return nil }
        let card = String(decoding: line, as: UTF8.self)
        if let previous = lastAccepted[card], time - previous < debounce {
            suppressedRepeats += 1
            return nil
        }
        lastAccepted[card] = time
        if lastAccepted.count > 256 {
            // Only entries still inside the debounce window can suppress anything.
            lastAccepted = lastAccepted.filter { time - $0.value < debounce }
        }
        return card
    }

    /// The ASCII character a usage ID types, or `nil` for keys that never belong in a card ID.
    ///
    /// Digits ignore Shift: readers set up for AZERTY layouts hold Shift to type them.
    static func character(for key: UInt8, shift: Bool, letterCase: USBHIDReaderConfig.LetterCase) -> UInt8? {
        switch key {
        case 0x04...0x1D:
            let upper = shift || letterCase == .upper
            return (upper ? UInt8(ascii: "A") : UInt8(ascii: "a")) + (key - 0x04)
        case 0x1E...0x26: return UInt8(ascii: "1") + (key - 0x1E)
        case 0x27: return UInt8(ascii: "0")
        case 0x59...0x61: return UInt8(ascii: "1") + (key - 0x59) // keypad 1–9
        case 0x62: return UInt8(ascii: "0") // keypad 0
        default: return nil
        }
    }
}
