import ArgumentParser
import Bus
import CRMStore
import Foundation
import GatewayCore

/// `gateway keys`: CURVE keys for the bus, and the key of customer tokens.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make the CURVE keys of the bus; rotate the key of customer tokens.",
        subcommands: [GenerateKeysCommand.self, RotateKeysCommand.self]
    )
}

/// `gateway keys generate --out DIR`: a server pair and a client pair, one Z85 key a file.
struct GenerateKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write server.key, server.pub, client.key and client.pub into a folder.",
        discussion: """
            Each file holds one Z85 key (40 characters) on one line; the .key files are secret (mode 0600). Keep server.key on the gateway and client.key with the subscriber; client.pub is allowed by the quick start:
              gateway run --curve DIR      serves the bus with DIR/server.key and allows DIR/client.pub
              gateway tail --curve DIR     subscribes with DIR/client.key, DIR/client.pub and DIR/server.pub
            For several subscribers, give each its own pair and list their .pub files in bus.curve.allowedClients (docs/security.md).
            """
    )

    @Option(name: .long, help: ArgumentHelp("The folder to write the keys into (created, mode 0700, when missing).", valueName: "dir"))
    var out: String

    @Flag(name: .long, help: "Replace keys already in the folder; subscribers holding the old keys are locked out.")
    var force = false

    func run() throws {
        do {
            let (server, client) = try CurveKeyFile.generate(directory: out, force: force)
            print("server public key \(server.publicKey)  (\((out as NSString).appendingPathComponent(CurveKeyFile.Name.serverPublic)))")
            print("client public key \(client.publicKey)  (\((out as NSString).appendingPathComponent(CurveKeyFile.Name.clientPublic)))")
        } catch {
            throw CLIError("keys generate: \(error)")
        }
    }
}

/// `gateway keys rotate`: a new token key, and every token the CRM store keeps re-made with it.
///
/// The key file steps and their crash safety are ``TokenKeyRotation``'s; the rewrite of the store is
/// ``CRMDatabase/rotateTokens(_:formerTokens:)``. A running gateway needs no restart: it takes tokens from
/// the store's customers (the matcher reloads them when the master-data revision moves), and uses the key
/// itself only to seed an empty store when it starts.
struct RotateKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Replace the customer token key and re-tokenise the CRM store with it.",
        discussion: """
            Writes a new random key to KEY.new (KEY is privacy.tokenKeyFile, default <dataDir>/token.key), recomputes every customer's token with it and rewrites the tokens in customers, visits, presence, transactions, segment_outbox and every other table with a token column, in one transaction (tokens of erased customers are left alone), then keeps the old key as KEY.previous and moves KEY.new to KEY. A running gateway recognises customers by their new tokens within seconds.
            If the command is interrupted, run it again: it finds KEY.new and finishes that rotation. With --sweep it makes no new key and rewrites rows still carrying tokens of KEY.previous (events that were in flight during the rotation); run it a minute after a rotation, then delete KEY.previous.
            On the bus, a customer's events before the rotation carry the old token and those after it the new one: downstream the two cannot be linked, which is the point. See docs/security.md.
            Refused when GATEWAY_TOKEN_KEY is set: that key is managed outside the gateway.
            """
    )

    @Flag(name: .long, help: "Make no new key: re-tokenise with the current key whatever still carries a token of the previous one.")
    var sweep = false

    @OptionGroup var store: StoreOptions

    func run() throws {
        let config = try store.loadConfig()
        let logger = store.logger(label: "gateway.keys")
        let keyFile = config.privacy.tokenKeyFile ?? config.dataPath("token.key")
        do {
            let rotation = try TokenKeyRotation(keyFile: keyFile, logger: logger)
            let path = try store.path(config)
            let lock = try rotation.lock()
            defer { lock.release() }
            let database = try CRMDatabase(path: path, logger: logger)
            defer { try? database.close() }
            if sweep {
                let (current, previous) = try rotation.installedKeys()
                let report = try database.rotateTokens(current.token(for:), formerTokens: previous.map { [$0.token(for:)] } ?? [])
                print("tokens swept with the current key: \(Self.counts(report))")
                if previous == nil {
                    print("  (no \(rotation.previousKeyFile): only tokens that did not match the current key were re-made)")
                } else {
                    print("  delete \(rotation.previousKeyFile) now: while it exists, whoever reads the box can link the old tokens to customers")
                }
                return
            }
            let keys = try rotation.prepare()
            if keys.resumed { print("resuming the rotation interrupted earlier (\(rotation.newKeyFile) was there)") }
            let report = try database.rotateTokens(keys.new.token(for:), formerTokens: keys.former.map { $0.token(for:) })
            try rotation.install()
            print("token key rotated: \(Self.counts(report))")
            if keys.resumed, report.customers == 0, report.customersUnchanged > 0 {
                print("  the store already carried the new tokens: the interrupted run had committed them")
            }
            print("  new key \(keyFile); the old one is kept in \(rotation.previousKeyFile)")
            print("  a running gateway recognises customers by their new tokens within seconds; on the bus, events before")
            print("  the rotation carry the old tokens and cannot be linked to those after it")
            print("  in a minute, run `gateway keys rotate --sweep` for events that were in flight, then delete \(rotation.previousKeyFile)")
        } catch let error as GatewayCoreError {
            throw CLIError("keys rotate: \(error)")
        } catch let error as CRMStoreError {
            throw CLIError("keys rotate: \(error)")
        }
    }

    /// "N customers re-tokenised; M rows rewritten (table n, …)".
    static func counts(_ report: TokenRotationReport) -> String {
        let tables = report.rows.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let detail = tables.isEmpty ? "" : " (" + tables.joined(separator: ", ") + ")"
        return "\(report.customers) customers re-tokenised; \(report.rowCount) rows rewritten\(detail)"
    }
}
