import Testing
@testable import SerialM100

@Suite("M100 streaming decoder")
struct M100FrameDecoderTests {
    static let a = noticeBytes(epc: bytes("E28011606000020000000001"))
    static let b = noticeBytes(epc: bytes("E28011606000020000000002"))
    static let noTag = bytes("BB01FF000115167E")

    static func decode(_ chunks: [[UInt8]]) -> (frames: [M100Frame], decoder: M100FrameDecoder) {
        var decoder = M100FrameDecoder()
        var frames: [M100Frame] = []
        for chunk in chunks {
            decoder.append(chunk)
            while let frame = decoder.next() { frames.append(frame) }
        }
        return (frames, decoder)
    }

    @Test("frames split across reads, even byte by byte, come out whole")
    func split() throws {
        let stream = Self.a + Self.noTag + Self.b
        let (frames, decoder) = Self.decode(stream.map { [$0] })
        #expect(frames.map(\.encoded) == [Self.a, Self.noTag, Self.b])
        #expect(decoder.discardedBytes == 0)
        #expect(decoder.pendingBytes == 0)
    }

    @Test("garbage before, between and after frames is skipped, and counted")
    func garbage() {
        let junk: [UInt8] = [0x00, 0xFF, 0x7E, 0x13]
        let (frames, decoder) = Self.decode([junk + Self.a + junk + junk + Self.b + junk])
        #expect(frames.map(\.encoded) == [Self.a, Self.b])
        #expect(decoder.discardedBytes == junk.count * 4)
    }

    @Test("one corrupted byte costs only the frame it hit")
    func corruptedByte() {
        var damaged = Self.a
        damaged[10] ^= 0x40
        let (frames, decoder) = Self.decode([damaged + Self.b + Self.noTag])
        #expect(frames.map(\.encoded) == [Self.b, Self.noTag])
        #expect(decoder.rejectedFrames >= 1)
    }

    @Test("a truncated frame does not hold back the valid frame behind it")
    func truncatedThenValid() {
        // The cut-off frame's length field promises 24 bytes; the next frame is delivered as soon as it is complete.
        let (frames, _) = Self.decode([Array(Self.a.prefix(9)), Self.b])
        #expect(frames.map(\.encoded) == [Self.b])
    }

    @Test("a stray 0xBB with a huge length does not swallow the frames after it")
    func falseHeader() {
        let stray: [UInt8] = [0xBB, 0x02, 0x22, 0x03, 0xFF, 0x01] // claims 1023 payload bytes
        let (frames, _) = Self.decode([stray + Self.a, Self.noTag])
        #expect(frames.map(\.encoded) == [Self.a, Self.noTag])
    }

    @Test("0xBB and 0x7E inside a payload are data, not framing")
    func framingBytesInPayload() throws {
        let tricky = noticeBytes(epc: bytes("BB7EBB7E0000BB00007E0000"))
        let (frames, decoder) = Self.decode([tricky + Self.a])
        #expect(frames.map(\.encoded) == [tricky, Self.a])
        #expect(decoder.discardedBytes == 0)
    }

    @Test("an incomplete frame waits for the rest")
    func waits() {
        var decoder = M100FrameDecoder()
        decoder.append(Self.a.prefix(20))
        #expect(decoder.next() == nil)
        #expect(decoder.pendingBytes == 20)
        decoder.append(Self.a.dropFirst(20))
        #expect(decoder.next()?.encoded == Self.a)
    }

    @Test("reset drops what was pending")
    func reset() {
        var decoder = M100FrameDecoder()
        decoder.append(Self.a.prefix(10))
        decoder.reset()
        decoder.append(Self.b)
        #expect(decoder.next()?.encoded == Self.b)
        #expect(decoder.discardedBytes == 10)
    }
}
