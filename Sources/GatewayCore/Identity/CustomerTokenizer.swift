import Crypto
import Foundation

/// Derives the pseudonymous token that stands for a customer on the bus, in the journal and on the dashboard.
///
/// The token is a keyed HMAC-SHA256 of the customer id, truncated to 128 bits and written as 32 hex
/// digits. Without the key nobody can link a token to a loyalty number, and the key lives outside
/// the database (a file or an environment variable).
public struct CustomerTokenizer: Sendable {
    private let keyBytes: [UInt8]

    /// The environment variable that, when set, holds the key as hex; it takes precedence over the file.
    public static let environmentVariable = "GATEWAY_TOKEN_KEY"

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
            guard let id = TagID(hex: hex.trimmingCharacters(in: .whitespacesAndNewlines)), id.byteCount >= 16 else {
                throw GatewayCoreError(.tokenKey, "\(environmentVariable) must hold at least 32 hex digits")
            }
            return CustomerTokenizer(keyBytes: id.bytes)
        }
        let manager = FileManager.default
        if manager.fileExists(atPath: file) {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw GatewayCoreError(.tokenKey, "cannot read token key file \(file): \(error.localizedDescription)")
            }
            guard let id = TagID(hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), id.byteCount >= 16 else {
                throw GatewayCoreError(.tokenKey, "token key file \(file) must hold at least 32 hex digits")
            }
            return CustomerTokenizer(keyBytes: id.bytes)
        }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let directory = (file as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            let hex = bytes.map { String(format: "%02x", $0) }.joined() + "\n"
            guard manager.createFile(atPath: file, contents: Data(hex.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw GatewayCoreError(.tokenKey, "cannot create token key file \(file)")
            }
        } catch let error as GatewayCoreError {
            throw error
        } catch {
            throw GatewayCoreError(.tokenKey, "cannot create token key file \(file): \(error.localizedDescription)")
        }
        return CustomerTokenizer(keyBytes: bytes)
    }
}
