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
}
