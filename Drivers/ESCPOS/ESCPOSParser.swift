/// The text of one receipt, as the printer printed it.
public struct ESCPOSReceipt: Sendable, Equatable {
    /// What ended the receipt.
    public enum End: String, Sendable {
        /// A paper cut: `GS V`, `ESC i` or `ESC m`.
        case cut
        /// The POS went quiet for the tap's `receiptTimeout` (printers without a cutter).
        case idle
    }

    /// The printed lines, in order: trailing blanks trimmed, blank lines left out.
    public var lines: [String]
    /// What ended it.
    public var end: End

    /// Creates a receipt.
    public init(lines: [String], end: End) {
        self.lines = lines
        self.end = end
    }

    /// The text, one line per `\n`; what a receipt without a number is keyed by.
    public var text: String { lines.joined(separator: "\n") }
}

/// A byte state machine that gets the printed text back out of an ESC/POS stream.
///
/// Each command's parameter bytes are counted from a table (fixed counts, or lengths the command
/// declares), so raster images, barcodes and QR codes are skipped by their own lengths and never
/// leak into the text. The stream may start anywhere (there is no `ESC @` guarantee) and may arrive
/// in chunks of any size: the state carries over between `feed` calls.
public struct ESCPOSParser: Sendable {
    /// Bounds on what a receipt may hold, so a stream that never cuts cannot grow without end.
    public struct Limits: Sendable, Equatable {
        /// Characters of text one receipt may hold; beyond it the receipt is dropped whole (counted).
        public var maxReceiptSize: Int
        /// Characters one line may hold; the rest of a longer line is cut off (counted).
        public var maxLineLength: Int

        /// Creates limits.
        public init(maxReceiptSize: Int = 65_536, maxLineLength: Int = 256) {
            self.maxReceiptSize = maxReceiptSize
            self.maxLineLength = maxLineLength
        }
    }

    /// What the parser met besides text, for the logs and `reader.status`.
    public struct Counters: Sendable, Equatable {
        /// Receipts ended with some text on them.
        public var receipts: UInt64 = 0
        /// Commands not in the table: only their first two bytes are skipped.
        public var unknownCommands: UInt64 = 0
        /// Payload bytes skipped by declared length (images, barcodes, QR codes, user characters).
        public var skippedPayloadBytes: UInt64 = 0
        /// Lines longer than `maxLineLength`, cut off.
        public var truncatedLines: UInt64 = 0
        /// Receipts dropped for exceeding `maxReceiptSize`.
        public var oversizeReceipts: UInt64 = 0
        /// `ESC t n` selecting a page this build lacks; text then keeps the page in use before.
        public var unsupportedCodePages: UInt64 = 0
        /// Control bytes that are no command here (BEL, CAN, …), ignored.
        public var ignoredControls: UInt64 = 0

        /// Zeroed counters.
        public init() {}
    }

    /// A command: its prefix (ESC, GS, FS, DLE) and function byte.
    struct Command: Sendable, Equatable {
        var prefix: UInt8
        var function: UInt8
    }

    /// What a command needs next, given the parameter bytes collected so far.
    enum Step: Equatable {
        /// Collect parameters until this many are held.
        case need(Int)
        /// Skip this many payload bytes, then collect up to `thenNeed` parameters (or finish).
        case skip(Int, thenNeed: Int?)
        /// Skip a payload that ends with NUL (`GS k` form A), at most 255 bytes.
        case skipThroughNul
        /// Complete.
        case done
        /// Not in the table.
        case unknown
    }

    private enum State: Sendable {
        case text
        case prefix(UInt8)
        case parameters(Command, need: Int)
        case skipping(Command, remaining: Int, thenNeed: Int?)
        case skippingThroughNul(remaining: Int)
    }

    static let esc: UInt8 = 0x1B, gs: UInt8 = 0x1D, fs: UInt8 = 0x1C, dle: UInt8 = 0x10

    /// The page text is decoded with now.
    public private(set) var codePage: ESCPOSCodePage
    /// The page `ESC @` goes back to.
    public let defaultCodePage: ESCPOSCodePage
    /// The limits in force.
    public let limits: Limits
    /// What was met so far.
    public private(set) var counters = Counters()

    private var state = State.text
    private var collected: [UInt8] = []
    private var line = String.UnicodeScalarView()
    private var lineLength = 0
    private var lineTruncated = false
    private var lines: [String] = []
    private var receiptSize = 0
    private var oversize = false
    private var afterCR = false

    /// Creates a parser that starts in `codePage` (printers power on in PC437).
    public init(codePage: ESCPOSCodePage = .cp437, limits: Limits = Limits()) {
        self.codePage = codePage
        defaultCodePage = codePage
        self.limits = limits
        collected.reserveCapacity(16)
    }

    /// Whether text has been printed since the last receipt ended.
    public var hasPendingText: Bool { !lines.isEmpty || !line.isEmpty || oversize }

    /// Parses the next bytes of the stream; returns the receipts they completed, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ESCPOSReceipt] {
        var receipts: [ESCPOSReceipt] = []
        for byte in bytes {
            if let receipt = consume(byte) { receipts.append(receipt) }
        }
        return receipts
    }

    /// Ends the receipt in progress without a cut (the POS went quiet); nil when nothing was printed.
    public mutating func endReceipt(_ end: ESCPOSReceipt.End = .idle) -> ESCPOSReceipt? {
        endLine()
        return finishReceipt(end)
    }

    /// Forgets the receipt in progress and any half-read command, as after the input was reconnected.
    /// Returns whether text was thrown away.
    @discardableResult
    public mutating func reset() -> Bool {
        let hadText = hasPendingText
        state = .text
        collected.removeAll(keepingCapacity: true)
        clearLine()
        lines.removeAll()
        receiptSize = 0
        oversize = false
        afterCR = false
        codePage = defaultCodePage
        return hadText
    }

    // MARK: The state machine

    private mutating func consume(_ byte: UInt8) -> ESCPOSReceipt? {
        switch state {
        case .text:
            return text(byte)
        case .prefix(let prefix):
            let command = Command(prefix: prefix, function: byte)
            collected.removeAll(keepingCapacity: true)
            let step = Self.step(command, collected)
            if step == .unknown, byte < 0x20 {
                // A stray prefix: the control byte after it (a line end, the next command) still counts.
                counters.unknownCommands &+= 1
                state = .text
                return text(byte)
            }
            return advance(command, step)
        case .parameters(let command, let need):
            collected.append(byte)
            guard collected.count >= need else { return nil }
            return advance(command, Self.step(command, collected))
        case .skipping(let command, let remaining, let thenNeed):
            counters.skippedPayloadBytes &+= 1
            if remaining > 1 {
                state = .skipping(command, remaining: remaining - 1, thenNeed: thenNeed)
                return nil
            }
            return afterSkip(command, thenNeed)
        case .skippingThroughNul(let remaining):
            counters.skippedPayloadBytes &+= 1
            if byte == 0 || remaining <= 1 {
                state = .text
            } else {
                state = .skippingThroughNul(remaining: remaining - 1)
            }
            return nil
        }
    }

    private mutating func text(_ byte: UInt8) -> ESCPOSReceipt? {
        let wasCR = afterCR
        afterCR = false
        switch byte {
        case Self.esc, Self.gs, Self.fs, Self.dle:
            state = .prefix(byte)
        case 0x0A: // LF; after CR it is the second half of one line end
            if !wasCR { endLine() }
        case 0x0D:
            endLine()
            afterCR = true
        case 0x0C: // FF: print (page mode) and go on
            endLine()
        case 0x09:
            append("\t")
        default:
            if let scalar = codePage.character(byte) {
                append(scalar)
            } else {
                counters.ignoredControls &+= 1
            }
        }
        return nil
    }

    /// Moves on after a command's parameters were collected (or its function byte read).
    private mutating func advance(_ command: Command, _ step: Step) -> ESCPOSReceipt? {
        switch step {
        case .need(let count):
            state = .parameters(command, need: count)
            return nil
        case .skip(let count, let thenNeed):
            guard count > 0 else { return afterSkip(command, thenNeed) }
            state = .skipping(command, remaining: count, thenNeed: thenNeed)
            return nil
        case .skipThroughNul:
            state = .skippingThroughNul(remaining: 255)
            return nil
        case .done:
            state = .text
            return perform(command)
        case .unknown:
            counters.unknownCommands &+= 1
            state = .text
            return nil
        }
    }

    private mutating func afterSkip(_ command: Command, _ thenNeed: Int?) -> ESCPOSReceipt? {
        if let need = thenNeed {
            state = .parameters(command, need: need)
            return nil
        }
        state = .text
        return perform(command)
    }

    /// The effect of a complete command on the text: most have none.
    private mutating func perform(_ command: Command) -> ESCPOSReceipt? {
        switch (command.prefix, command.function) {
        case (Self.esc, 0x40): // ESC @: initialise; unprinted text in the buffer is cleared
            clearLine()
            codePage = defaultCodePage
        case (Self.esc, 0x74): // ESC t n
            if let page = ESCPOSCodePage.selected(by: collected[0]) {
                codePage = page
            } else {
                counters.unsupportedCodePages &+= 1
            }
        case (Self.esc, 0x64), (Self.esc, 0x4A): // ESC d n, ESC J n: print and feed
            endLine()
        case (Self.esc, 0x69), (Self.esc, 0x6D), (Self.gs, 0x56): // ESC i, ESC m, GS V: cut
            endLine()
            return finishReceipt(.cut)
        default:
            break
        }
        return nil
    }

    // MARK: Text

    private mutating func append(_ scalar: Unicode.Scalar) {
        guard !oversize else { return }
        guard lineLength < limits.maxLineLength else {
            if !lineTruncated {
                lineTruncated = true
                counters.truncatedLines &+= 1
            }
            return
        }
        receiptSize += 1
        if receiptSize > limits.maxReceiptSize {
            // Keeping part of a receipt would make up a sale that was not printed: drop it whole.
            oversize = true
            counters.oversizeReceipts &+= 1
            clearLine()
            lines.removeAll()
            return
        }
        line.append(scalar)
        lineLength += 1
    }

    private mutating func endLine() {
        defer { clearLine() }
        guard !oversize else { return }
        var text = String(line)
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        if !text.isEmpty { lines.append(text) }
    }

    private mutating func clearLine() {
        line.removeAll(keepingCapacity: true)
        lineLength = 0
        lineTruncated = false
    }

    private mutating func finishReceipt(_ end: ESCPOSReceipt.End) -> ESCPOSReceipt? {
        defer {
            lines.removeAll()
            receiptSize = 0
            oversize = false
        }
        guard !oversize, !lines.isEmpty else { return nil }
        counters.receipts &+= 1
        return ESCPOSReceipt(lines: lines, end: end)
    }

    // MARK: The command table

    /// Little-endian length from two parameter bytes.
    @inline(__always)
    static func word(_ p: [UInt8], _ i: Int) -> Int { Int(p[i]) | Int(p[i + 1]) << 8 }

    /// What `command` needs next, given its parameter bytes so far: the table of parameter counts.
    static func step(_ command: Command, _ p: [UInt8]) -> Step {
        switch command.prefix {
        case esc: escStep(command.function, p)
        case gs: gsStep(command.function, p)
        case fs: fsStep(command.function, p)
        default: dleStep(command.function, p)
        }
    }

    /// Fixed counts: `have` collected of `count` → need more or done.
    @inline(__always)
    private static func fixed(_ count: Int, _ have: Int) -> Step { have < count ? .need(count) : .done }

    private static func escStep(_ function: UInt8, _ p: [UInt8]) -> Step {
        switch function {
        // ESC @ init, ESC 2 default spacing, ESC i / ESC m cut, ESC < return home, ESC L / ESC S page/standard mode, ESC FF print page.
        case 0x40, 0x32, 0x69, 0x6D, 0x3C, 0x4C, 0x53, 0x0C:
            return .done
        // ESC SP, !, %, -, 3, =, ?, E, G, J, M, R, T, U, V, a, d, e, r, t, u, v, {: one byte.
        case 0x20, 0x21, 0x25, 0x2D, 0x33, 0x3D, 0x3F, 0x45, 0x47, 0x4A, 0x4D, 0x52, 0x54, 0x55, 0x56,
             0x61, 0x64, 0x65, 0x72, 0x74, 0x75, 0x76, 0x7B:
            return fixed(1, p.count)
        // ESC $ / ESC \ position, ESC c 3|4|5 n panel and sensors, ESC B n t buzzer.
        case 0x24, 0x5C, 0x63, 0x42:
            return fixed(2, p.count)
        case 0x70: // ESC p m t1 t2: drawer kick
            return fixed(3, p.count)
        case 0x57: // ESC W: print area in page mode
            return fixed(8, p.count)
        case 0x2A: // ESC * m nL nH d…: bit image, 3 bytes a column in the 24-dot modes
            guard p.count >= 3 else { return .need(3) }
            return .skip(word(p, 1) * (p[0] >= 32 ? 3 : 1), thenNeed: nil)
        case 0x28: // ESC ( fn pL pH …
            guard p.count >= 3 else { return .need(3) }
            return .skip(word(p, 1), thenNeed: nil)
        case 0x26: // ESC & y c1 c2 [x d1…d(y×x)]…: user-defined characters
            guard p.count >= 3 else { return .need(3) }
            let characters = Int(p[2]) - Int(p[1]) + 1
            if characters <= 0 { return .done }
            if p.count == 3 { return .need(4) }
            let defined = p.count - 3
            return .skip(Int(p[0]) * Int(p.last!), thenNeed: defined < characters ? p.count + 1 : nil)
        default:
            return .unknown
        }
    }

    private static func gsStep(_ function: UInt8, _ p: [UInt8]) -> Step {
        switch function {
        case 0x3A: // GS : macro start/end
            return .done
        // GS !, /, B, H, I, T, a, b, f, h, r, w: one byte.
        case 0x21, 0x2F, 0x42, 0x48, 0x49, 0x54, 0x61, 0x62, 0x66, 0x68, 0x72, 0x77:
            return fixed(1, p.count)
        // GS $, L, P, W, \: two bytes.
        case 0x24, 0x4C, 0x50, 0x57, 0x5C:
            return fixed(2, p.count)
        case 0x5E: // GS ^ r t m: run macro
            return fixed(3, p.count)
        case 0x67: // GS g 0 m nL nH / GS g 2 m nL nH: maintenance counters
            return fixed(4, p.count)
        case 0x56: // GS V m [n]: cut; function B/C/D forms carry a feed amount
            guard p.count >= 1 else { return .need(1) }
            switch p[0] {
            case 0, 1, 48, 49: return .done
            case 65, 66, 97, 98, 103, 104: return fixed(2, p.count)
            default: return .done
            }
        case 0x76: // GS v 0 m xL xH yL yH d…: raster image of (xL+xH×256)×(yL+yH×256) bytes
            guard p.count >= 6 else { return .need(6) }
            return .skip(word(p, 2) * word(p, 4), thenNeed: nil)
        case 0x28: // GS ( fn pL pH …: QR codes, graphics, and the other extended functions
            guard p.count >= 3 else { return .need(3) }
            return .skip(word(p, 1), thenNeed: nil)
        case 0x38: // GS 8 fn p1 p2 p3 p4 …: large graphics data, 32-bit length
            guard p.count >= 5 else { return .need(5) }
            return .skip(Int(p[1]) | Int(p[2]) << 8 | Int(p[3]) << 16 | Int(p[4]) << 24, thenNeed: nil)
        case 0x2A: // GS * x y d…: downloaded bit image of x×y×8 bytes
            guard p.count >= 2 else { return .need(2) }
            return .skip(Int(p[0]) * Int(p[1]) * 8, thenNeed: nil)
        case 0x6B: // GS k m …: barcode; form A ends with NUL, form B declares its length
            guard p.count >= 1 else { return .need(1) }
            switch p[0] {
            case 0...6: return .skipThroughNul
            case 65...79:
                guard p.count >= 2 else { return .need(2) }
                return .skip(Int(p[1]), thenNeed: nil)
            default: return .unknown
            }
        default:
            return .unknown
        }
    }

    private static func fsStep(_ function: UInt8, _ p: [UInt8]) -> Step {
        switch function {
        case 0x26, 0x2E: // FS & / FS .: Kanji mode on/off
            return .done
        case 0x21, 0x2D, 0x43, 0x57: // FS !, FS -, FS C, FS W
            return fixed(1, p.count)
        case 0x70, 0x53: // FS p n m: print NV image; FS S n1 n2
            return fixed(2, p.count)
        case 0x32: // FS 2 c1 c2 d1…d72: one user-defined Kanji character
            guard p.count >= 2 else { return .need(2) }
            return .skip(72, thenNeed: nil)
        case 0x28: // FS ( fn pL pH …
            guard p.count >= 3 else { return .need(3) }
            return .skip(word(p, 1), thenNeed: nil)
        case 0x71: // FS q n [xL xH yL yH d…]…: define NV images, (xL+xH×256)×(yL+yH×256)×8 bytes each
            guard p.count >= 1 else { return .need(1) }
            let images = Int(p[0])
            if images == 0 { return .done }
            let headers = (p.count - 1) / 4
            if p.count == 1 || (p.count - 1) % 4 != 0 { return .need(1 + (headers + 1) * 4) }
            let size = word(p, p.count - 4) * word(p, p.count - 2) * 8
            return .skip(size, thenNeed: headers < images ? p.count + 4 : nil)
        default:
            return .unknown
        }
    }

    private static func dleStep(_ function: UInt8, _ p: [UInt8]) -> Step {
        switch function {
        case 0x04: // DLE EOT n [a]: real-time status; n 7 and 8 take a sub-argument
            guard p.count >= 1 else { return .need(1) }
            return p[0] == 7 || p[0] == 8 ? fixed(2, p.count) : .done
        case 0x05: // DLE ENQ n
            return fixed(1, p.count)
        case 0x14: // DLE DC4 fn …: real-time pulse (1 m t), power-off (2 1 8), buzzer (3 …), status (7 m), clear buffer (8 d1…d7)
            guard p.count >= 1 else { return .need(1) }
            switch p[0] {
            case 1, 2: return fixed(3, p.count)
            case 3: return fixed(6, p.count)
            case 7: return fixed(2, p.count)
            case 8: return fixed(8, p.count)
            default: return .done
            }
        default:
            return .unknown
        }
    }
}
