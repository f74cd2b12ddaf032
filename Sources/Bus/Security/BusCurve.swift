import Foundation
import GatewayCore

/// The gateway's side of CURVE: `bus.curve:` in the config.
///
/// With it, the PUB socket and the replay ROUTER are CURVE servers: traffic is encrypted, and the
/// ZAP handler (``ZAPAuthenticator``) lets in only subscribers whose public key is allowed.
///
/// ```yaml
/// bus:
///   curve:
///     serverSecretKey: keys/server.key      # a file (mode 0600) or the Z85 key itself, e.g. "${BUS_SERVER_KEY}"
///     serverPublicKey: keys/server.pub      # optional: derived from the secret key, checked when given
///     allowedClients:                       # keys, files of keys (one a line) or folders of *.pub files
///       - keys/client.pub
///       - keys/allowed/
/// ```
///
/// Relative paths are relative to the working directory, like the data folder.
public struct BusCurveServer: Sendable, Equatable {
    /// The gateway's key pair.
    public var keys: CurveKeyPair
    /// The public keys (Z85) of the subscribers allowed to connect.
    public var allowedClients: Set<String>
    /// The pair this process's own subscribers (the embedded store and dashboard) use; `nil` has
    /// the gateway make a throwaway pair at start and allow it, so no secret is needed for them.
    public var localClient: CurveKeyPair?

    /// A server with `keys` allowing `allowedClients`.
    /// - Throws: ``BusError`` with code `.config` when a client key is not a Z85 key or none is allowed.
    public init(keys: CurveKeyPair, allowedClients: some Sequence<String>, localClient: CurveKeyPair? = nil) throws(BusError) {
        let allowed = Set(allowedClients)
        for key in allowed.sorted() {
            if let problem = CurveKey.problem(key) { throw BusError(.config, "bus.curve.allowedClients: '\(key)' \(problem)") }
        }
        if let localClient { guard allowed.contains(localClient.publicKey) else {
            throw BusError(.config, "bus.curve: the local client key \(localClient.publicKey) is not allowed")
        } }
        guard !allowed.isEmpty else { throw BusError(.config, "bus.curve.allowedClients: no client key, so no subscriber could connect") }
        self.keys = keys
        self.allowedClients = allowed
        self.localClient = localClient
    }

    /// The quick start of `gateway keys generate --out DIR`: serves with `DIR/server.key` and
    /// `DIR/server.pub`, allows `DIR/client.pub`, and its own subscribers use the client pair.
    public init(directory: String) throws(BusError) {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let keys = try CurveKeyPair(publicKey: CurveKeyFile.readKey(file: path(CurveKeyFile.Name.serverPublic)),
                                    secretKey: CurveKeyFile.readSecretKey(file: path(CurveKeyFile.Name.serverSecret)))
        let client = try BusCurveClient(directory: directory)
        try self.init(keys: keys, allowedClients: [client.keys.publicKey], localClient: client.keys)
    }

    /// Reads `bus.curve:`; every error names the key path.
    public init(config: ConfigMap) throws {
        let secretPath = config.path(of: "serverSecretKey")
        guard let secretSetting = try config.optional("serverSecretKey", as: String.self) else {
            throw ConfigError(.missingKey, at: secretPath, "CURVE needs the gateway's secret key (a file written by `gateway keys generate`, or the Z85 key)")
        }
        let keys: CurveKeyPair
        do {
            let secret = try Self.isKeyValue(secretSetting) ? secretSetting : CurveKeyFile.readSecretKey(file: secretSetting)
            keys = try CurveKeyPair(secretKey: secret)
        } catch {
            throw ConfigError(.invalidValue, at: secretPath, error.message)
        }
        if let publicSetting = try config.optional("serverPublicKey", as: String.self) {
            do throws(BusError) {
                let publicKey = try Self.isKeyValue(publicSetting) ? publicSetting : CurveKeyFile.readKey(file: publicSetting)
                guard publicKey == keys.publicKey else {
                    throw BusError(.config, "\(publicKey) is not the public key of serverSecretKey (that is \(keys.publicKey))")
                }
            } catch {
                throw ConfigError(.invalidValue, at: config.path(of: "serverPublicKey"), error.message)
            }
        }
        let clientsPath = config.path(of: "allowedClients")
        guard let settings = try config.list("allowedClients", of: String.self), !settings.isEmpty else {
            throw ConfigError(.missingKey, at: clientsPath, "CURVE needs the public keys of the subscribers allowed to connect (keys, files or folders)")
        }
        var allowed: [String] = []
        for (index, setting) in settings.enumerated() {
            do {
                allowed += try Self.clientKeys(setting)
            } catch {
                throw ConfigError(.invalidValue, at: "\(clientsPath)[\(index)]", error.message)
            }
        }
        do {
            try self.init(keys: keys, allowedClients: allowed)
        } catch {
            throw ConfigError(.invalidValue, at: clientsPath, error.message)
        }
    }

    /// Whether a setting is a key itself rather than a path: a Z85 key that names no file.
    private static func isKeyValue(_ setting: String) -> Bool {
        CurveKey.problem(setting) == nil && !FileManager.default.fileExists(atPath: setting)
    }

    /// The keys one `allowedClients` entry stands for: a key, a file of keys, or a folder's `*.pub` files.
    static func clientKeys(_ setting: String) throws(BusError) -> [String] {
        if isKeyValue(setting) { return [setting] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: setting, isDirectory: &isDirectory) else {
            throw BusError(.config, "'\(setting)' is neither a Z85 key (40 characters) nor a file or folder of keys")
        }
        guard isDirectory.boolValue else { return try CurveKeyFile.readKeys(file: setting) }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: setting)
        } catch {
            throw BusError(.config, "cannot list \(setting): \(error.localizedDescription)")
        }
        // Only *.pub: a folder may also hold secret keys, which must never become allow-list entries by accident.
        var keys: [String] = []
        for name in names.sorted() where name.hasSuffix(".pub") && name != CurveKeyFile.Name.serverPublic {
            keys += try CurveKeyFile.readKeys(file: (setting as NSString).appendingPathComponent(name))
        }
        guard !keys.isEmpty else { throw BusError(.config, "the folder \(setting) holds no *.pub client key files") }
        return keys
    }
}

/// A subscriber's side of CURVE: the gateway's public key and the subscriber's own key pair,
/// whose public key must be on the gateway's allow-list.
public struct BusCurveClient: Sendable, Equatable {
    /// The public key of the gateway (server) subscribed to.
    public var serverPublicKey: String
    /// The subscriber's own key pair.
    public var keys: CurveKeyPair

    /// A client of the server with `serverPublicKey`, using `keys`.
    public init(serverPublicKey: String, keys: CurveKeyPair) throws(BusError) {
        if let problem = CurveKey.problem(serverPublicKey) { throw BusError(.config, "the server public key \(problem)") }
        self.serverPublicKey = serverPublicKey
        self.keys = keys
    }

    /// The quick start of `gateway keys generate --out DIR`: `DIR/client.key`, `DIR/client.pub` and `DIR/server.pub`.
    public init(directory: String) throws(BusError) {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        let keys = try CurveKeyPair(publicKey: CurveKeyFile.readKey(file: path(CurveKeyFile.Name.clientPublic)),
                                    secretKey: CurveKeyFile.readSecretKey(file: path(CurveKeyFile.Name.clientSecret)))
        try self.init(serverPublicKey: CurveKeyFile.readKey(file: path(CurveKeyFile.Name.serverPublic)), keys: keys)
    }
}

extension BusCurveServer {
    /// The client this server's own process subscribes with: ``localClient``, or a throwaway pair
    /// made now and added to the allow-list (its secret never leaves memory).
    public mutating func makeLocalClient() throws(BusError) -> BusCurveClient {
        let pair: CurveKeyPair
        if let localClient { pair = localClient } else { pair = try CurveKeyPair.generate() }
        allowedClients.insert(pair.publicKey)
        localClient = pair
        return try BusCurveClient(serverPublicKey: keys.publicKey, keys: pair)
    }
}
