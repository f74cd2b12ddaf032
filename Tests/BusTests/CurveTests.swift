import Foundation
import GatewayCore
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@testable import Bus

/// CURVE on the bus: key files, `bus.curve` config, and who receives what.
@Suite(.serialized) struct CurveTests {
    /// A server pair and two client pairs: `allowed` is on the allow-list, `stranger` is not.
    struct Keys {
        let server: CurveKeyPair
        let allowed: CurveKeyPair
        let stranger: CurveKeyPair

        init() throws {
            server = try CurveKeyPair.generate()
            allowed = try CurveKeyPair.generate()
            stranger = try CurveKeyPair.generate()
        }

        func serverSettings() throws -> BusCurveServer {
            try BusCurveServer(keys: server, allowedClients: [allowed.publicKey])
        }

        func client(_ pair: CurveKeyPair) throws -> BusCurveClient {
            try BusCurveClient(serverPublicKey: server.publicKey, keys: pair)
        }
    }

    /// A publisher with CURVE and its journal on a fresh loopback port, plus its replay server.
    final class CurveGateway {
        let directory: String
        let publisher: EventPublisher
        let replay: ReplayServer

        init(curve: BusCurveServer, logger: Logger = quietLogger) throws {
            directory = try makeTemporaryDirectory()
            var configuration = BusConfig()
            configuration.curve = curve
            configuration.journal.groupCommit = .milliseconds(2)
            let directory = directory
            publisher = try withFreeEndpoint { endpoint in
                configuration.publish = endpoint
                return try EventPublisher(configuration: configuration, gateway: "gw-curve", store: "store-1", journalDirectory: directory, logger: logger)
            }
            let journal = try #require(publisher.journal)
            replay = try withFreeEndpoint { endpoint in
                try ReplayServer(endpoint: endpoint, journal: journal, gateway: "gw-curve", curve: curve, logger: logger)
            }
            replay.start()
        }

        func emit(_ count: Int) {
            for index in 0..<count { publisher.emit(statusPayload(index), at: fixedTime) }
            publisher.flush()
        }

        func close() {
            replay.stop()
            publisher.close()
            removeTemporaryDirectory(directory)
        }
    }

    @Test func curveIsAvailable() {
        // Everything below depends on it; say so plainly when a libzmq without CURVE is installed.
        #expect(CurveKey.isAvailable, "the linked libzmq lacks CURVE (zmq_has(\"curve\") != 1)")
    }

    @Test func generatedKeyFilesHoldOneZ85KeyALineAndSecretsAreOwnerOnly() throws {
        let directory = try makeTemporaryDirectory() + "/keys"
        defer { removeTemporaryDirectory((directory as NSString).deletingLastPathComponent) }
        let (server, client) = try CurveKeyFile.generate(directory: directory)

        let names = ["server.key": 0o600, "server.pub": 0o644, "client.key": 0o600, "client.pub": 0o644]
        var contents: [String: String] = [:]
        for (name, mode) in names {
            let path = directory + "/" + name
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasSuffix("\n") && text.filter { $0 == "\n" }.count == 1, "\(name) is not one line")
            let key = String(text.dropLast())
            #expect(key.utf8.count == 40, "\(name) holds \(key.utf8.count) characters")
            #expect(CurveKey.problem(key) == nil, "\(name): \(CurveKey.problem(key) ?? "")")
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(Int(info.st_mode & 0o777) == mode, "\(name) has mode \(String(info.st_mode & 0o777, radix: 8))")
            contents[name] = key
        }
        #expect(contents["server.key"] == server.secretKey && contents["server.pub"] == server.publicKey)
        #expect(contents["client.key"] == client.secretKey && contents["client.pub"] == client.publicKey)
        // Each public key belongs to its secret key, and the two pairs differ.
        _ = try CurveKeyPair(publicKey: contents["server.pub"]!, secretKey: contents["server.key"]!)
        _ = try CurveKeyPair(publicKey: contents["client.pub"]!, secretKey: contents["client.key"]!)
        #expect(server.publicKey != client.publicKey)
        // The quick start reads them back.
        let quick = try BusCurveServer(directory: directory)
        #expect(quick.keys == server && quick.allowedClients == [client.publicKey] && quick.localClient == client)
        #expect(try BusCurveClient(directory: directory) == BusCurveClient(serverPublicKey: server.publicKey, keys: client))
    }

    @Test func generateRefusesToOverwriteUnlessForced() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let first = try CurveKeyFile.generate(directory: directory)
        #expect(throws: BusError.self) { try CurveKeyFile.generate(directory: directory) }
        #expect(try CurveKeyFile.readKey(file: directory + "/server.pub") == first.server.publicKey, "a refused run changed a key")
        let second = try CurveKeyFile.generate(directory: directory, force: true)
        #expect(second.server != first.server)
        #expect(try CurveKeyFile.readKey(file: directory + "/server.pub") == second.server.publicKey)
    }

    @Test func mismatchedOrMalformedKeysAreRefused() throws {
        let a = try CurveKeyPair.generate(), b = try CurveKeyPair.generate()
        #expect(throws: BusError.self) { try CurveKeyPair(publicKey: b.publicKey, secretKey: a.secretKey) }
        #expect(CurveKey.problem("too short") != nil)
        #expect(CurveKey.problem(String(repeating: "~", count: 40)) != nil, "~ is not Z85")
        #expect(CurveKey.problem(a.publicKey) == nil)
    }

    @Test func onlyAllowedSubscribersReceiveEvents() throws {
        let keys = try Keys()
        let log = LogCapture()
        let gateway = try CurveGateway(curve: try keys.serverSettings(), logger: log.logger)
        defer { gateway.close() }
        let endpoint = gateway.publisher.endpoint
        let allowed = try EventSubscriber(endpoints: [endpoint], curve: try keys.client(keys.allowed), logger: quietLogger)
        let stranger = try EventSubscriber(endpoints: [endpoint], curve: try keys.client(keys.stranger), logger: quietLogger)
        let plain = try EventSubscriber(endpoints: [endpoint], logger: quietLogger)
        let wrongServer = try EventSubscriber(endpoints: [endpoint],
                                              curve: try BusCurveClient(serverPublicKey: keys.stranger.publicKey, keys: keys.allowed),
                                              logger: quietLogger)
        defer { [allowed, stranger, plain, wrongServer].forEach { $0.close() } }

        // Until the allowed subscriber's handshake is done it cannot receive: publish until it does.
        var allowedEvents: [GatewayEvent] = []
        var outsiderEvents = 0
        let joinDeadline = ContinuousClock.now + .seconds(30)
        while allowedEvents.isEmpty, ContinuousClock.now < joinDeadline {
            gateway.emit(1)
            allowedEvents += try allowed.receive(maxBatch: 100, timeout: .milliseconds(50))
            for outsider in [stranger, plain, wrongServer] { outsiderEvents += try outsider.receive(maxBatch: 100, timeout: .zero).count }
        }
        try #require(!allowedEvents.isEmpty, "the allowed subscriber received nothing in 30 s")

        // A window in which events keep flowing: the allowed subscriber gets every one, the others none.
        let before = gateway.publisher.statistics.lastSeq
        let windowEnd = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < windowEnd {
            gateway.emit(10)
            allowedEvents += try allowed.receive(maxBatch: 1_000, timeout: .milliseconds(20))
            for outsider in [stranger, plain, wrongServer] { outsiderEvents += try outsider.receive(maxBatch: 1_000, timeout: .zero).count }
        }
        let last = gateway.publisher.statistics.lastSeq
        #expect(last >= before + 10)
        allowedEvents += try receive(from: allowed, timeout: .seconds(30)) { received in received.last?.seq == last }
        for outsider in [stranger, plain, wrongServer] { outsiderEvents += try outsider.receive(maxBatch: 1_000, timeout: .milliseconds(200)).count }

        let seqs = allowedEvents.map(\.seq)
        #expect(seqs.last == last, "the allowed subscriber stopped at \(seqs.last ?? 0) of \(last)")
        #expect(Array(seqs.drop { $0 <= before }) == Array((before + 1)...last), "the allowed subscriber missed events of the window")
        #expect(outsiderEvents == 0, "subscribers without an allowed key received \(outsiderEvents) events")

        // The stranger's key was seen and refused by ZAP, counted and logged.
        let deadline = ContinuousClock.now + .seconds(30)
        while gateway.publisher.curveAccess.refused == 0, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(gateway.publisher.curveAccess.refused >= 1)
        #expect(gateway.publisher.curveAccess.allowed >= 1)
        #expect(log.lines.contains { $0.message.contains("refused a subscriber") && $0.metadata["bus.clientKey"]?.description == keys.stranger.publicKey })
    }

    @Test func allowedSubscriberRecoversEverythingByReplayOthersNothing() throws {
        let keys = try Keys()
        let gateway = try CurveGateway(curve: try keys.serverSettings())
        defer { gateway.close() }
        // Published before anyone subscribed: only replay can deliver them.
        gateway.emit(120)
        let deadline = ContinuousClock.now + .seconds(30)
        while gateway.publisher.journal!.durableSeq < 120, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }

        let source = BusSource(bus: gateway.publisher.endpoint, replay: gateway.replay.endpoint)
        let allowed = try RecoveringSubscriber(sources: [source], replayTimeout: .seconds(2), curve: try keys.client(keys.allowed), logger: quietLogger)
        let stranger = try RecoveringSubscriber(sources: [source], replayTimeout: .seconds(2), curve: try keys.client(keys.stranger), logger: quietLogger)
        defer { allowed.close(); stranger.close() }

        let events = try receive(from: allowed, timeout: .seconds(60)) { $0.count >= 120 }
        #expect(events.map(\.seq) == Array(1...120))
        #expect(allowed.statistics.replayed >= 120)
        // Meanwhile the stranger, asking the same replay server, got nothing and was refused there too.
        let strangerEvents = try receive(from: stranger, timeout: .seconds(2)) { !$0.isEmpty }
        #expect(strangerEvents.isEmpty, "a subscriber with a key not allowed received \(strangerEvents.count) events")
        #expect(gateway.replay.curveAccess.refused >= 1)
        #expect(gateway.replay.curveAccess.allowed >= 1)
    }

    @Test func busCurveConfigReadsFilesAndNamesKeyPathsInErrors() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let (server, client) = try CurveKeyFile.generate(directory: directory + "/keys")
        let extra = try CurveKeyPair.generate()
        try FileManager.default.createDirectory(atPath: directory + "/allowed", withIntermediateDirectories: true)
        try "# the till office\n\(extra.publicKey)\n".write(toFile: directory + "/allowed/office.pub", atomically: true, encoding: .utf8)
        try "\(extra.secretKey)\n".write(toFile: directory + "/allowed/office.key", atomically: true, encoding: .utf8)

        func bus(_ yaml: String) throws -> BusConfig {
            try ConfigMap.parse(yaml: "bus:\n" + yaml, source: "test.yaml").decode("bus", as: BusConfig.self)
        }
        let config = try bus("""
              curve:
                serverSecretKey: \(directory)/keys/server.key
                serverPublicKey: \(directory)/keys/server.pub
                allowedClients: [\(directory)/keys/client.pub, \(directory)/allowed]
            """)
        #expect(config.curve?.keys == server)
        #expect(config.curve?.allowedClients == [client.publicKey, extra.publicKey], "a folder contributes its *.pub files only")

        // Values instead of files.
        let inline = try bus("  curve:\n    serverSecretKey: \"\(server.secretKey)\"\n    allowedClients: \"\(client.publicKey)\"\n")
        #expect(inline.curve?.allowedClients == [client.publicKey])

        func failure(_ yaml: String) -> String {
            do {
                _ = try bus(yaml)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(failure("  curve:\n    allowedClients: [\"\(client.publicKey)\"]\n").contains("bus.curve.serverSecretKey"))
        #expect(failure("  curve:\n    serverSecretKey: \"\(server.secretKey)\"\n").contains("bus.curve.allowedClients"))
        #expect(failure("  curve:\n    serverSecretKey: \"\(server.secretKey)\"\n    allowedClients: [\"\(client.publicKey)\", nonsense]\n")
            .contains("bus.curve.allowedClients[1]"))
        #expect(failure("  curve:\n    serverSecretKey: \"\(server.secretKey)\"\n    serverPublicKey: \"\(client.publicKey)\"\n    allowedClients: \"\(client.publicKey)\"\n")
            .contains("bus.curve.serverPublicKey"))
        #expect(failure("  curve:\n    serverSecretKey: \"\(server.secretKey)\"\n    allowedClients: \"\(client.publicKey)\"\n    typo: 1\n")
            .contains("bus.curve.typo"))

        // A secret key file others can read is refused.
        chmod(directory + "/keys/server.key", 0o644)
        let readable = failure("  curve:\n    serverSecretKey: \(directory)/keys/server.key\n    allowedClients: \"\(client.publicKey)\"\n")
        #expect(readable.contains("bus.curve.serverSecretKey") && readable.contains("0600"), "\(readable)")
    }

    @Test func nonLoopbackBindNeedsTheFlagWithCurveToo() throws {
        let keys = try Keys()
        let curve = "  curve:\n    serverSecretKey: \"\(keys.server.secretKey)\"\n    allowedClients: \"\(keys.allowed.publicKey)\"\n"
        func bus(_ yaml: String) throws -> BusConfig {
            try ConfigMap.parse(yaml: "bus:\n" + yaml, source: "test.yaml").decode("bus", as: BusConfig.self)
        }
        do {
            _ = try bus("  publish: tcp://0.0.0.0:5556\n" + curve)
            Issue.record("a non-loopback CURVE bind without allowNonLoopback was accepted")
        } catch {
            #expect("\(error)".contains("bus.publish") && "\(error)".contains("CURVE") && "\(error)".contains("allowNonLoopback"))
        }
        #expect(throws: (any Error).self) { try bus("  publish: tcp://0.0.0.0:5556\n") }
        let allowed = try bus("  publish: tcp://0.0.0.0:5556\n  allowNonLoopback: true\n" + curve)
        #expect(allowed.curve != nil)
    }

    @Test func zapRefusesUnknownDomainsOtherMechanismsAndUnlistedKeys() throws {
        let keys = try Keys()
        let authenticator = ZAPAuthenticator.shared
        let domain = try authenticator.register(role: "test", allowedClients: [keys.allowed.publicKey], logger: quietLogger)
        defer { authenticator.unregister(domain: domain) }
        func request(_ domain: String, _ mechanism: String, _ key: [UInt8]) -> String {
            let frames: [[UInt8]] = [Array("1.0".utf8), Array("7".utf8), Array(domain.utf8), Array("127.0.0.1".utf8), [], Array(mechanism.utf8), key]
            let reply = authenticator.answer(frames)
            #expect(reply.count == 6 && reply[1] == Array("7".utf8))
            return String(decoding: reply[2], as: UTF8.self)
        }
        #expect(request(domain, "CURVE", try #require(CurveKey.binary(keys.allowed.publicKey))) == "200")
        #expect(request(domain, "CURVE", try #require(CurveKey.binary(keys.stranger.publicKey))) == "400")
        #expect(request("gateway-nobody", "CURVE", try #require(CurveKey.binary(keys.allowed.publicKey))) == "400")
        #expect(request(domain, "NULL", []) == "400")
        #expect(String(decoding: authenticator.answer([Array("0.9".utf8), [1]])[2], as: UTF8.self) == "500")
        #expect(authenticator.statistics(domain: domain) == CurveAccessStatistics(allowed: 1, refused: 2))
    }
}
