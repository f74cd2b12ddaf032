import CRMStore
import Foundation
import Logging

/// Who may sign in: users from the config file, then staff users in the CRM store.
///
/// The store is read on every sign-in rather than cached, so `gateway users add` takes effect in a
/// running gateway without a restart.
public struct StaffDirectory: Sendable {
    let configured: [String: String]
    let database: CRMDatabase?
    let logger: Logger

    /// Creates a directory over config users and, when given, the CRM store.
    public init(configured: [DashboardConfig.User], database: CRMDatabase?, logger: Logger) {
        var byName: [String: String] = [:]
        for user in configured { byName[user.name] = user.passwordHash }
        self.configured = byName
        self.database = database
        self.logger = logger
    }

    /// The stored hash for `name`, or `nil` when there is no such user.
    func hash(for name: String) -> String? {
        if let hash = configured[name] { return hash }
        do {
            return try database?.staffUser(named: name)?.passwordHash
        } catch {
            logger.warning("dashboard: cannot read staff users: \(error)")
            return nil
        }
    }

    /// Whether `password` is `name`'s. Unknown names still pay for one hash, so timing does not tell
    /// an attacker which names exist.
    public func verify(name: String, password: String) -> Bool {
        guard let hash = hash(for: name) else {
            _ = PasswordHasher.verify(password, hash: Self.decoy)
            return false
        }
        return PasswordHasher.verify(password, hash: hash)
    }

    /// Whether anyone at all can sign in.
    public func isEmpty() throws(DashboardError) -> Bool {
        guard configured.isEmpty else { return false }
        guard let database else { return true }
        do {
            return try database.staffUserCount() == 0
        } catch {
            throw DashboardError(.users, "cannot read staff users: \(error)")
        }
    }

    /// A valid hash of a password no one knows, for the decoy comparison.
    static let decoy = PasswordHasher.hash(UUID().uuidString, cost: 10)

    /// On first run, when no one can sign in, creates `manager` with a random password in the CRM
    /// store and writes the password to `passwordFile` (mode 0600) so the demo needs no extra steps.
    ///
    /// - Returns: the password file when a user was created, else `nil`.
    public func bootstrapFirstUser(passwordFile: String) throws(DashboardError) -> String? {
        guard try isEmpty(), let database else { return nil }
        let password = Self.randomPassword()
        let created: Bool
        do {
            created = try database.createFirstStaffUser(name: "manager", passwordHash: PasswordHasher.hash(password))
        } catch {
            throw DashboardError(.users, "cannot create the first staff user: \(error)")
        }
        guard created else { return nil }
        try Self.writeSecret(password + "\n", to: passwordFile)
        return passwordFile
    }

    /// 16 random characters from an unambiguous alphabet (no 0/O, 1/l): about 90 bits, easy to type.
    static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }

    /// Writes `text` to a new file only its owner can read; an existing file is replaced.
    static func writeSecret(_ text: String, to path: String) throws(DashboardError) {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        unlink(path)
        // Created 0600 from the start: a file briefly readable by others would leak the password.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw DashboardError(.passwordFile, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw DashboardError(.passwordFile, "cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}
