import Foundation
import Synchronization
import Testing

@testable import Bus

/// 40 bytes of payload, so every record is 56 bytes on disk.
private func payload(_ seq: UInt64) -> [UInt8] {
    let text = "{\"seq\":\(seq)}"
    return Array((text + String(repeating: " ", count: 40 - text.utf8.count)).utf8)
}

/// What a reader thread found, shared with the test's thread.
private final class ReaderReport: Sendable {
    let problems = Mutex<[String]>([])
    let finished = Atomic<Bool>(false)
}

@Suite("Journal segments and retention")
struct JournalRetentionTests {

    private let recordBytes = 56

    private func segmentFiles(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("journal-") }.sorted()
    }

    private func fileSize(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    private func name(_ firstSeq: UInt64) -> String {
        Journal.segmentPath(directory: "", firstSeq: firstSeq).trimmingPrefix("/").description
    }

    private func setModified(_ path: String, daysAgo: Double) throws {
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -daysAgo * 86_400)], ofItemAtPath: path)
    }

    @Test("a segment that would pass segmentBytes is closed and a new one named for its first seq begins")
    func rotation() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        // Ten records fit in 600 bytes, the eleventh would not.
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 600, logger: quietLogger)
        for seq in UInt64(1)...35 { try journal.append(seq: seq, payload: payload(seq)) }
        try journal.flush()
        #expect(try segmentFiles(directory) == [name(1), name(11), name(21), name(31)])
        for file in try segmentFiles(directory).dropLast() {
            #expect(try fileSize(directory + "/" + file) == 10 * recordBytes)
        }
        #expect(journal.segmentCount == 4)
        #expect(journal.firstSeq == 1)
        #expect(journal.durableSeq == 35)
        #expect(journal.byteCount == Int64(35 * recordBytes))
        #expect(try journal.read(from: 1, limit: 100).map(\.0) == Array(1...35))
        #expect(try journal.read(from: 9, limit: 5).map(\.0) == Array(9...13))
        #expect(try journal.read(from: 20, through: 22, limit: 100).map(\.1) == (20...22).map(payload))
        journal.close()

        // Reopened, the journal continues in the last segment and rotates on as before.
        let reopened = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 600, logger: quietLogger)
        defer { reopened.close() }
        #expect(reopened.lastSeq == 35)
        #expect(reopened.firstSeq == 1)
        #expect(try reopened.read(from: 1, limit: 100).map(\.1) == (1...35).map(payload))
        for seq in UInt64(36)...45 { try reopened.append(seq: seq, payload: payload(seq)) }
        try reopened.flush()
        #expect(try segmentFiles(directory) == [name(1), name(11), name(21), name(31), name(41)])
        #expect(try reopened.read(from: 30, limit: 100).map(\.0) == Array(30...45))
    }

    @Test("a read that continues where the last one stopped sees the same records as fresh reads")
    func continuedReads() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 4_096, logger: quietLogger)
        defer { journal.close() }
        for seq in UInt64(1)...3_000 { try journal.append(seq: seq, payload: payload(seq)) }
        var position: Journal.ReadPosition?
        var next: UInt64 = 7
        var seen: [UInt64] = []
        while true {
            let records = try journal.read(from: next, through: 2_990, limit: 333, position: &position)
            guard let last = records.last else { break }
            #expect(records.allSatisfy { $0.1 == payload($0.0) })
            seen += records.map(\.0)
            next = last.0 + 1
        }
        #expect(seen == Array(7...2_990))
    }

    @Test("over maxBytes, whole old segments are deleted and firstSeq moves up")
    func retentionBySize() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let capture = LogCapture()
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 560, maxBytes: 2_000, logger: capture.logger)
        defer { journal.close() }
        for seq in UInt64(1)...100 { try journal.append(seq: seq, payload: payload(seq)) }
        // The commit thread retires; 2,000 bytes hold three full segments of ten records.
        #expect(waitUntil { journal.byteCount <= 2_000 })
        #expect(journal.firstSeq == 71)
        // The files go just after the journal forgets them.
        #expect(try waitUntil { try segmentFiles(directory) == [name(71), name(81), name(91)] })
        #expect(try journal.read(from: 1, limit: 5).map(\.0) == Array(71...75))
        #expect(try journal.read(from: 71, limit: 100).map(\.0) == Array(71...100))
        #expect(capture.lines.contains { $0.level == .info && $0.message.contains("retired") && $0.metadata["journal.segmentFirstSeq"] == "1" })
    }

    @Test("a smaller budget at open retires at once; the segment being written is always kept")
    func retentionAtOpen() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        do {
            let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 560, logger: quietLogger)
            for seq in UInt64(1)...55 { try journal.append(seq: seq, payload: payload(seq)) }
            journal.close()
        }
        #expect(try segmentFiles(directory).count == 6)
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 560, maxBytes: 100, logger: quietLogger)
        defer { journal.close() }
        #expect(try segmentFiles(directory) == [name(51)])
        #expect(journal.firstSeq == 51)
        #expect(journal.lastSeq == 55)
        #expect(journal.byteCount == Int64(5 * recordBytes))
    }

    @Test("segments whose newest record is older than maxAge are deleted, but never the last")
    func retentionByAge() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        do {
            let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 560, logger: quietLogger)
            for seq in UInt64(1)...40 { try journal.append(seq: seq, payload: payload(seq)) }
            journal.close()
        }
        try setModified(directory + "/" + name(1), daysAgo: 9)
        try setModified(directory + "/" + name(11), daysAgo: 8)
        try setModified(directory + "/" + name(21), daysAgo: 6)
        // Even a stale last segment stays: it is where the next append goes, and it holds lastSeq.
        try setModified(directory + "/" + name(31), daysAgo: 30)
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 560, maxAge: .seconds(7 * 86_400),
                                       logger: quietLogger)
        defer { journal.close() }
        #expect(try segmentFiles(directory) == [name(21), name(31)])
        #expect(journal.firstSeq == 21)
        #expect(journal.lastSeq == 40)
    }

    @Test("a segment open for an eighth of maxAge is closed, and retired once maxAge passes")
    func rotationAndRetirementByAge() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), maxAge: .milliseconds(800), logger: quietLogger)
        defer { journal.close() }
        var seq: UInt64 = 0
        func appendOne() throws {
            seq += 1
            try journal.append(seq: seq, payload: payload(seq))
        }
        try appendOne()
        // Records trickle in; after about 100 ms the commit thread marks the segment for rotation.
        #expect(try waitUntil { try appendOne(); return journal.segmentCount >= 2 })
        let firstOfSecond = try #require(try segmentFiles(directory).last)
        // Nothing more is appended to the first segment, so 800 ms later it is retired.
        #expect(waitUntil { journal.firstSeq > 1 })
        #expect(try waitUntil { try segmentFiles(directory) == [firstOfSecond] })
        #expect(journal.segmentCount == 1)
    }

    @Test("reads running alongside appends, rotation and retirement see whole, ordered records")
    func concurrentReads() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(1), segmentBytes: 2_048, maxBytes: 16_384,
                                       logger: quietLogger)
        defer { journal.close() }
        let total: UInt64 = 20_000
        let report = ReaderReport()
        let reader = Thread {
            while journal.lastSeq < total {
                do {
                    let records = try journal.read(from: journal.firstSeq, limit: 200)
                    for (offset, record) in records.enumerated() where offset > 0 && record.0 != records[offset - 1].0 + 1 {
                        report.problems.withLock { $0.append("seq \(records[offset - 1].0) then \(record.0)") }
                    }
                    for record in records where record.1 != payload(record.0) {
                        report.problems.withLock { $0.append("seq \(record.0) has a wrong payload") }
                    }
                } catch {
                    report.problems.withLock { $0.append("\(error)") }
                }
            }
            report.finished.store(true, ordering: .releasing)
        }
        reader.start()
        for seq in 1...total { try journal.append(seq: seq, payload: payload(seq)) }
        #expect(waitUntil { report.finished.load(ordering: .acquiring) })
        #expect(report.problems.withLock { $0 }.isEmpty)
        #expect(waitUntil { journal.byteCount <= 16_384 })
        #expect(journal.firstSeq > 1)
        #expect(try journal.read(from: journal.firstSeq, limit: .max).map(\.0) == Array(journal.firstSeq...total))
    }

    @Test("a torn tail in the last of several segments is cut; the earlier ones stay whole")
    func tornTailAfterRotation() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        do {
            let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 560, logger: quietLogger)
            for seq in UInt64(1)...25 { try journal.append(seq: seq, payload: payload(seq)) }
            journal.close()
        }
        let last = directory + "/" + name(21)
        let handle = try #require(FileHandle(forWritingAtPath: last))
        try handle.truncate(atOffset: UInt64(4 * recordBytes + 30))
        try handle.close()
        let capture = LogCapture()
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 560, logger: capture.logger)
        defer { journal.close() }
        #expect(journal.lastSeq == 24)
        #expect(try fileSize(last) == 4 * recordBytes)
        #expect(capture.lines.contains { $0.level == .warning && $0.message.contains("cut 30 bytes") })
        #expect(try journal.read(from: 1, limit: 100).map(\.0) == Array(1...24))
        try journal.append(seq: 25, payload: payload(25))
        #expect(try journal.read(from: 24, limit: 100).map(\.0) == [24, 25])
    }

    @Test("a corrupt record inside an older segment stops that segment's reads there, and is reported")
    func corruptOlderSegment() throws {
        let directory = try makeTemporaryDirectory()
        defer { removeTemporaryDirectory(directory) }
        do {
            let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 560, logger: quietLogger)
            for seq in UInt64(1)...30 { try journal.append(seq: seq, payload: payload(seq)) }
            journal.close()
        }
        let middle = directory + "/" + name(11)
        let handle = try #require(FileHandle(forUpdatingAtPath: middle))
        try handle.seek(toOffset: UInt64(5 * recordBytes + 20))
        try handle.write(contentsOf: Data([UInt8(ascii: "#")]))
        try handle.close()
        let capture = LogCapture()
        let journal = try Journal.open(directory: directory, groupCommit: .milliseconds(2), segmentBytes: 560, logger: capture.logger)
        defer { journal.close() }
        #expect(journal.lastSeq == 30)
        // An older segment is evidence, not a tail: nothing is cut, the damage is reported, later segments still read.
        #expect(try fileSize(middle) == 10 * recordBytes)
        #expect(capture.lines.contains { $0.level == .error && $0.message.contains("damaged") })
        #expect(try journal.read(from: 1, limit: 100).map(\.0) == Array(1...15) + Array(21...30))
    }
}
