import Foundation
import Synchronization
import Testing

@testable import Bus

@Suite("Journal")
struct JournalTests {
    private func payload(_ seq: UInt64) -> [UInt8] {
        Array("{\"seq\":\(seq),\"pad\":\"\(String(repeating: "x", count: Int(seq % 50)))\"}".utf8)
    }

    private func segmentFiles(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("journal-") }.sorted()
            .map { directory + "/" + $0 }
    }

    private func fileSize(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    private func recordSize(_ seq: UInt64) -> Int { 16 + payload(seq).count }

    @Test("an empty journal starts at seq 0 and reads nothing")
    func empty() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory + "/nested/journal", groupCommit: .milliseconds(5), logger: quietLogger)
        defer { journal.close() }
        #expect(journal.lastSeq == 0)
        #expect(journal.durableSeq == 0)
        #expect(journal.byteCount == 0)
        #expect(try journal.read(from: 1, limit: 10).isEmpty)
        try journal.flush()
    }

    @Test("appended records survive a reopen and read back in order")
    func appendReopenRead() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let count: UInt64 = 2_500  // more than two index strides
        do {
            let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: quietLogger)
            for seq in 1...count { try journal.append(seq: seq, payload: payload(seq)) }
            #expect(journal.lastSeq == count)
            // Reads see records still in the write buffer.
            #expect(try journal.read(from: count, limit: 5).map(\.0) == [count])
            try journal.flush()
            #expect(journal.durableSeq == count)
            #expect(journal.byteCount == Int64((1...count).reduce(0) { $0 + recordSize($1) }))
            journal.close()
            journal.close()
        }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: quietLogger)
        defer { journal.close() }
        #expect(journal.lastSeq == count)
        #expect(journal.durableSeq == count)

        let first = try journal.read(from: 1, limit: 10)
        #expect(first.map(\.0) == Array(1...10))
        #expect(first.map(\.1) == (1...10).map(payload))

        let tail = try journal.read(from: 2_000, limit: 1_000)
        #expect(tail.map(\.0) == Array(2_000...count))
        #expect(tail.allSatisfy { $0.1 == payload($0.0) })

        let everything = try journal.read(from: 0, limit: Int.max)
        #expect(everything.count == Int(count))
        #expect(try journal.read(from: 1_025, limit: 1).map(\.0) == [1_025])
        #expect(try journal.read(from: count + 1, limit: 10).isEmpty)

        try journal.append(seq: count + 1, payload: payload(count + 1))
        #expect(try journal.read(from: count, limit: 10).map(\.0) == [count, count + 1])
    }

    @Test("the commit thread makes appends durable without a flush")
    func groupCommit() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), logger: quietLogger)
        defer { journal.close() }
        for seq in UInt64(1)...100 { try journal.append(seq: seq, payload: payload(seq)) }
        #expect(waitUntil { journal.durableSeq == 100 })
        try journal.append(seq: 101, payload: payload(101))
        #expect(waitUntil { journal.durableSeq == 101 })
    }

    @Test("whenDurable runs at once for a synced seq, after the sync for a later one, and never for one the journal never holds")
    func whenDurable() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        // A long group commit, so the test controls when syncs happen (flush).
        let journal = try Journal.open(directory: directory, groupCommit: .seconds(60), logger: quietLogger)
        defer { journal.close() }
        let ran = Mutex<[UInt64]>([])
        for seq in UInt64(1)...3 { try journal.append(seq: seq, payload: payload(seq)) }
        journal.whenDurable(2) { ran.withLock { $0.append(2) } }
        journal.whenDurable(3) { ran.withLock { $0.append(3) } }
        journal.whenDurable(9) { ran.withLock { $0.append(9) } }
        #expect(ran.withLock { $0 }.isEmpty)
        try journal.flush()
        #expect(ran.withLock { $0 } == [2, 3])
        journal.whenDurable(1) { ran.withLock { $0.append(1) } }
        #expect(ran.withLock { $0 } == [2, 3, 1])
        try journal.flush()
        #expect(!ran.withLock { $0 }.contains(9))
    }

    @Test("seqs must increase")
    func seqMustIncrease() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: quietLogger)
        try journal.append(seq: 5, payload: [1])
        for seq: UInt64 in [5, 4] {
            let error = #expect(throws: BusError.self) { try journal.append(seq: seq, payload: [2]) }
            #expect(error?.code == .journal)
        }
        // A gap is allowed; the journal only demands order.
        try journal.append(seq: 9, payload: [3])
        journal.close()
        let closed = #expect(throws: BusError.self) { try journal.append(seq: 10, payload: [4]) }
        #expect(closed?.code == .journal)
        let reopened = try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: quietLogger)
        defer { reopened.close() }
        #expect(try reopened.read(from: 1, limit: 10).map(\.0) == [5, 9])
    }

    /// Writes `count` records, closes, lets `damage` change the segment file, and reopens.
    private func reopenAfterDamage(count: UInt64, capture: LogCapture, _ damage: (String) throws -> Void) throws -> (Journal, String, String) {
        let directory = try makeTemporaryDirectory()
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: quietLogger)
        for seq in 1...count { try journal.append(seq: seq, payload: payload(seq)) }
        journal.close()
        let segment = try #require(try segmentFiles(directory).first)
        try damage(segment)
        return (try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: capture.logger), directory, segment)
    }

    private func truncationWarning(_ capture: LogCapture) -> LogCapture.Line? {
        capture.lines.first { $0.level == .warning && $0.message.contains("torn or corrupt") }
    }

    @Test("a record cut mid-way is removed on open")
    func tornTail() throws {
        let capture = LogCapture()
        var intactSize = 0
        let (journal, directory, segment) = try reopenAfterDamage(count: 10, capture: capture) { path in
            let size = try fileSize(path)
            intactSize = size - recordSize(10)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: UInt64(size - 5))
            try handle.close()
        }
        defer { removeTemporaryDirectory(directory) }
        #expect(journal.lastSeq == 9)
        #expect(try fileSize(segment) == intactSize)
        let warning = try #require(truncationWarning(capture))
        #expect(warning.message.contains("cut \(recordSize(10) - 5) bytes"))

        try journal.append(seq: 10, payload: payload(10))
        journal.close()
        let reopened = try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: quietLogger)
        defer { reopened.close() }
        #expect(reopened.lastSeq == 10)
        #expect(try reopened.read(from: 1, limit: 100).map(\.1) == (1...10).map(payload))
    }

    @Test("a torn header is removed on open")
    func tornHeader() throws {
        let capture = LogCapture()
        let (journal, directory, _) = try reopenAfterDamage(count: 3, capture: capture) { path in
            let size = try fileSize(path)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: UInt64(size - recordSize(3) + 7))
            try handle.close()
        }
        defer { removeTemporaryDirectory(directory) }
        defer { journal.close() }
        #expect(journal.lastSeq == 2)
        #expect(truncationWarning(capture)?.message.contains("cut 7 bytes") == true)
    }

    @Test("junk after the last record is removed on open")
    func junkTail() throws {
        let capture = LogCapture()
        var intactSize = 0
        let (journal, directory, segment) = try reopenAfterDamage(count: 10, capture: capture) { path in
            intactSize = try fileSize(path)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data([0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]))
            try handle.close()
        }
        defer { removeTemporaryDirectory(directory) }
        defer { journal.close() }
        #expect(journal.lastSeq == 10)
        #expect(try fileSize(segment) == intactSize)
        #expect(truncationWarning(capture)?.message.contains("cut 17 bytes") == true)
    }

    @Test("a last record with a bad checksum is removed on open")
    func corruptTail() throws {
        let capture = LogCapture()
        let (journal, directory, _) = try reopenAfterDamage(count: 10, capture: capture) { path in
            let size = try fileSize(path)
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            try handle.seek(toOffset: UInt64(size - 2))
            try handle.write(contentsOf: Data([UInt8(ascii: "#")]))
            try handle.close()
        }
        defer { removeTemporaryDirectory(directory) }
        defer { journal.close() }
        #expect(journal.lastSeq == 9)
        #expect(truncationWarning(capture)?.metadata["reason"]?.description.contains("checksum") == true)
    }

    @Test("a journal whose only record is torn is empty again")
    func everythingTorn() throws {
        let capture = LogCapture()
        let (journal, directory, _) = try reopenAfterDamage(count: 1, capture: capture) { path in
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: 10)
            try handle.close()
        }
        defer { removeTemporaryDirectory(directory) }
        #expect(journal.lastSeq == 0)
        #expect(try segmentFiles(directory).isEmpty)
        try journal.append(seq: 1, payload: payload(1))
        journal.close()
        let reopened = try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: quietLogger)
        defer { reopened.close() }
        #expect(reopened.lastSeq == 1)
    }

    @Test("the on-disk layout is little-endian length, CRC-32, seq, payload")
    func layout() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(5), logger: quietLogger)
        try journal.append(seq: 0x0102_0304_0506_0708, payload: Array("123456789".utf8))
        journal.close()
        let segment = try #require(try segmentFiles(directory).first)
        #expect(segment.hasSuffix("/journal-00072623859790382856.log"))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        #expect(bytes == [9, 0, 0, 0, 0x26, 0x39, 0xF4, 0xCB, 8, 7, 6, 5, 4, 3, 2, 1] + Array("123456789".utf8))
    }
}
