import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The steps of `gateway keys rotate` that concern the key files, in the order that makes a crash at
/// any point resumable.
///
/// Beside the key file `K` a rotation uses `K.new` (the key being introduced), `K.previous` (the key it
/// replaced, kept until the operator deletes it) and `K.lock` (held while a rotation runs). The whole
/// rotation is:
///
/// 1. ``prepare()``: write a fresh key to `K.new` (synced, mode 0600), or reuse the one an interrupted
///    rotation left there;
/// 2. the caller re-tokenises the stored tokens with ``Keys/new`` in one durable transaction, mapping
///    from the tokens of ``Keys/former`` too;
/// 3. ``install()``: copy `K` to `K.previous`, then rename `K.new` over `K`.
///
/// `K` exists at every instant and holds a complete key: the old one until the final rename, the new one
/// after it. A crash before step 3 leaves `K.new` behind, and running the rotation again reuses it:
/// step 2 is idempotent (customers that already carry the new token keep it), so it does not matter
/// whether the crash came before or after the commit.
public struct TokenKeyRotation: Sendable {
    /// The keys a rotation works with.
    public struct Keys: Sendable {
        /// The key in the key file: the one the stored tokens were made with, unless the rotation is being resumed after its commit.
        public var current: CustomerTokenizer
        /// The key an earlier rotation replaced (`K.previous`), when the operator has not deleted it.
        public var previous: CustomerTokenizer?
        /// The key being introduced.
        public var new: CustomerTokenizer
        /// Whether ``new`` came from `K.new` left by an interrupted rotation.
        public var resumed: Bool

        /// The keys whose tokens, wherever they are still stored for a known customer, become that
        /// customer's new token: the current key, and the previous one (rows written with it while an
        /// earlier rotation was in flight).
        public var former: [CustomerTokenizer] {
            [current] + (previous.map { [$0] } ?? [])
        }
    }

    /// Held while a rotation runs, so two rotations of one key file never interleave their steps; the
    /// operating system releases it when the process ends, however it ends.
    public final class Lock {
        private var descriptor: Int32

        fileprivate init(descriptor: Int32) {
            self.descriptor = descriptor
        }

        /// Releases the lock; also done on deinit.
        public func release() {
            guard descriptor >= 0 else { return }
            FileSystem.close(descriptor)
            descriptor = -1
        }

        deinit { release() }
    }

    /// The key file being rotated.
    public let keyFile: String
    private let logger: Logger

    /// Where the key being introduced waits until the stored tokens carry it.
    public var newKeyFile: String { keyFile + ".new" }
    /// Where the replaced key is kept until the operator deletes it.
    public var previousKeyFile: String { keyFile + ".previous" }
    /// The lock file of rotations of this key.
    public var lockFile: String { keyFile + ".lock" }

    /// Whether a rotation was interrupted before its last step: `K.new` exists.
    public var isInterrupted: Bool { FileManager.default.fileExists(atPath: newKeyFile) }

    /// A rotation of `keyFile`.
    ///
    /// - Throws: ``GatewayCoreError/Code/tokenKey`` when `GATEWAY_TOKEN_KEY` is set in `environment`:
    ///   the key then comes from whoever sets the variable, and a file this process rewrote would not
    ///   be the key the next gateway runs with.
    public init(keyFile: String, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger) throws(GatewayCoreError) {
        if environment[CustomerTokenizer.environmentVariable] != nil {
            throw GatewayCoreError(.tokenKey, """
                \(CustomerTokenizer.environmentVariable) is set: the token key comes from the environment, not from a file this command \
                may rewrite; rotate it where it is managed (unset the variable to rotate \(keyFile) instead)
                """)
        }
        self.keyFile = keyFile
        self.logger = logger
    }

    /// Takes the rotation lock.
    ///
    /// - Throws: ``GatewayCoreError/Code/tokenKey`` when another rotation of the same key holds it, or
    ///   the lock file cannot be made.
    public func lock() throws(GatewayCoreError) -> Lock {
        let fd = FileSystem.open(lockFile, O_RDWR | O_CREAT, mode: 0o600)
        guard fd >= 0 else { throw GatewayCoreError(.tokenKey, "cannot open \(lockFile): \(FileSystem.lastError)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EAGAIN
            let reason = FileSystem.lastError
            FileSystem.close(fd)
            throw GatewayCoreError(.tokenKey, busy
                ? "another rotation of \(keyFile) is running (it holds \(lockFile))"
                : "cannot lock \(lockFile): \(reason)")
        }
        return Lock(descriptor: fd)
    }

    /// Step 1: the keys of this rotation, with the new key safely in `K.new`.
    ///
    /// A `K.new` already there is an interrupted rotation's key, and is reused rather than replaced:
    /// its tokens may already be committed.
    ///
    /// - Throws: ``GatewayCoreError/Code/tokenKey`` when `K` does not exist (there is nothing to
    ///   rotate, and a missing key more likely means the wrong config), or a file cannot be read or written.
    public func prepare() throws(GatewayCoreError) -> Keys {
        let (current, previous) = try installedKeys(allowingInterrupted: true)
        if FileManager.default.fileExists(atPath: newKeyFile) {
            let new = try CustomerTokenizer.read(keyFile: newKeyFile)
            logger.notice("resuming an interrupted token key rotation", metadata: ["key": "\(newKeyFile)"])
            return Keys(current: current, previous: previous, new: new, resumed: true)
        }
        let bytes = CustomerTokenizer.generateKey()
        try CustomerTokenizer.write(keyBytes: bytes, to: newKeyFile)
        logger.info("new token key written", metadata: ["key": "\(newKeyFile)"])
        return Keys(current: current, previous: previous, new: CustomerTokenizer(keyBytes: bytes), resumed: false)
    }

    /// Step 3, once the stored tokens carry the new key: `K` is kept as `K.previous`, then `K.new` becomes `K`.
    ///
    /// The copy comes first so `K` never goes missing: a gateway or an import starting in between would
    /// otherwise create a fresh key of its own. A crash between the two steps leaves `K.new`, and the
    /// next rotation run copies `K` (still the old key) again and renames.
    ///
    /// - Throws: ``GatewayCoreError/Code/tokenKey`` when there is no `K.new`, or a file cannot be written or renamed.
    public func install() throws(GatewayCoreError) {
        try keepPrevious()
        try promoteNew()
    }

    /// The installed keys (`K`, and `K.previous` when kept), for re-tokenising without a new key.
    ///
    /// - Throws: ``GatewayCoreError/Code/tokenKey`` when `K` is missing or unreadable, or when a rotation
    ///   was interrupted (`K.new` exists): which key the store carries is then for the rotation to settle.
    public func installedKeys() throws(GatewayCoreError) -> (current: CustomerTokenizer, previous: CustomerTokenizer?) {
        try installedKeys(allowingInterrupted: false)
    }

    private func installedKeys(allowingInterrupted: Bool) throws(GatewayCoreError) -> (current: CustomerTokenizer, previous: CustomerTokenizer?) {
        guard FileManager.default.fileExists(atPath: keyFile) else {
            throw GatewayCoreError(.tokenKey, """
                no token key at \(keyFile): nothing to rotate (a gateway makes one on its first start; check privacy.tokenKeyFile \
                and the data folder of the config given)
                """)
        }
        if !allowingInterrupted, isInterrupted {
            throw GatewayCoreError(.tokenKey, "\(newKeyFile) exists: a rotation was interrupted; run `gateway keys rotate` to finish it first")
        }
        let current = try CustomerTokenizer.read(keyFile: keyFile)
        let previous = FileManager.default.fileExists(atPath: previousKeyFile) ? try CustomerTokenizer.read(keyFile: previousKeyFile) : nil
        return (current, previous)
    }

    /// Copies `K` to `K.previous`, atomically and mode 0600.
    func keepPrevious() throws(GatewayCoreError) {
        guard FileManager.default.fileExists(atPath: newKeyFile) else {
            throw GatewayCoreError(.tokenKey, "no \(newKeyFile) to install: run the whole rotation (`gateway keys rotate`)")
        }
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: keyFile)))
        } catch {
            throw GatewayCoreError(.tokenKey, "cannot read token key file \(keyFile): \(error.localizedDescription)")
        }
        try KeyFileSystem.writeAtomically(bytes, to: previousKeyFile, exclusive: false)
    }

    /// Renames `K.new` over `K` and syncs the folder.
    func promoteNew() throws(GatewayCoreError) {
        guard rename(newKeyFile, keyFile) == 0 else {
            throw GatewayCoreError(.tokenKey, "cannot rename \(newKeyFile) to \(keyFile): \(FileSystem.lastError)")
        }
        try KeyFileSystem.syncFolder(of: keyFile)
        logger.info("token key rotated", metadata: ["key": "\(keyFile)", "previous": "\(previousKeyFile)"])
    }
}

/// Key files written so that a crash at any moment leaves the old key or the new one, never half of one.
enum KeyFileSystem {
    /// ``FileSystem/writePrivately(_:to:exclusive:)``, its failure a token-key error.
    static func writeAtomically(_ bytes: [UInt8], to path: String, exclusive: Bool) throws(GatewayCoreError) -> Bool {
        do {
            return try FileSystem.writePrivately(bytes, to: path, exclusive: exclusive)
        } catch {
            throw GatewayCoreError(.tokenKey, error.message)
        }
    }

    /// ``FileSystem/syncFolder(of:)``, its failure a token-key error.
    static func syncFolder(of path: String) throws(GatewayCoreError) {
        do {
            try FileSystem.syncFolder(of: path)
        } catch {
            throw GatewayCoreError(.tokenKey, error.message)
        }
    }
}
