import Testing
@testable import USBHID

@Suite("Boot-keyboard decoder")
struct BootKeyboardDecoderTests {
    static let release: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]

    static func press(_ usages: UInt8..., modifiers: UInt8 = 0) -> [UInt8] {
        var report: [UInt8] = [modifiers, 0, 0, 0, 0, 0, 0, 0]
        for (slot, usage) in usages.enumerated() { report[2 + slot] = usage }
        return report
    }

    /// Types `usages` one key at a time, each followed by the release report, then Enter.
    static func type(_ usages: [UInt8], modifiers: UInt8 = 0) -> [[UInt8]] {
        usages.flatMap { [press($0, modifiers: modifiers), release] } + [press(0x28), release]
    }

    /// Feeds reports 10 ms apart from `start`; returns the card IDs completed.
    static func feed(_ decoder: inout BootKeyboardDecoder, _ reports: [[UInt8]], from start: ContinuousClock.Instant,
                     spacing: Duration = .milliseconds(10)) throws -> [String] {
        var cards: [String] = []
        for (i, report) in reports.enumerated() {
            if let card = try decoder.feed(report, at: start + spacing * i) { cards.append(card) }
        }
        return cards
    }

    static let digits: [UInt8] = [0x27, 0x27, 0x27, 0x21, 0x1F, 0x21, 0x1F] // 0004242

    @Test("digits then Enter make a card ID; every key is followed by a release")
    func digitsAndEnter() throws {
        var decoder = BootKeyboardDecoder()
        #expect(try Self.feed(&decoder, Self.type(Self.digits), from: .now) == ["0004242"])
    }

    @Test("keypad digits and keypad Enter work too; Tab also ends an ID")
    func keypad() throws {
        var decoder = BootKeyboardDecoder()
        let keypad: [[UInt8]] = [Self.press(0x59), Self.release, Self.press(0x62), Self.release, Self.press(0x61), Self.release,
                                 Self.press(0x58), Self.release]
        #expect(try Self.feed(&decoder, keypad, from: .now) == ["109"])
        let tab: [[UInt8]] = [Self.press(0x1E), Self.release, Self.press(0x2B), Self.release]
        #expect(try Self.feed(&decoder, tab, from: .now + .seconds(5)) == ["1"])
    }

    @Test("Shift (left 0x02 or right 0x20) upper-cases letters; upper is the default, preserve keeps what was typed")
    func shiftAndCase() throws {
        // a, Shift+b, c (right Shift), d
        let reports: [[UInt8]] = [Self.press(0x04), Self.release, Self.press(0x05, modifiers: 0x02), Self.release,
                                  Self.press(0x06, modifiers: 0x20), Self.release, Self.press(0x07), Self.release, Self.press(0x28), Self.release]
        var preserve = BootKeyboardDecoder(letterCase: .preserve)
        #expect(try Self.feed(&preserve, reports, from: .now) == ["aBCd"])
        var upper = BootKeyboardDecoder()
        #expect(try Self.feed(&upper, reports, from: .now) == ["ABCD"])
    }

    @Test("shifted digits are still digits (AZERTY readers hold Shift for them)")
    func shiftedDigits() throws {
        var decoder = BootKeyboardDecoder()
        #expect(try Self.feed(&decoder, Self.type([0x1E, 0x1F, 0x27], modifiers: 0x02), from: .now) == ["120"])
    }

    @Test("a key held across reports counts once; a new key in the same report counts")
    func rollover() throws {
        var decoder = BootKeyboardDecoder()
        let reports: [[UInt8]] = [Self.press(0x1E), Self.press(0x1E), Self.press(0x1E, 0x1F), Self.press(0x1F), Self.release,
                                  Self.press(0x28), Self.release]
        #expect(try Self.feed(&decoder, reports, from: .now) == ["12"])
    }

    @Test("a rollover error report is ignored; keys and symbols that never belong in an ID are dropped")
    func errorsAndSymbols() throws {
        var decoder = BootKeyboardDecoder()
        let reports: [[UInt8]] = [Self.press(0x1E), Self.release, Self.press(0x01, 0x01, 0x01), Self.release,
                                  Self.press(0x2C), Self.release, Self.press(0x2D), Self.release, // space, minus
                                  Self.press(0x1F), Self.release, Self.press(0x28), Self.release]
        #expect(try Self.feed(&decoder, reports, from: .now) == ["12"])
        #expect(decoder.errorReports == 1)
    }

    @Test("the same card within the debounce time is swallowed; after it, it counts again; other cards are not held up")
    func debounce() throws {
        var decoder = BootKeyboardDecoder(debounce: .seconds(2))
        let start = ContinuousClock.now
        let card = Self.type(Self.digits)
        let other = Self.type([0x1E])
        #expect(try Self.feed(&decoder, card, from: start) == ["0004242"])
        #expect(try Self.feed(&decoder, card, from: start + .seconds(1)) == [])
        #expect(try Self.feed(&decoder, other, from: start + .milliseconds(1_500)) == ["1"])
        #expect(try Self.feed(&decoder, card, from: start + .milliseconds(2_500)) == ["0004242"])
        #expect(decoder.suppressedRepeats == 1)
    }

    @Test("a half-typed ID older than the keystroke timeout is dropped, not glued to the next one")
    func keystrokeTimeout() throws {
        var decoder = BootKeyboardDecoder(keystrokeTimeout: .milliseconds(500))
        let start = ContinuousClock.now
        let partial: [[UInt8]] = [Self.press(0x1E), Self.release, Self.press(0x1F), Self.release]
        #expect(try Self.feed(&decoder, partial, from: start) == [])
        #expect(try Self.feed(&decoder, Self.type([0x20]), from: start + .seconds(2)) == ["3"])
        #expect(decoder.droppedPartials == 1)
    }

    @Test("an empty line is no card; an over-long line is dropped whole")
    func emptyAndOverlong() throws {
        var decoder = BootKeyboardDecoder()
        #expect(try Self.feed(&decoder, [Self.press(0x28), Self.release], from: .now) == [])
        let long = Self.type([UInt8](repeating: 0x1E, count: BootKeyboardDecoder.maxLength + 1).enumerated().map { $0.offset % 2 == 0 ? 0x1E : 0x1F })
        #expect(try Self.feed(&decoder, long, from: .now + .seconds(10), spacing: .milliseconds(1)) == [])
        #expect(try Self.feed(&decoder, Self.type([0x1E]), from: .now + .seconds(20)) == ["1"])
    }

    @Test("a report shorter than three bytes is rejected; a short report with keys is still read")
    func malformedReports() throws {
        var decoder = BootKeyboardDecoder()
        #expect(throws: USBHIDError.self) { try decoder.feed([0x00], at: .now) }
        #expect(try decoder.feed([0x00, 0x00, 0x1E], at: .now) == nil)
        #expect(try decoder.feed([0x00, 0x00, 0x00], at: .now) == nil)
        #expect(try decoder.feed([0x00, 0x00, 0x28], at: .now) == "1")
    }
}
