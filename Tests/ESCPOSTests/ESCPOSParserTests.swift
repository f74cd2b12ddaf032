import Testing
@testable import ESCPOS

/// Byte-building shorthands for ESC/POS streams.
enum Bytes {
    static let esc: UInt8 = 0x1B, gs: UInt8 = 0x1D, fs: UInt8 = 0x1C, dle: UInt8 = 0x10
    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }
    static func line(_ string: String) -> [UInt8] { text(string) + [0x0A] }
    static let cut: [UInt8] = [gs, 0x56, 0x00]
}

/// Feeds a whole stream and returns the receipts plus the parser for its counters.
func parse(_ bytes: [UInt8], _ parser: ESCPOSParser = ESCPOSParser()) -> ([ESCPOSReceipt], ESCPOSParser) {
    var parser = parser
    let receipts = parser.feed(bytes)
    return (receipts, parser)
}

@Suite("ESC/POS parser")
struct ESCPOSParserTests {
    /// Every command in the table, with parameter bytes that would read as text ('A' = 0x41, LF) if they leaked.
    static let commands: [(String, [UInt8])] = {
        let e = Bytes.esc, g = Bytes.gs, f = Bytes.fs, d = Bytes.dle
        return [
            ("ESC @", [e, 0x40]), ("ESC !", [e, 0x21, 0x41]), ("ESC E", [e, 0x45, 0x01]), ("ESC G", [e, 0x47, 0x41]),
            ("ESC -", [e, 0x2D, 0x41]), ("ESC a", [e, 0x61, 0x41]), ("ESC t 0", [e, 0x74, 0x00]), ("ESC R", [e, 0x52, 0x41]),
            ("ESC 2", [e, 0x32]), ("ESC 3", [e, 0x33, 0x0A]), ("ESC SP", [e, 0x20, 0x41]), ("ESC $", [e, 0x24, 0x41, 0x0A]),
            ("ESC \\", [e, 0x5C, 0x41, 0x41]), ("ESC M", [e, 0x4D, 0x41]), ("ESC U", [e, 0x55, 0x41]), ("ESC V", [e, 0x56, 0x41]),
            ("ESC {", [e, 0x7B, 0x41]), ("ESC r", [e, 0x72, 0x41]), ("ESC c 5", [e, 0x63, 0x35, 0x41]), ("ESC B", [e, 0x42, 0x41, 0x41]),
            ("ESC p", [e, 0x70, 0x00, 0x41, 0x0A]), ("ESC W", [e, 0x57] + [UInt8](repeating: 0x41, count: 8)),
            ("ESC = ", [e, 0x3D, 0x41]), ("ESC %", [e, 0x25, 0x41]), ("ESC ?", [e, 0x3F, 0x41]), ("ESC u", [e, 0x75, 0x41]),
            ("ESC *", [e, 0x2A, 33, 2, 0] + [UInt8](repeating: 0x41, count: 6)),
            ("ESC * 8-dot", [e, 0x2A, 0, 3, 0, 0x41, 0x0A, 0x41]),
            ("ESC & ", [e, 0x26, 2, 0x41, 0x42, 2, 0x41, 0x0A, 0x41, 0x41, 1, 0x41, 0x0A]),
            ("ESC ( A", [e, 0x28, 0x41, 3, 0, 0x41, 0x0A, 0x41]),
            ("GS !", [g, 0x21, 0x11]), ("GS B", [g, 0x42, 0x41]), ("GS H", [g, 0x48, 0x41]), ("GS f", [g, 0x66, 0x41]),
            ("GS h", [g, 0x68, 0x41]), ("GS w", [g, 0x77, 0x41]), ("GS a", [g, 0x61, 0x41]), ("GS r", [g, 0x72, 0x41]),
            ("GS I", [g, 0x49, 0x41]), ("GS b", [g, 0x62, 0x41]), ("GS /", [g, 0x2F, 0x41]), ("GS L", [g, 0x4C, 0x41, 0x0A]),
            ("GS W", [g, 0x57, 0x41, 0x41]), ("GS P", [g, 0x50, 0x41, 0x41]), ("GS $", [g, 0x24, 0x41, 0x41]),
            ("GS \\", [g, 0x5C, 0x41, 0x41]), ("GS ^", [g, 0x5E, 0x41, 0x41, 0x41]), ("GS :", [g, 0x3A]),
            ("GS g", [g, 0x67, 0x30, 0x41, 0x41, 0x41]),
            ("GS v 0", [g, 0x76, 0x30, 0x00, 2, 0, 3, 0] + [UInt8](repeating: 0x0A, count: 6)),
            ("GS ( k", [g, 0x28, 0x6B, 7, 0, 0x31, 0x50, 0x30, 0x41, 0x0A, 0x41, 0x41]),
            ("GS ( L", [g, 0x28, 0x4C, 2, 0, 0x30, 0x32]),
            ("GS 8 L", [g, 0x38, 0x4C, 3, 0, 0, 0, 0x41, 0x0A, 0x41]),
            ("GS *", [g, 0x2A, 1, 1] + [UInt8](repeating: 0x41, count: 8)),
            ("GS k form A", [g, 0x6B, 0x02] + Array("4006381333931".utf8) + [0]),
            ("GS k form B", [g, 0x6B, 0x49, 5] + Array("{B\n12".utf8)),
            ("FS p", [f, 0x70, 0x01, 0x41]), ("FS !", [f, 0x21, 0x41]), ("FS &", [f, 0x26]), ("FS .", [f, 0x2E]),
            ("FS -", [f, 0x2D, 0x41]), ("FS C", [f, 0x43, 0x41]), ("FS S", [f, 0x53, 0x41, 0x41]), ("FS W", [f, 0x57, 0x41]),
            ("FS 2", [f, 0x32, 0x41, 0x41] + [UInt8](repeating: 0x41, count: 72)),
            ("FS ( A", [f, 0x28, 0x41, 2, 0, 0x41, 0x41]),
            ("FS q", [f, 0x71, 2, 1, 0, 1, 0] + [UInt8](repeating: 0x41, count: 8) + [1, 0, 2, 0] + [UInt8](repeating: 0x0A, count: 16)),
            ("DLE EOT", [d, 0x04, 0x01]), ("DLE EOT 7", [d, 0x04, 0x07, 0x41]), ("DLE ENQ", [d, 0x05, 0x41]),
            ("DLE DC4 1", [d, 0x14, 1, 0x41, 0x41]), ("DLE DC4 8", [d, 0x14, 8] + [UInt8](repeating: 0x41, count: 7)),
        ]
    }()

    @Test("every command in the table is skipped with exactly its parameters: the text around it comes back unchanged",
          arguments: commands.map(\.0))
    func commandShapes(name: String) {
        let command = Self.commands.first { $0.0 == name }!.1
        let stream = Bytes.line("before") + Bytes.text("mid") + command + Bytes.line("dle") + Bytes.line("after") + Bytes.cut
        let (receipts, parser) = parse(stream)
        // ESC @ clears the unprinted "mid" from the buffer; every other command leaves it.
        let expected = name == "ESC @" ? ["before", "dle", "after"] : ["before", "middle", "after"]
        #expect(receipts == [ESCPOSReceipt(lines: expected, end: .cut)], "\(name)")
        #expect(parser.counters.unknownCommands == 0, "\(name)")
    }

    @Test("the cut forms each end a receipt: GS V m, GS V m n, ESC i, ESC m")
    func cuts() {
        let cuts: [[UInt8]] = [[Bytes.gs, 0x56, 0x00], [Bytes.gs, 0x56, 0x31], [Bytes.gs, 0x56, 0x41, 0x0A], [Bytes.gs, 0x56, 0x42, 0x41],
                               [Bytes.gs, 0x56, 0x61, 0x41], [Bytes.esc, 0x69], [Bytes.esc, 0x6D]]
        var stream: [UInt8] = []
        for (n, cut) in cuts.enumerated() { stream += Bytes.line("receipt \(n)") + cut }
        let (receipts, parser) = parse(stream + Bytes.line("pending"))
        #expect(receipts.map(\.lines) == (0..<cuts.count).map { ["receipt \($0)"] })
        #expect(parser.counters.receipts == UInt64(cuts.count))
        #expect(parser.hasPendingText)
    }

    @Test("a raster image, an 8-dot bit image and a QR code full of LF, ESC and GS bytes are skipped by their declared lengths")
    func payloadsSkipped() {
        let noisy: [UInt8] = [0x0A, 0x1B, 0x1D, 0x56, 0x00, 0x41, 0x0D]
        let raster = [Bytes.gs, 0x76, 0x30, 0x00, 7, 0, 4, 0] + Array((0..<4).map { _ in noisy }.joined())
        let qrData = [UInt8](repeating: 0, count: 0) + noisy + noisy
        let qr = [Bytes.gs, 0x28, 0x6B, UInt8(qrData.count + 3), 0, 0x31, 0x50, 0x30] + qrData
        let (receipts, parser) = parse(Bytes.line("A") + raster + Bytes.line("B") + qr + Bytes.line("C") + Bytes.cut)
        #expect(receipts.map(\.lines) == [["A", "B", "C"]])
        #expect(parser.counters.skippedPayloadBytes == UInt64(28 + qrData.count + 3))
    }

    @Test("byte by byte and in random chunks, the same stream gives the same receipts")
    func chunkBoundaries() {
        var stream: [UInt8] = []
        for (n, (_, command)) in Self.commands.enumerated() {
            stream += Bytes.line("item \(n)  1.00") + command
            if n % 9 == 8 { stream += Bytes.line("TOTAL 9.00") + [Bytes.esc, 0x64, 3] + Bytes.cut }
        }
        stream += Bytes.cut
        let (whole, _) = parse(stream)
        #expect(whole.count == (Self.commands.count + 8) / 9)
        var single = ESCPOSParser()
        var oneByOne: [ESCPOSReceipt] = []
        for byte in stream { oneByOne += single.feed([byte]) }
        #expect(oneByOne == whole)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var parser = ESCPOSParser()
            var chunked: [ESCPOSReceipt] = []
            var index = 0
            while index < stream.count {
                let size = Int.random(in: 1...64, using: &generator)
                chunked += parser.feed(stream[index..<min(stream.count, index + size)])
                index += size
            }
            #expect(chunked == whole)
        }
    }

    @Test("ESC t selects CP437, CP850, CP858 and CP1252; ESC @ goes back to the configured page; an unknown page is counted")
    func codePages() {
        let stream = Bytes.text("Caf") + [0x82, 0x20, 0x9C] + Bytes.line("1")            // cp437: é, £
            + [Bytes.esc, 0x74, 19] + Bytes.text("Euro ") + [0xD5] + [0x0A]              // cp858: €
            + [Bytes.esc, 0x74, 16] + Bytes.text("Euro ") + [0x80, 0x20, 0xE9] + [0x0A] // cp1252: € é
            + [Bytes.esc, 0x74, 2] + [0xD5, 0x0A]                                        // cp850: ı
            + [Bytes.esc, 0x74, 99] + [0xD5, 0x0A]                                       // unknown: stays cp850
            + [Bytes.esc, 0x74, 15] + [0xA4, 0x0A]                                       // ISO 8859-7, as python-escpos picks for €
            + [Bytes.esc, 0x40] + [0x81, 0x0A]                                           // reset: cp437 ü
            + Bytes.cut
        let (receipts, parser) = parse(stream)
        #expect(receipts.first?.lines == ["Café £1", "Euro €", "Euro € é", "ı", "ı", "€", "ü"])
        #expect(parser.counters.unsupportedCodePages == 1)
        let (started1252, _) = parse([0x80, 0x0A] + Bytes.cut, ESCPOSParser(codePage: .cp1252))
        #expect(started1252.first?.lines == ["€"])
        #expect(ESCPOSCodePage.named("WPC1252") == .cp1252 && ESCPOSCodePage.named("ISO_8859-15") == .iso8859_15)
    }

    @Test("CR LF, LF, CR and ESC d end lines once each; tabs stay; trailing blanks and blank lines go")
    func lineEnds() {
        let stream = Bytes.text("a\r\nb\nc\rd") + [Bytes.esc, 0x64, 2] + Bytes.text("e\tf   \n\n\n   \ng") + [Bytes.esc, 0x4A, 10] + Bytes.cut
        let (receipts, _) = parse(stream)
        #expect(receipts.first?.lines == ["a", "b", "c", "d", "e\tf", "g"])
    }

    @Test("an unknown command is counted and skipped; a stray ESC before a line end or a cut does not swallow them")
    func unknownCommands() {
        let stream = Bytes.text("a") + [Bytes.esc, 0x01] + Bytes.line("b") + Bytes.text("c") + [Bytes.esc] + Bytes.line("")
            + Bytes.line("d") + [Bytes.esc] + Bytes.cut + Bytes.line("e") + [Bytes.gs, 0x6B, 0x20] + Bytes.line("f") + Bytes.cut
        let (receipts, parser) = parse(stream)
        #expect(receipts.map(\.lines) == [["ab", "c", "d"], ["e", "f"]])
        // ESC 0x01, ESC LF, ESC GS, and GS k with no barcode type 0x20.
        #expect(parser.counters.unknownCommands == 4)
    }

    @Test("a line past maxLineLength is cut off and counted; a receipt past maxReceiptSize is dropped whole and counted")
    func limits() {
        let limits = ESCPOSParser.Limits(maxReceiptSize: 300, maxLineLength: 20)
        let long = String(repeating: "x", count: 50)
        let (short, shortParser) = parse(Bytes.line(long) + Bytes.line("ok") + Bytes.cut, ESCPOSParser(limits: limits))
        #expect(short.first?.lines == [String(repeating: "x", count: 20), "ok"])
        #expect(shortParser.counters.truncatedLines == 1)

        var oversize: [UInt8] = []
        for n in 0..<40 { oversize += Bytes.line("line \(n) 1.00") }
        let (receipts, parser) = parse(oversize + Bytes.cut + Bytes.line("next") + Bytes.cut, ESCPOSParser(limits: limits))
        #expect(receipts.map(\.lines) == [["next"]])
        #expect(parser.counters.oversizeReceipts == 1)
    }

    @Test("no ESC @ at the start: a stream picked up mid-receipt still reads; endReceipt ends an uncut receipt; reset forgets")
    func midStream() {
        var parser = ESCPOSParser()
        #expect(parser.feed(Bytes.line("tail of a receipt") + [Bytes.esc, 0x45]).isEmpty)
        #expect(parser.feed([0x01] + Bytes.line("bold")).isEmpty)
        #expect(parser.endReceipt() == ESCPOSReceipt(lines: ["tail of a receipt", "bold"], end: .idle))
        #expect(parser.endReceipt() == nil)
        _ = parser.feed(Bytes.line("half"))
        let forgot = parser.reset()
        #expect(forgot)
        #expect(parser.feed(Bytes.cut).isEmpty)
    }
}
