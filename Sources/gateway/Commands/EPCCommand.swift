import ArgumentParser
import EPC
import Foundation

/// `gateway epc`: decode and encode EPCs by hand, for people debugging tags.
struct EPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epc",
        abstract: "Decode and encode GS1 EPCs (Tag Data Standard 2.x, every binary scheme).",
        discussion: """
            Examples:
              gateway epc decode 3074257BF7194E4000001A85
              gateway epc encode urn:epc:tag:sgtin-96:3.0614141.812345.6789
              gateway epc encode --filter 1 --company-prefix-length 7 '(01)80614141123458(21)6789'
              cat reads.txt | gateway epc decode --json

            With no arguments, each reads one input per line from standard input. A bad line is reported and \
            the next one read; the exit status is 1 when any input was rejected.
            """,
        subcommands: [Decode.self, Encode.self]
    )

    /// `gateway epc decode`.
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decode",
            abstract: "Decode binary EPCs given in hex into tag URI, pure identity and GS1 element string.",
            discussion: "EPCs without a TDS header (a TID copied into the EPC bank, say) are reported as raw, never guessed at."
        )

        @Flag(name: .long, help: "Print one JSON object per input: input, scheme, hex, filter, tagUri, pureIdentityUri, elementString, gtin, or error.")
        var json = false

        @Argument(help: ArgumentHelp("EPCs in hex; none: one per line from standard input.", valueName: "hex"))
        var hex: [String] = []

        func run() throws {
            try EPCCommand.process(hex, json: json) { input throws(EPCError) in
                switch try EPC.decode(hex: input) {
                case .tag(let tag): EPCReport(input: input, tag: tag)
                case .raw(let binary): EPCReport(input: input, scheme: "raw", hex: binary.hex, tagUri: EPC.raw(binary).tagURI)
                }
            }
        }
    }

    /// `gateway epc encode`.
    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "encode",
            abstract: "Encode tag URIs, pure-identity URIs or GS1 element strings into binary (hex).",
            discussion: """
                A tag URI (urn:epc:tag:…) carries its scheme and filter. A pure identity (urn:epc:id:…) or an element \
                string ((01)…(21)…) is coded in the narrowest scheme that holds it, unless --scheme names one, with \
                --filter (default 0). An element string needs --company-prefix-length: the key alone does not say \
                where the company prefix ends.
                """
        )

        @Flag(name: .long, help: "Print one JSON object per input (as decode does).")
        var json = false

        @Option(name: .long, help: ArgumentHelp("Filter value for pure identities and element strings.", valueName: "n"))
        var filter: UInt8 = 0

        @Option(name: .long, help: ArgumentHelp("Binary scheme for pure identities and element strings, e.g. sgtin-198.", valueName: "name"))
        var scheme: String?

        @Option(name: .long, help: ArgumentHelp("Digits of the GS1 company prefix (6–12), for element strings.", valueName: "n"))
        var companyPrefixLength: Int?

        @Argument(help: ArgumentHelp("URIs or element strings; none: one per line from standard input.", valueName: "uri"))
        var input: [String] = []

        func validate() throws {
            if let scheme, EPCBinaryScheme(rawValue: scheme) == nil {
                throw ValidationError("--scheme \(scheme) is not a TDS binary scheme (\(EPCBinaryScheme.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }

        func run() throws {
            let binaryScheme = scheme.flatMap(EPCBinaryScheme.init(rawValue:))
            try EPCCommand.process(input, json: json) { text throws(EPCError) in
                EPCReport(input: text, tag: try encode(text, scheme: binaryScheme))
            }
        }

        private func encode(_ text: String, scheme: EPCBinaryScheme?) throws(EPCError) -> EPCTag {
            if text.hasPrefix("urn:epc:tag:") { return try EPCTag(tagURI: text) }
            let identity: EPCIdentity
            if text.hasPrefix("urn:epc:id:") {
                identity = try EPCIdentity(pureIdentityURI: text)
            } else if text.hasPrefix("(") {
                guard let companyPrefixLength else {
                    throw EPCError(.malformed, "an element string needs --company-prefix-length: the key does not say where the company prefix ends")
                }
                identity = try EPCIdentity(elementString: text, companyPrefixLength: companyPrefixLength)
            } else {
                throw EPCError(.malformed, "'\(text)' is not a tag URI, a pure-identity URI or a GS1 element string")
            }
            if let scheme { return try EPCTag(scheme, filter: filter, identity: identity) }
            return try EPCTag(identity, filter: filter)
        }
    }

    /// Runs `body` on every input (the arguments, or the lines of standard input), printing one
    /// line per input; fails at the end when any input was rejected.
    static func process(_ arguments: [String], json: Bool, _ body: (String) throws(EPCError) -> EPCReport) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var rejected = 0
        func handle(_ input: String) {
            let report: EPCReport
            do {
                report = try body(input)
            } catch {
                rejected += 1
                report = EPCReport(input: input, error: error.message, errorCode: error.code.rawValue)
            }
            if json, let data = try? encoder.encode(report) {
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(report.line)
            }
        }
        if arguments.isEmpty {
            while let line = readLine() {
                let input = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if !input.isEmpty { handle(input) }
            }
        } else {
            for input in arguments { handle(input) }
        }
        if rejected > 0 { throw ExitCode(1) }
    }
}

/// One input's result, printed as a line or a JSON object.
struct EPCReport: Encodable {
    var input: String
    var scheme: String?
    var hex: String?
    var filter: Int?
    var tagUri: String?
    var pureIdentityUri: String?
    var elementString: String?
    var gtin: String?
    var error: String?
    var errorCode: String?

    init(input: String, scheme: String? = nil, hex: String? = nil, tagUri: String? = nil, error: String? = nil, errorCode: String? = nil) {
        self.input = input
        self.scheme = scheme
        self.hex = hex
        self.tagUri = tagUri
        self.error = error
        self.errorCode = errorCode
    }

    init(input: String, tag: EPCTag) {
        self.init(input: input, scheme: tag.binaryScheme.rawValue, hex: tag.hex, tagUri: tag.tagURI)
        filter = Int(tag.filter)
        pureIdentityUri = tag.identity.pureIdentityURI
        elementString = tag.identity.elementString
        gtin = tag.identity.gtin14
    }

    /// Tab-separated: input, scheme, then the representations (or the error).
    var line: String {
        if let error { return [input, "error", error].joined(separator: "\t") }
        return ([input, scheme, hex, tagUri, pureIdentityUri, elementString] as [String?]).compactMap { $0 }.joined(separator: "\t")
    }
}
