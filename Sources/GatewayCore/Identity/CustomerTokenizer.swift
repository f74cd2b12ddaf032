import Crypto
import Foundation

/// Derives the pseudonymous token that stands for a customer on the bus, in the journal and on the dashboard.
///
/// The token is a keyed HMAC-SHA256 of the customer id, truncated to 128 bits and written as 32 hex
/// digits. Without the key nobody can link a token to a loyalty number, and the key lives outside
/// the database (a file or an environment variable). The key can be replaced with
/// ``TokenKeyRotation`` (`gateway keys rotate`).
public struct CustomerTokenizer: Sendable {
    private let keyBytes: [UInt8]

    /// The environment variable that, when set, holds the key as hex; it takes precedence over the file.
    public static let environmentVariable = "GATEWAY_TOKEN_KEY"

    /// The size of the keys this type generates: 256 bits, SHA-256's block-size-safe choice for HMAC.
    public static let generatedKeyByteCount = 32

    /// Creates a tokenizer with raw key bytes (at least 16).
    public init(keyBytes: [UInt8]) {
        self.keyBytes = keyBytes
    }

    /// The token of a customer id.
    public func token(for customerID: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(customerID.utf8), using: SymmetricKey(data: keyBytes))
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(32)
        for byte in mac.prefix(16) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// Loads the key from `GATEWAY_TOKEN_KEY`, else from `file`, creating the file (mode 0600) with a
    /// fresh random key when it does not exist yet.
    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CustomerTokenizer {
        if let hex = environment[environmentVariable] {
            guard let bytes = parse(hex) else {
                throw GatewayCoreError(.tokenKey, "\(environmentVariable) must hold at least 32 hex digits")
            }
            return CustomerTokenizer(keyBytes: bytes)
        }
        if FileManager.default.fileExists(atPath: file) {
            return try read(keyFile: file)
        }
        let directory = (file as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw GatewayCoreError(.tokenKey, "cannot create token key file \(file): \(error.localizedDescription)")
            }
        }
        let bytes = generateKey()
        // Exclusive: when two processes start on a fresh data folder at once (a gateway and an import),
        // the second must use the first one's key, not replace it with its own.
        if try write(keyBytes: bytes, to: file, exclusive: true) {
            return CustomerTokenizer(keyBytes: bytes)
        }
        return try read(keyFile: file)
    }

    /// A fresh random key of ``generatedKeyByteCount`` bytes.
    public static func generateKey() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// Reads the key in `keyFile`: at least 32 hex digits, surrounding white space ignored.
    ///
    /// - Throws: ``GatewayCoreError/Code/tokenKey`` when the file cannot be read or holds no usable key.
    public static func read(keyFile: String) throws(GatewayCoreError) -> CustomerTokenizer {
        let text: String
        do {
            text = try String(contentsOfFile: keyFile, encoding: .utf8)
        } catch {
            throw GatewayCoreError(.tokenKey, "cannot read token key file \(keyFile): \(error.localizedDescription)")
        }
        guard let bytes = parse(text) else {
            throw GatewayCoreError(.tokenKey, "token key file \(keyFile) must hold at least 32 hex digits")
        }
        return CustomerTokenizer(keyBytes: bytes)
    }

    /// Writes `keyBytes` as hex to `file`, mode 0600, so that a crash at any moment leaves either the
    /// old file or the whole new one, never a part of it.
    ///
    /// The key goes to a temporary file beside `file` (created 0600, so it is never readable by others),
    /// is synced, and is then renamed over `file` (or, with `exclusive`, linked to it, which fails when
    /// `file` exists); the folder is synced so the name survives a power cut too.
    ///
    /// - Returns: `false` when `exclusive` and `file` already existed (nothing was changed); else `true`.
    /// - Throws: ``GatewayCoreError/Code/tokenKey`` when the file cannot be written.
    @discardableResult
    public static func write(keyBytes: [UInt8], to file: String, exclusive: Bool = false) throws(GatewayCoreError) -> Bool {
        let hex = keyBytes.map { String(format: "%02x", $0) }.joined() + "\n"
        return try KeyFileSystem.writeAtomically(Array(hex.utf8), to: file, exclusive: exclusive)
    }

    /// The key bytes of `text` (hex, at least 16 bytes); `nil` when it is not one.
    static func parse(_ text: String) -> [UInt8]? {
        guard let id = TagID(hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), id.byteCount >= 16 else { return nil }
        return id.bytes
    }
}
