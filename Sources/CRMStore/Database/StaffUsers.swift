import Foundation
import GRDB
import GatewayCore

/// A staff member who may sign in to the dashboard.
public struct StaffUser: Sendable, Equatable {
    /// The sign-in name.
    public var name: String
    /// A slow password hash (bcrypt); the password itself is never stored.
    public var passwordHash: String
    /// When the user was created, RFC 3339.
    public var createdAt: String
    /// When the hash last changed, RFC 3339.
    public var updatedAt: String

    /// Creates a user record.
    public init(name: String, passwordHash: String, createdAt: String, updatedAt: String) {
        self.name = name
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension CRMDatabase {
    /// Every staff user, by name.
    public func staffUsers() throws(CRMStoreError) -> [StaffUser] {
        try reading("read staff users") { db in
            try Row.fetchAll(db, sql: "SELECT name, password_hash, created_at, updated_at FROM staff_users ORDER BY name").map {
                StaffUser(name: $0[0], passwordHash: $0[1], createdAt: $0[2], updatedAt: $0[3])
            }
        }
    }

    /// The staff user called `name`, or `nil`.
    public func staffUser(named name: String) throws(CRMStoreError) -> StaffUser? {
        try reading("read a staff user") { db in
            try Row.fetchOne(db, sql: "SELECT name, password_hash, created_at, updated_at FROM staff_users WHERE name = ?",
                             arguments: [name]).map { StaffUser(name: $0[0], passwordHash: $0[1], createdAt: $0[2], updatedAt: $0[3]) }
        }
    }

    /// The number of staff users.
    public func staffUserCount() throws(CRMStoreError) -> Int {
        try reading("count staff users") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM staff_users") ?? 0 }
    }

    /// Creates the user, or replaces the password hash of an existing one (a password reset).
    ///
    /// - Returns: `true` when the user is new.
    @discardableResult
    public func saveStaffUser(name: String, passwordHash: String) throws(CRMStoreError) -> Bool {
        let now = Timestamp.now().rfc3339
        return try writing("save staff user") { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM staff_users WHERE name = ?)", arguments: [name]) ?? false
            try db.execute(sql: """
                INSERT INTO staff_users (name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at
                """, arguments: [name, passwordHash, now, now])
            return !existed
        }
    }

    /// Creates the user only when there are no staff users at all, atomically: two processes starting
    /// at once must not both create a first user with different passwords.
    ///
    /// - Returns: `true` when the user was created.
    public func createFirstStaffUser(name: String, passwordHash: String) throws(CRMStoreError) -> Bool {
        let now = Timestamp.now().rfc3339
        return try writing("create the first staff user") { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM staff_users") == 0 else { return false }
            try db.execute(sql: "INSERT INTO staff_users (name, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, passwordHash, now, now])
            return true
        }
    }

    /// Removes a staff user. - Returns: `true` when there was one.
    @discardableResult
    public func deleteStaffUser(named name: String) throws(CRMStoreError) -> Bool {
        try writing("delete staff user") { db in
            try db.execute(sql: "DELETE FROM staff_users WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }
}
