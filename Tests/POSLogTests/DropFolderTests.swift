import Foundation
import GatewayCore
import POSIngest
import Testing
@testable import POSLog

/// The drop folder, driven scan by scan: a file is taken only once it was unchanged between two scans.
@Suite struct DropFolderTests {
    struct Setup {
        let folder: URL
        let sink: TransactionSink
        let watcher: POSDropFolder
    }

    static func setup() throws -> Setup {
        let folder = try temporaryFolder()
        let sink = makeSink()
        let source = POSSource(format: POSLogFormat(parser: utcParser), options: POSSourceOptions(path: nil, dropFolder: folder.path), sink: sink)
        let ledger = try POSLedger(path: folder.appendingPathComponent(".ledger").path, retention: .seconds(86_400), logger: quietLogger)
        let watcher = POSDropFolder(folder: folder.path, source: source, ingestor: POSIngestor(ledger: ledger, logger: quietLogger),
                                    fileExtension: "xml", maxBytes: 1 << 20, poll: .milliseconds(50), logger: quietLogger)
        try watcher.prepare()
        return Setup(folder: folder, sink: sink, watcher: watcher)
    }

    @Test("good files move to done/, broken ones to failed/ with a reason; others are left alone")
    func doneAndFailed() async throws {
        let setup = try Self.setup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let fm = FileManager.default
        try Data(try Fixture.bytes("ncr-acs-SMALL.xml")).write(to: setup.folder.appendingPathComponent("export-1.xml"))
        try Data("<POSLog xmlns=\"\(arts)\"><Transaction>".utf8).write(to: setup.folder.appendingPathComponent("broken.xml"))
        try Data("not for us".utf8).write(to: setup.folder.appendingPathComponent("notes.txt"))
        try Data("<POSLog/>".utf8).write(to: setup.folder.appendingPathComponent(".in-progress.xml"))

        let first = await setup.watcher.scan(previous: [:])
        #expect(first.keys.sorted() == ["broken.xml", "export-1.xml"], "seen once, not yet taken")
        #expect(drain(setup.sink).isEmpty)

        _ = await setup.watcher.scan(previous: first)
        #expect(fm.fileExists(atPath: setup.folder.appendingPathComponent("done/export-1.xml").path))
        #expect(fm.fileExists(atPath: setup.folder.appendingPathComponent("failed/broken.xml").path))
        let reason = try String(contentsOf: setup.folder.appendingPathComponent("failed/broken.xml.reason.txt"), encoding: .utf8)
        #expect(reason.contains("malformed") && reason.contains("line "), "\(reason)")
        #expect(!fm.fileExists(atPath: setup.folder.appendingPathComponent("export-1.xml").path))
        #expect(fm.fileExists(atPath: setup.folder.appendingPathComponent("notes.txt").path))
        #expect(fm.fileExists(atPath: setup.folder.appendingPathComponent(".in-progress.xml").path))
        #expect(drain(setup.sink).map(\.key) == ["9/34/2017-09-30/161"])
    }

    @Test("a file still growing between scans is not taken; the same export dropped twice is duplicated, not re-published")
    func growingAndDuplicate() async throws {
        let setup = try Self.setup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let path = setup.folder.appendingPathComponent("late.xml")
        let bytes = try Fixture.bytes("ncr-acs-SMALL.xml")
        try Data(bytes.prefix(1_000)).write(to: path)
        let first = await setup.watcher.scan(previous: [:])
        try Data(bytes).write(to: path)
        let second = await setup.watcher.scan(previous: first)
        #expect(FileManager.default.fileExists(atPath: path.path), "changed since the last scan: left for the next one")
        _ = await setup.watcher.scan(previous: second)
        #expect(FileManager.default.fileExists(atPath: setup.folder.appendingPathComponent("done/late.xml").path))
        #expect(drain(setup.sink).count == 1)

        try Data(bytes).write(to: path)
        let again = await setup.watcher.scan(previous: [:])
        _ = await setup.watcher.scan(previous: again)
        #expect(FileManager.default.fileExists(atPath: setup.folder.appendingPathComponent("done/late.2.xml").path), "never overwrites")
        #expect(drain(setup.sink).isEmpty, "already in the ledger")
    }

    @Test("the watcher service loop picks up a file on its own (deadline, not sleep)")
    func runLoop() async throws {
        let setup = try Self.setup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let task = Task { try await setup.watcher.run() }
        defer { task.cancel() }
        try Data(try Fixture.bytes("ncr-acs-SMALL.xml")).write(to: setup.folder.appendingPathComponent("a.xml"))
        var got: [PosTransaction] = []
        let done = await waitUntil {
            got += drain(setup.sink)
            return FileManager.default.fileExists(atPath: setup.folder.appendingPathComponent("done/a.xml").path) && !got.isEmpty
        }
        #expect(done)
        #expect(got.count == 1)
    }

    @Test("dropFolder on a format without files is a config error naming the key path")
    func dropFolderOption() throws {
        struct NoFiles: POSDocumentFormat {
            var driver: String { "square" }
            var defaultPath: String { "/pos/square" }
            var usesBearerToken: Bool { false }
            func parse(_ request: POSRequest) throws(POSIngestError) -> POSDocument { POSDocument(transactions: []) }
        }
        let source = SourceConfig(name: "sq", driver: "square", kind: .transactions, options: ["dropFolder": "in"], path: "sources[2]")
        #expect(throws: ConfigError(.invalidValue, at: "sources[2].options.dropFolder", "the square format has no files to pick up")) {
            try POSSourceOptions(source: source, format: NoFiles())
        }
        let poslog = SourceConfig(name: "p", driver: "poslog", kind: .transactions, options: ["dropFolder": "in", "http": "false"], path: "sources[3]")
        let options = try POSSourceOptions(source: poslog, format: POSLogFormat(parser: utcParser))
        #expect(options.path == nil && options.dropFolder == "in")
    }
}
