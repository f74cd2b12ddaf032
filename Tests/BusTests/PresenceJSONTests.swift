import Foundation
import GatewayCore
import SeededRandom
import Testing

@testable import Bus

/// The hand-written presence JSON against `JSONEncoder`'s, on random presences.
@Suite("PresenceJSON")
struct PresenceJSONTests {
    /// Text with what JSON must escape, what it must not (slashes), and text beyond ASCII.
    static func text(_ random: inout SplitMix64) -> String {
        let pieces = ["a", "Zone 1", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "\u{7F}", "é", "店", "🛒",
                      "\u{2028}", "urn:epc:id:sgtin:0614141.812345.6789", ""]
        return (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    static func presence(_ random: inout SplitMix64) -> Presence {
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &random) ? value() : nil }
        let rssiChoices: [Double] = [-61, -61.5, -0.0, 1e-7, -1.25e300, 5e-324, Double(Int.random(in: -100...0, using: &random)) / 4]
        var presence = Presence(zone: text(&random), reader: text(&random), antenna: Int.random(in: -5...70_000, using: &random),
                                subject: [.customer, .visitor, .item, .tag].randomElement(using: &random)!,
                                token: maybe(text(&random)), visit: maybe(text(&random)), epc: maybe(text(&random)),
                                gtin: maybe(text(&random)), product: maybe(text(&random)), rssi: maybe(rssiChoices.randomElement(using: &random)!),
                                dwellMs: maybe(Int64.random(in: Int64.min...Int64.max, using: &random)), visitEnd: maybe(Bool.random(using: &random)))
        presence.sold = maybe(Bool.random(using: &random))
        return presence
    }

    @Test("random presences: the same JSON object as JSONEncoder's, and decoded back to the same event")
    func sameAsJSONEncoder() throws {
        var random = SplitMix64(seed: 20_261_207)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let codec = EventCodec()
        for round in 0..<3_000 {
            let presence = Self.presence(&random)
            // Up to year 2200, and the epoch itself.
            let micros = round == 0 ? 0 : UInt64.random(in: 0...7_258_118_400_000_000, using: &random)
            let event = GatewayEvent(seq: UInt64.random(in: 1...UInt64.max, using: &random), gateway: Self.text(&random), store: Self.text(&random),
                                     ts: Timestamp(microseconds: micros),
                                     payload: Bool.random(using: &random) ? .presenceEnter(presence) : .presenceExit(presence))
            let ours = try PresenceJSON.body(of: event, presence)
            let theirs = try encoder.encode(event)
            let ourObject = try JSONSerialization.jsonObject(with: Data(ours)) as? NSDictionary
            let theirObject = try JSONSerialization.jsonObject(with: theirs) as? NSDictionary
            #expect(ourObject != nil && ourObject == theirObject, "round \(round): \(String(decoding: ours, as: UTF8.self))")
            let decoded = try codec.decode(topic: event.type.topic, body: ours)
            #expect(decoded == GatewayEvent(seq: event.seq, gateway: event.gateway, store: event.store,
                                            ts: Timestamp(microseconds: micros / 1_000 * 1_000), payload: event.payload), "round \(round)")
            if ourObject != theirObject { return }
        }
    }

    @Test("the fast reader agrees with JSONDecoder: on what both writers produce, and on mutated bodies it reads only what JSONDecoder accepts, as the same event")
    func readerAgreesWithJSONDecoder() throws {
        var random = SplitMix64(seed: 7_331)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let decoder = JSONDecoder()
        var fastReads = 0
        var mutatedFastReads = 0
        for round in 0..<4_000 {
            var presence = Self.presence(&random)
            // Three in four with text as a store writes it, which the fast path reads; the rest with escapes, which it leaves to JSONDecoder.
            if round % 4 != 0 {
                for path in [\Presence.zone, \.reader] { presence[keyPath: path] = presence[keyPath: path].filter { $0.isLetter || $0 == " " } }
                presence.product = presence.product?.filter { $0.isLetter || $0.isNumber }
                (presence.token, presence.visit, presence.epc, presence.gtin) = (nil, nil, "urn:epc:id:sgtin:0614141.812345.\(round)", "00614141123452")
            }
            let event = GatewayEvent(seq: UInt64.random(in: 1...UInt64.max, using: &random), gateway: "gw-\(round)", store: "store",
                                     ts: Timestamp(microseconds: UInt64.random(in: 0...4_102_444_800_000_000, using: &random) / 1_000 * 1_000),
                                     payload: .presenceExit(presence))
            for body in [try PresenceJSON.body(of: event, presence), [UInt8](try encoder.encode(event))] {
                let slow = try decoder.decode(GatewayEvent.self, from: Data(body))
                #expect(slow == event)
                if let fast = PresenceJSON.event(from: body) {
                    fastReads += 1
                    #expect(fast == slow, "round \(round): \(String(decoding: body, as: UTF8.self))")
                }
                // A damaged copy: a byte changed, cut, or text spliced in.
                var mutated = body
                switch Int.random(in: 0..<4, using: &random) {
                case 0: mutated[Int.random(in: 0..<mutated.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                case 1: mutated.removeLast(Int.random(in: 1...mutated.count, using: &random))
                case 2:
                    let splice = [" ", "null", "1", "-", ".5", "e9", "\"", "\\u0041", ",\"x\":[1]", ",\"seq\":2", "tru"].randomElement(using: &random)!
                    mutated.insert(contentsOf: Array(splice.utf8), at: Int.random(in: 0...mutated.count, using: &random))
                default: mutated[Int.random(in: 0..<mutated.count, using: &random)] = Array(" 0-.eE\"\\{}:,tfn".utf8).randomElement(using: &random)!
                }
                if let fast = PresenceJSON.event(from: mutated) {
                    mutatedFastReads += 1
                    let slow = try? decoder.decode(GatewayEvent.self, from: Data(mutated))
                    #expect(slow == fast, "round \(round): read \(String(decoding: mutated, as: UTF8.self)) that JSONDecoder reads as \(String(describing: slow))")
                }
            }
        }
        // Every body as a store writes it takes the fast path; some damaged ones are still valid events (a digit changed).
        #expect(fastReads >= 4_000 * 3 / 2)
        #expect(mutatedFastReads > 0)
    }

    @Test("numbers are spelled exactly as Double.description spells them: every RSSI in hundredths of a dBm, and random doubles")
    func numbersAsDescription() {
        func written(_ value: Double) -> String {
            String(decoding: JSONWriter.bytes(capacity: 32) { $0.number(value) }, as: UTF8.self)
        }
        // Every value a reader's Int16 centi-dBm can give, and hundredths far beyond.
        for hundredths in Int(Int16.min)...Int(Int16.max) {
            let value = Double(hundredths) / 100
            #expect(written(value) == value.description, "\(hundredths) hundredths")
            if written(value) != value.description { return }
        }
        var random = SplitMix64(seed: 42)
        let specials: [Double] = [0, -0.0, 1e-7, 5e-324, 1e13, 9_999_999_999_999.99, 1e15, 1e16, -1.25e300, 0.1 + 0.2, 123_456_789.01]
        let randoms = (0..<20_000).map { i -> Double in
            switch i % 3 {
            case 0: Double(Int64.random(in: -1_000_000_000_000_000...1_000_000_000_000_000, using: &random)) / 100
            case 1: Double.random(in: -1_000...1_000, using: &random)
            default: Double(bitPattern: random.next())
            }
        }
        for value in specials + randoms where value.isFinite {
            #expect(written(value) == value.description, "\(value.bitPattern)")
        }
    }

    @Test("the codec writes presences this way, and a NaN RSSI is a codec error, not a crash")
    func codecUsesItAndRefusesNaN() throws {
        let presence = Presence(zone: "entrance", reader: "door", antenna: 1, subject: .item, epc: "urn:epc:id:sgtin:0614141.812345.6789", rssi: -61)
        let event = GatewayEvent(seq: 7, gateway: "gw", store: "st", ts: Timestamp(microseconds: 1_700_000_000_123_456), payload: .presenceEnter(presence))
        let body = try EventCodec().encode(event).body
        #expect(String(decoding: body, as: UTF8.self) == #"{"v":1,"seq":7,"gateway":"gw","store":"st","type":"presence.enter","ts":"2023-11-14T22:13:20.123Z","zone":"entrance","reader":"door","antenna":1,"subject":"item","epc":"urn:epc:id:sgtin:0614141.812345.6789","rssi":-61.0}"#)
        var bad = presence
        bad.rssi = .nan
        #expect(throws: BusError.self) { try EventCodec().encode(GatewayEvent(seq: 8, gateway: "gw", store: "st", ts: .now(), payload: .presenceExit(bad))) }
    }
}
