import Bus
import Crypto
import EPC
import ESCPOS
import Foundation
import GatewayCore
import LLRP
import Logging
import Matching
import NIOCore
import NIOEmbedded
import POSIngest
import POSLog
import POSWebhook
import SerialM100
import USBHID

/// One entry point per parser that takes bytes from outside the gateway.
///
/// The libFuzzer executables in `Fuzz/` call these, and so does `FuzzRegressionTests`, which replays
/// every committed corpus file and regression input: a crash found by fuzzing stays a failing test
/// until the parser is fixed. Each function feeds the bytes to the parser the way the gateway does
/// and ignores the thrown errors: a clear error is the right answer to garbage; a trap or a hang is not.
public enum FuzzEntryPoints {
    /// The targets by name: the folder names under `Fuzz/Corpus/` and `Fuzz/Regressions/`.
    public static let targets: [String: @Sendable ([UInt8]) -> Void] = [
        "llrp": llrp, "m100": m100, "hid": hid, "epc-hex": epcHex, "epc-uri": epcURI, "bus-codec": busCodec,
        "journal": journal, "config": config, "poslog": poslog, "webhook": webhook, "escpos": escpos,
    ]

    // Libraries take a logger; garbage would otherwise flood the fuzzer's output.
    private static let quiet = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

    /// LLRP over TCP: the frame decoder of the reader connection, then the message decoder on every frame.
    public static func llrp(_ bytes: [UInt8]) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LLRPFrameDecoder(maxFrameLength: 1 << 20)))
        defer { _ = try? channel.finish() }
        // The first byte splits the input in two reads, so frames torn across reads are covered.
        let split = bytes.isEmpty ? 0 : min(bytes.count, Int(bytes[0]))
        for part in [bytes[..<split], bytes[split...]] where !part.isEmpty {
            do {
                try channel.writeInbound(ByteBuffer(bytes: part))
            } catch {
                return
            }
            while let frame = try? channel.readInbound(as: [UInt8].self) {
                _ = try? LLRPMessage.decode(frame)
            }
        }
        // A whole input as one message too: the decoder sees lengths the framer would refuse.
        _ = try? LLRPMessage.decode(bytes)
    }

    /// M100 serial frames: one frame decoded directly, then the stream through the resynchronising frame decoder.
    public static func m100(_ bytes: [UInt8]) {
        _ = try? M100Frame(decoding: bytes)
        var decoder = M100FrameDecoder()
        // Chunks of varying size, as a serial port delivers them.
        var index = 0
        var chunk = 1
        while index < bytes.count {
            let end = min(bytes.count, index + chunk)
            decoder.append(bytes[index..<end])
            while decoder.next() != nil {}
            index = end
            chunk = chunk % 17 + 1
        }
    }

    /// USB HID boot-keyboard reports: 8-byte reports (a short tail too) fed at advancing times.
    public static func hid(_ bytes: [UInt8]) {
        var decoder = BootKeyboardDecoder(debounce: .milliseconds(50), keystrokeTimeout: .milliseconds(20))
        var time = ContinuousClock.now
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + 8)
            _ = try? decoder.feed(bytes[index..<end], at: time)
            // The report's second byte (reserved in the boot protocol) paces the clock, so timeouts are reached.
            time = time.advanced(by: .milliseconds(Int(bytes[min(index + 1, bytes.count - 1)] & 0x1F)))
            index = end
        }
    }

    /// EPC hex as readers report it, and the same bytes as a binary EPC bank.
    public static func epcHex(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let epc = try? EPC.decode(hex: text) { _ = epc.tagURI }
        if let tag = try? EPCTag(hex: text) { _ = (tag.hex, tag.identity.pureIdentityURI) }
        if let epc = try? EPC.decode(EPCBinary(bytes: bytes)) {
            _ = epc.tagURI
            if case .tag(let tag) = epc { _ = (tag.hex, tag.identity.pureIdentityURI) }
        }
    }

    /// EPC URIs: tag URIs, pure-identity URIs, pattern URIs (with a match), GS1 element strings.
    public static func epcURI(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let tag = try? EPCTag(tagURI: text) { _ = (tag.hex, tag.tagURI) }
        if let identity = try? EPCIdentity(pureIdentityURI: text) { _ = identity.pureIdentityURI }
        if let pattern = try? EPCPattern(text) {
            _ = pattern.matches(EPCBinary(bytes: [0x30, 0x14, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85]))
        }
        let length = bytes.first.map { 6 + Int($0 % 7) } ?? 7
        if let identity = try? EPCIdentity(elementString: text, companyPrefixLength: length) { _ = identity.pureIdentityURI }
    }

    /// A bus message: the topic frame up to the first newline, the JSON body after it.
    public static func busCodec(_ bytes: [UInt8]) {
        let codec = EventCodec()
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? 0
        let topic = Array(bytes[..<newline])
        let body = Array(bytes[bytes.index(newline, offsetBy: newline < bytes.count && bytes[newline] == UInt8(ascii: "\n") ? 1 : 0)...])
        if let event = try? codec.decode(topic: topic, body: body) {
            // What decodes must encode again: subscribers re-publish and the store re-serialises.
            _ = try? codec.encode(event)
        }
    }

    private static let journalDirectory: String = {
        // In memory when the system has a tmpfs there: every open and close syncs, and a disk's fsync
        // would hold the fuzzer to a few dozen inputs a second.
        let base = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
        let directory = base + "gateway-fuzz-journal-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }()

    /// A journal segment as found on disk after a crash or by a damaged disk: recovered, then read from the start.
    public static func journal(_ bytes: [UInt8]) {
        let directory = journalDirectory
        // The first byte picks the segment's first seq, so recovery also meets seqs that do not follow the name.
        let firstSeq = UInt64(bytes.first ?? 1)
        let path = directory + "/journal-" + String(repeating: "0", count: 20 - String(firstSeq).count) + "\(firstSeq).log"
        FileManager.default.createFile(atPath: path, contents: Data(bytes.dropFirst()))
        defer {
            if let names = try? FileManager.default.contentsOfDirectory(atPath: directory) {
                for name in names { try? FileManager.default.removeItem(atPath: directory + "/" + name) }
            }
        }
        guard let journal = try? Journal.open(directory: directory, logger: quiet) else { return }
        defer { journal.close() }
        var seq = journal.firstSeq
        while seq <= journal.lastSeq, let batch = try? journal.read(from: seq, limit: 64), let last = batch.last {
            seq = last.0 + 1
        }
        // A record appended after recovery must land after whatever the damaged tail was cut to.
        _ = try? journal.append(seq: journal.lastSeq + 1, payload: Array("{}".utf8))
    }

    /// The YAML config: every section a library reads, with the cross-checks the gateway makes at load.
    public static func config(_ bytes: [UInt8]) {
        guard let root = try? ConfigMap.parse(yaml: String(decoding: bytes, as: UTF8.self), source: "fuzz.yaml") else { return }
        _ = try? root.decode("gateway", as: GatewayIdentityConfig.self)
        if let store = try? root.decode("store", as: StoreLayoutConfig.self) { _ = try? EdgeFilter(layout: store) }
        _ = try? root.decode("matching", as: MatchingConfig.self)
        _ = try? root.decode("bus", as: BusConfig.self)
        _ = try? root.decode("pos", as: POSListenerConfig.self)
        _ = try? root.decode("privacy", as: PrivacyConfig.self)
        if let sources = try? root.mappings("sources", SourceConfig.init(config:)) {
            for source in sources {
                _ = try? LLRPReaderConfig(source: source)
                _ = try? SquareWebhookConfig(source: source)
                _ = try? ShopifyWebhookConfig(source: source)
            }
        }
        _ = try? root.finish()
    }

    /// A POSLog XML document as posted by a till or dropped in a folder.
    public static func poslog(_ bytes: [UInt8]) {
        let parser = POSLogParser(limits: .init(maxDocumentBytes: 1 << 20, maxDepth: 64), timeZone: TimeZone(identifier: "UTC")!)
        _ = try? parser.parse(bytes)
    }

    private static let webhookSecret = "fuzz-secret"
    private static let squareURL = "https://gateway.example/pos/square"
    private static let shopify = ShopifyWebhookFormat(configuration: ShopifyWebhookConfig(secret: webhookSecret))
    private static let square = SquareWebhookFormat(configuration: SquareWebhookConfig(secret: webhookSecret, notificationURL: squareURL))

    /// A webhook body from the internet, correctly signed so the JSON mapping behind the signature check is reached.
    public static func webhook(_ bytes: [UInt8]) {
        let shopifyHeaders = [
            ShopifyWebhookFormat.signatureHeader: sign(bytes), "x-shopify-topic": "orders/paid", "x-shopify-webhook-id": "fuzz",
        ]
        _ = try? shopify.parse(POSRequest(headers: shopifyHeaders, body: bytes))
        _ = try? square.parse(POSRequest(headers: [SquareWebhookFormat.signatureHeader: sign(Array(squareURL.utf8) + bytes)], body: bytes))
        // Unsigned and wrongly signed: refused before anything is read.
        _ = try? shopify.parse(POSRequest(headers: [ShopifyWebhookFormat.signatureHeader: String(decoding: bytes.prefix(64), as: UTF8.self)], body: bytes))
    }

    private static func sign(_ bytes: [UInt8]) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: Array(webhookSecret.utf8)))).base64EncodedString()
    }

    /// An ESC/POS printer stream tapped between till and printer, in chunks as the tap reads them.
    public static func escpos(_ bytes: [UInt8]) {
        var parser = ESCPOSParser(limits: .init(maxReceiptSize: 4_096, maxLineLength: 64))
        var index = 0
        var chunk = 3
        while index < bytes.count {
            let end = min(bytes.count, index + chunk)
            for receipt in parser.feed(bytes[index..<end]) { _ = receipt.text }
            index = end
            chunk = chunk * 7 % 61 + 1
        }
        _ = parser.endReceipt(.idle)
    }
}
