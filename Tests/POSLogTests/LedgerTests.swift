import Foundation
import POSIngest
import Testing

@Suite struct LedgerTests {
    @Test("keys survive a reopen; keys are encoded so odd POS ids cannot break lines")
    func durableAcrossReopen() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("pos-ledger").path
        do {
            let ledger = try POSLedger(path: path, retention: .seconds(86_400), logger: quietLogger)
            try ledger.record(["poslog|9/31/2017-10-01/114", "poslog|odd id/with space\nand newline%"])
            #expect(ledger.contains("poslog|9/31/2017-10-01/114"))
        }
        let reopened = try POSLedger(path: path, retention: .seconds(86_400), logger: quietLogger)
        #expect(reopened.count == 2)
        #expect(reopened.contains("poslog|9/31/2017-10-01/114"))
        #expect(reopened.contains("poslog|odd id/with space\nand newline%"))
        #expect(!reopened.contains("poslog|9/31/2017-10-01/115"))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
    }

    @Test("a torn last line (crash mid-write) is cut off at open; what came before is kept")
    func tornTail() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("pos-ledger").path
        let now = Int(Date().timeIntervalSince1970)
        try Data("\(now) poslog|a\n\(now) poslog|b\n\(now) poslog|c-half".utf8).write(to: URL(fileURLWithPath: path))
        let ledger = try POSLedger(path: path, retention: .seconds(86_400), logger: quietLogger)
        #expect(ledger.contains("poslog|a"))
        #expect(ledger.contains("poslog|b"))
        #expect(!ledger.contains("poslog|c-half"))
        #expect(ledger.count == 2)
        // The file was repaired: the next append starts on a line of its own.
        try ledger.record(["poslog|d"])
        let reopened = try POSLedger(path: path, retention: .seconds(86_400), logger: quietLogger)
        #expect(reopened.count == 3)
        #expect(reopened.contains("poslog|d"))
    }

    @Test("entries older than the retention are dropped at open; garbage lines are skipped")
    func retention() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("pos-ledger").path
        let now = Int(Date().timeIntervalSince1970)
        let old = now - 40 * 86_400
        try Data("\(old) poslog|old\nnot a ledger line\n\(now) poslog|new\n".utf8).write(to: URL(fileURLWithPath: path))
        let ledger = try POSLedger(path: path, retention: .seconds(35 * 86_400), logger: quietLogger)
        #expect(!ledger.contains("poslog|old"))
        #expect(ledger.contains("poslog|new"))
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains("poslog|old"), "compacted at open")
        #expect(!text.contains("not a ledger line"))
    }

    @Test("an unwritable ledger is a storage error naming the file")
    func unwritable() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("missing-dir/pos-ledger").path
        #expect(throws: POSIngestError.self) { try POSLedger(path: path, retention: .seconds(3_600), logger: quietLogger) }
    }
}
