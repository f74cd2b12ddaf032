import Foundation
import Testing
@testable import GatewayCore

@Suite("Tag identifiers and timestamps")
struct TagIDTests {
    @Test("hex round-trips and bit extraction reads big-endian fields")
    func hexAndBits() throws {
        let tag = try #require(TagID(hex: "3074257bf7194e4000001a85"))
        #expect(tag.hex == "3074257BF7194E4000001A85")
        #expect(tag.bitCount == 96)
        #expect(tag.bits(at: 0, count: 8) == 0x30)
        #expect(tag.bits(at: 64, count: 32) == 0x00001A85)
        #expect(tag.bits(at: 60, count: 8) == 0x00)
        #expect(tag.leadingWord == 0x3074257BF7194E40)
    }

    @Test("rejects odd, non-hex and oversized input")
    func rejects() {
        #expect(TagID(hex: "123") == nil)
        #expect(TagID(hex: "zz") == nil)
        #expect(TagID(hex: String(repeating: "00", count: 65)) == nil)
    }

    @Test("card numbers are kept as typed")
    func cards() throws {
        let card = try #require(TagID(cardNumber: "0012345678"))
        #expect(card.text == "0012345678")
        #expect(card != TagID(cardNumber: "0012345679"))
    }

    @Test("timestamps print RFC 3339 UTC with milliseconds and parse back")
    func rfc3339() throws {
        let ts = Timestamp(microseconds: 1_594_174_805_140_192)
        #expect(ts.rfc3339 == "2020-07-08T02:20:05.140Z")
        let parsed = try #require(Timestamp(rfc3339: "2020-07-08T02:20:05.140Z"))
        #expect(parsed.microseconds == 1_594_174_805_140_000)
    }

    @Test("RFC 3339 parsing agrees with Foundation on offsets, fractions and leap days")
    func rfc3339Forms() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        for text in ["2024-02-29T23:59:59Z", "2026-11-23T10:15:02+01:00", "2026-01-01T00:30:00-05:30", "1970-01-01T00:00:00Z"] {
            let expected = try #require(formatter.date(from: text))
            #expect(Timestamp(rfc3339: text)?.microseconds == UInt64(expected.timeIntervalSince1970) * 1_000_000, "\(text)")
        }
        #expect(Timestamp(rfc3339: "2026-11-23T10:15:02.5Z")?.microseconds == 1_795_428_902_500_000)
        #expect(Timestamp(rfc3339: "2026-11-23T10:15:02.123456789Z")?.microseconds == 1_795_428_902_123_456)
    }

    @Test("malformed RFC 3339 is refused, never trapped on", arguments: [
        "", "2026-11-23", "2026-11-23T10:15:02", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-23T24:00:00Z",
        "2026-11-23T10:15:028.1148888Z", "2026-11-23T10:15:02.Z", "2026-11-23T10:15:02.1234567890Z", "2026-11-23T10:15:02+1:00",
        "1969-12-31T23:59:59Z", "2026-11-23T10:15:02Zjunk", "２026-11-23T10:15:02Z",
    ])
    func rfc3339Malformed(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }
}
