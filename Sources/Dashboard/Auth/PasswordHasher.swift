import HummingbirdBcrypt

/// bcrypt, the slow hash staff passwords are kept under.
public enum PasswordHasher {
    /// The work factor for new hashes: 2^11 rounds, a few hundred milliseconds on a store's box, so
    /// a stolen database is expensive to attack and a sign-in still feels instant.
    public static let defaultCost: UInt8 = 11

    /// Hashes `password` with a fresh salt.
    public static func hash(_ password: String, cost: UInt8 = defaultCost) -> String {
        // Below 10 would make offline guessing cheap; the issue's floor.
        Bcrypt.hash(password, cost: max(10, cost))
    }

    /// Whether `password` matches `hash`; `false` for a malformed hash.
    public static func verify(_ password: String, hash: String) -> Bool {
        guard isHash(hash) else { return false }
        return Bcrypt.verify(password, hash: hash)
    }

    /// Whether `text` looks like a bcrypt hash: `$2a$`, `$2b$` or `$2y$`, a two-digit cost, 53 characters of salt and digest.
    public static func isHash(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]), bytes[3] == UInt8(ascii: "$"),
              bytes[6] == UInt8(ascii: "$") else { return false }
        return bytes[4...5].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// Rules for sign-in names: short, printable, no spaces, so they survive logs and forms unchanged.
public enum StaffUserName {
    /// Why `name` is not acceptable, or `nil` when it is.
    public static func problem(_ name: String) -> String? {
        guard !name.isEmpty, name.count <= 64 else { return "must be 1 to 64 characters" }
        let allowed = name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-@".unicodeScalars.contains($0) }
        return allowed ? nil : "may contain only letters, digits, '.', '_', '-' and '@'"
    }
}
