import Foundation
import Logging
import Testing

@testable import GatewayCore

/// The key-file steps of `gateway keys rotate` and their resumption after a crash at each step.
@Suite("Token key rotation: key files")
struct TokenRotationKeyFileTests {
    /// A scratch folder holding a key file, removed when the test ends.
    final class Folder {
        let path: String
        let keyFile: String
        let logger = Logger(label: "TokenRotationKeyFileTests", factory: { _ in SwiftLogNoOpLogHandler() })

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("token-key-\(UUID().uuidString)").path
            keyFile = "\(path)/data/token.key"
            // As a gateway's first start makes it.
            _ = try CustomerTokenizer.load(file: keyFile, environment: [:])
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }

        func rotation() throws -> TokenKeyRotation {
            try TokenKeyRotation(keyFile: keyFile, environment: [:], logger: logger)
        }

        func exists(_ file: String) -> Bool { FileManager.default.fileExists(atPath: file) }
    }

    private static func mode(_ file: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        return try #require(attributes[.posixPermissions] as? NSNumber).intValue & 0o777
    }

    /// Whether two tokenizers hold the same key, judged by what they compute.
    private static func same(_ a: CustomerTokenizer, _ b: CustomerTokenizer) -> Bool {
        ["C-1", "C-2", "loyalty-0042"].allSatisfy { a.token(for: $0) == b.token(for: $0) }
    }

    @Test("a fresh key file is made once, mode 0600, and loaded again as it is")
    func loadCreatesTheKeyOnce() throws {
        let folder = try Folder()
        #expect(try Self.mode(folder.keyFile) == 0o600)
        let first = try CustomerTokenizer.load(file: folder.keyFile, environment: [:])
        let second = try CustomerTokenizer.load(file: folder.keyFile, environment: [:])
        #expect(Self.same(first, second))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(folder.path)/data")
        #expect(leftovers == ["token.key"], "no temporary file is left behind")
    }

    @Test("a rotation moves the new key into place and keeps the old one as .previous")
    func fullRotation() throws {
        let folder = try Folder()
        let old = try CustomerTokenizer.read(keyFile: folder.keyFile)
        let rotation = try folder.rotation()
        let keys = try rotation.prepare()
        #expect(!keys.resumed)
        #expect(Self.same(keys.current, old))
        #expect(keys.previous == nil)
        #expect(!Self.same(keys.new, old))
        #expect(folder.exists(rotation.newKeyFile))
        #expect(try Self.mode(rotation.newKeyFile) == 0o600)
        #expect(rotation.isInterrupted)

        try rotation.install()
        #expect(!folder.exists(rotation.newKeyFile))
        #expect(!rotation.isInterrupted)
        #expect(Self.same(try CustomerTokenizer.read(keyFile: folder.keyFile), keys.new))
        #expect(Self.same(try CustomerTokenizer.read(keyFile: rotation.previousKeyFile), old))
        #expect(try Self.mode(folder.keyFile) == 0o600)
        #expect(try Self.mode(rotation.previousKeyFile) == 0o600)
        let installed = try rotation.installedKeys()
        #expect(Self.same(installed.current, keys.new))
        #expect(installed.previous.map { Self.same($0, old) } == true)
    }

    @Test("a second rotation sweeps from both former keys and replaces .previous")
    func secondRotation() throws {
        let folder = try Folder()
        let rotation = try folder.rotation()
        let first = try rotation.prepare()
        try rotation.install()
        let second = try rotation.prepare()
        #expect(second.former.count == 2)
        #expect(Self.same(second.former[0], first.new))
        #expect(Self.same(second.former[1], first.current))
        try rotation.install()
        #expect(Self.same(try CustomerTokenizer.read(keyFile: rotation.previousKeyFile), first.new))
    }

    @Test("killed after writing .new: the next run reuses that key")
    func resumeAfterNewKeyWritten() throws {
        let folder = try Folder()
        let old = try CustomerTokenizer.read(keyFile: folder.keyFile)
        let interrupted = try folder.rotation().prepare()
        // The process dies here (before or after its commit: the store step is idempotent either way).
        let rotation = try folder.rotation()
        #expect(rotation.isInterrupted)
        #expect {
            try rotation.installedKeys()
        } throws: { error in
            (error as? GatewayCoreError)?.code == .tokenKey && "\(error)".contains("interrupted")
        }
        let resumed = try rotation.prepare()
        #expect(resumed.resumed)
        #expect(Self.same(resumed.new, interrupted.new), "the key the store may already carry is kept")
        #expect(Self.same(resumed.current, old))
        try rotation.install()
        #expect(Self.same(try CustomerTokenizer.read(keyFile: folder.keyFile), interrupted.new))
        #expect(Self.same(try CustomerTokenizer.read(keyFile: rotation.previousKeyFile), old))
    }

    @Test("killed between keeping .previous and the rename: the key file still holds the old key, and the next run finishes")
    func resumeBetweenCopyAndRename() throws {
        let folder = try Folder()
        let old = try CustomerTokenizer.read(keyFile: folder.keyFile)
        let rotation = try folder.rotation()
        let keys = try rotation.prepare()
        try rotation.keepPrevious()
        // The process dies here: the key file was never missing and still is the old key.
        #expect(Self.same(try CustomerTokenizer.read(keyFile: folder.keyFile), old))
        #expect(Self.same(try CustomerTokenizer.load(file: folder.keyFile, environment: [:]), old),
                "a gateway starting now uses the old key rather than making one")
        let resumed = try folder.rotation().prepare()
        #expect(resumed.resumed)
        #expect(Self.same(resumed.new, keys.new))
        #expect(Self.same(resumed.current, old))
        #expect(resumed.previous.map { Self.same($0, old) } == true)
        try rotation.install()
        #expect(Self.same(try CustomerTokenizer.read(keyFile: folder.keyFile), keys.new))
        #expect(Self.same(try CustomerTokenizer.read(keyFile: rotation.previousKeyFile), old))
    }

    @Test("install without a prepared key is refused and changes nothing")
    func installWithoutNewKey() throws {
        let folder = try Folder()
        let old = try CustomerTokenizer.read(keyFile: folder.keyFile)
        let rotation = try folder.rotation()
        #expect(throws: GatewayCoreError.self) { try rotation.install() }
        #expect(Self.same(try CustomerTokenizer.read(keyFile: folder.keyFile), old))
        #expect(!folder.exists(rotation.previousKeyFile))
    }

    @Test("GATEWAY_TOKEN_KEY set: the rotation is refused, naming the variable")
    func environmentKeyIsRefused() throws {
        let folder = try Folder()
        #expect {
            try TokenKeyRotation(keyFile: folder.keyFile, environment: ["GATEWAY_TOKEN_KEY": String(repeating: "ab", count: 32)],
                                 logger: folder.logger)
        } throws: { error in
            (error as? GatewayCoreError)?.code == .tokenKey && "\(error)".contains("GATEWAY_TOKEN_KEY")
        }
    }

    @Test("no key file: nothing to rotate, and no key is made")
    func missingKeyFile() throws {
        let folder = try Folder()
        let rotation = try TokenKeyRotation(keyFile: "\(folder.path)/elsewhere/token.key", environment: [:], logger: folder.logger)
        #expect {
            try rotation.prepare()
        } throws: { error in
            "\(error)".contains("nothing to rotate")
        }
        #expect(!folder.exists(rotation.keyFile))
        #expect(!folder.exists(rotation.newKeyFile))
    }

    @Test("one rotation of a key file at a time")
    func lockExcludesASecondRotation() throws {
        let folder = try Folder()
        let rotation = try folder.rotation()
        let held = try rotation.lock()
        #expect {
            try folder.rotation().lock()
        } throws: { error in
            "\(error)".contains("another rotation")
        }
        held.release()
        let again = try rotation.lock()
        again.release()
    }

    @Test("a key written over another replaces it whole")
    func writeReplacesAtomically() throws {
        let folder = try Folder()
        let file = "\(folder.path)/data/other.key"
        let first = CustomerTokenizer.generateKey()
        let second = CustomerTokenizer.generateKey()
        #expect(try CustomerTokenizer.write(keyBytes: first, to: file))
        #expect(try !CustomerTokenizer.write(keyBytes: second, to: file, exclusive: true), "exclusive leaves an existing key alone")
        #expect(Self.same(try CustomerTokenizer.read(keyFile: file), CustomerTokenizer(keyBytes: first)))
        #expect(try CustomerTokenizer.write(keyBytes: second, to: file))
        #expect(Self.same(try CustomerTokenizer.read(keyFile: file), CustomerTokenizer(keyBytes: second)))
        #expect(try Self.mode(file) == 0o600)
    }
}
