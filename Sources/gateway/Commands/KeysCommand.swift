import ArgumentParser
import Bus
import Foundation

/// `gateway keys`: CURVE keys for the bus.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make the CURVE keys that encrypt the bus and admit only known subscribers.",
        subcommands: [GenerateKeysCommand.self]
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
