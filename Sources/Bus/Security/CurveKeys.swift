import CZeroMQ
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CURVE keys as ZeroMQ writes them: 32 bytes in Z85, 40 characters.
public enum CurveKey {
    /// The length of a Z85 key.
    public static let length = 40

    /// Whether the linked libzmq was built with CURVE (libsodium or its own tweetnacl).
    public static var isAvailable: Bool { zmq_has("curve") == 1 }

    /// What is wrong with `text` as a Z85 key, or `nil` when it is one.
    public static func problem(_ text: String) -> String? {
        guard text.utf8.count == length else {
            return "is not a CURVE key: \(text.utf8.count) characters where a Z85 key has \(length)"
        }
        guard binary(text) != nil else { return "is not a CURVE key: it has characters outside Z85" }
        return nil
    }

    /// The 32 bytes of a Z85 key; `nil` when it is not one.
    static func binary(_ text: String) -> [UInt8]? {
        guard text.utf8.count == length, text.utf8.allSatisfy({ z85Alphabet.contains($0) }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        let decoded = bytes.withUnsafeMutableBufferPointer { zmq_z85_decode($0.baseAddress, text) }
        return decoded == nil ? nil : bytes
    }

    /// The Z85 text of 32 key bytes.
    static func text(_ bytes: [UInt8]) -> String {
        precondition(bytes.count == 32, "a CURVE key is 32 bytes")
        var buffer = [CChar](repeating: 0, count: length + 1)
        _ = buffer.withUnsafeMutableBufferPointer { zmq_z85_encode($0.baseAddress, bytes, bytes.count) }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // ZeroMQ's decoder maps bytes outside the alphabet to a sentinel it does not check in every
    // version, so the alphabet is checked here first (rfc.zeromq.org/spec/32).
    private static let z85Alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
}

/// A CURVE key pair in Z85: the public key is handed out, the secret key never leaves its machine.
public struct CurveKeyPair: Sendable, Equatable {
    /// The public key.
    public let publicKey: String
    /// The secret key.
    public let secretKey: String

    /// A fresh key pair from the system's random source.
    public static func generate() throws(BusError) -> CurveKeyPair {
        guard CurveKey.isAvailable else { throw BusError(.config, "this libzmq was built without CURVE; keys cannot be generated") }
        var publicKey = [CChar](repeating: 0, count: CurveKey.length + 1)
        var secretKey = [CChar](repeating: 0, count: CurveKey.length + 1)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw BusError(.config, "cannot generate a CURVE key pair: \(ZMQContext.lastErrorDescription)")
        }
        func text(_ chars: [CChar]) -> String { String(decoding: chars.prefix(CurveKey.length).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CurveKeyPair(checkedPublicKey: text(publicKey), secretKey: text(secretKey))
    }

    /// The pair of `secretKey`, with its public key derived from it.
    public init(secretKey: String) throws(BusError) {
        if let problem = CurveKey.problem(secretKey) { throw BusError(.config, "the secret key \(problem)") }
        var derived = [CChar](repeating: 0, count: CurveKey.length + 1)
        guard zmq_curve_public(&derived, secretKey) == 0 else {
            throw BusError(.config, "cannot derive the public key of a secret key: \(ZMQContext.lastErrorDescription)")
        }
        self.init(checkedPublicKey: String(decoding: derived.prefix(CurveKey.length).map { UInt8(bitPattern: $0) }, as: UTF8.self),
                  secretKey: secretKey)
    }

    /// A pair read from elsewhere; throws when `publicKey` is not the public key of `secretKey`,
    /// which would otherwise show up only as handshakes that silently never complete.
    public init(publicKey: String, secretKey: String) throws(BusError) {
        if let problem = CurveKey.problem(publicKey) { throw BusError(.config, "the public key \(problem)") }
        let derived = try CurveKeyPair(secretKey: secretKey)
        guard derived.publicKey == publicKey else {
            throw BusError(.config, "the public key \(publicKey) does not belong to the secret key (its public key is \(derived.publicKey))")
        }
        self = derived
    }

    private init(checkedPublicKey: String, secretKey: String) {
        self.publicKey = checkedPublicKey
        self.secretKey = secretKey
    }
}

/// Key files: one Z85 key on one line; secret key files readable by their owner only.
public enum CurveKeyFile {
    /// The files `gateway keys generate` writes, by role.
    public enum Name {
        /// The gateway's secret key: stays on the gateway.
        public static let serverSecret = "server.key"
        /// The gateway's public key: every subscriber needs it.
        public static let serverPublic = "server.pub"
        /// A subscriber's secret key: stays with the subscriber.
        public static let clientSecret = "client.key"
        /// A subscriber's public key: goes on the gateway's allow-list.
        public static let clientPublic = "client.pub"
    }

    /// Writes a fresh server pair and client pair into `directory` (created, mode 0700, when missing).
    ///
    /// - Parameter force: replace existing key files; without it any existing one is an error and nothing is written.
    /// - Returns: the server pair and the client pair written.
    /// - Throws: ``BusError`` with code `.config` when a file exists (without `force`) or cannot be written.
    @discardableResult
    public static func generate(directory: String, force: Bool = false) throws(BusError) -> (server: CurveKeyPair, client: CurveKeyPair) {
        let names = [Name.serverSecret, Name.serverPublic, Name.clientSecret, Name.clientPublic]
        let paths = names.map { (directory as NSString).appendingPathComponent($0) }
        if !force, let existing = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw BusError(.config, "\(existing) exists; keys are never overwritten by accident (use --force to replace them)")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw BusError(.config, "cannot create \(directory): \(error.localizedDescription)")
        }
        let server = try CurveKeyPair.generate()
        let client = try CurveKeyPair.generate()
        // Public keys first: a run cut short never leaves a secret key without its public half.
        try write(server.publicKey, to: paths[1], mode: 0o644)
        try write(client.publicKey, to: paths[3], mode: 0o644)
        try write(server.secretKey, to: paths[0], mode: 0o600)
        try write(client.secretKey, to: paths[2], mode: 0o600)
        return (server, client)
    }

    /// Writes one key and a newline to a new file created with `mode`, replacing any file there.
    static func write(_ key: String, to path: String, mode: mode_t) throws(BusError) {
        _ = unlink(path)
        // Created with its final mode, so a secret key is never readable by others, not even for a moment.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw BusError(.config, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array((key + "\n").utf8)
        let written = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw BusError(.config, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        // The umask may have taken bits off; the mode asked for is the mode meant.
        _ = fchmod(fd, mode)
    }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
        #else
        Darwin.write(fd, buffer, count)
        #endif
    }

    /// The keys in a file: every line that is not empty or a `#` comment must be one Z85 key.
    public static func readKeys(file path: String) throws(BusError) -> [String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw BusError(.config, "cannot read \(path): \(error.localizedDescription)")
        }
        var keys: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if let problem = CurveKey.problem(trimmed) { throw BusError(.config, "\(path) line \(number + 1) \(problem)") }
            keys.append(trimmed)
        }
        return keys
    }

    /// The one key in a file.
    public static func readKey(file path: String) throws(BusError) -> String {
        let keys = try readKeys(file: path)
        guard keys.count == 1 else { throw BusError(.config, "\(path) holds \(keys.count) keys where one is expected") }
        return keys[0]
    }

    /// The one secret key in a file that only its owner may read.
    ///
    /// A secret key others can read is as good as published: whoever reads it can pose as its owner.
    public static func readSecretKey(file path: String) throws(BusError) -> String {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            throw BusError(.config, "\(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); a secret key must be mode 0600 (chmod 600 \(path))")
        }
        return try readKey(file: path)
    }
}
