import Foundation
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The append-only event journal: what makes the bus durable, since ZeroMQ itself keeps nothing.
///
/// Records live in segment files named `journal-<first seq, 20 digits>.log` in one directory.
/// Today the journal writes one segment; rotation and retention arrive later and only add files.
/// Each record is a 16-byte header and the payload, integers little-endian:
///
/// ```
/// offset 0   u32  payload length in bytes
/// offset 4   u32  CRC-32 (IEEE) of the payload
/// offset 8   u64  seq
/// offset 16  payload
/// ```
///
/// ## Threads and durability
/// ``append(seq:payload:)`` only copies the record into a buffer, and once that holds a few
/// hundred kilobytes hands it to the kernel with `write(2)`; it never waits for the disk. A
/// background thread, every `groupCommit`, writes what is buffered and syncs the file once for
/// all of it ("group commit"), then advances ``durableSeq``. ``flush()`` does the same at once on
/// the caller's thread, for shutdown. Appends must come from one thread at a time; ``read(from:limit:)``
/// and the counters may be used from any thread.
///
/// Call ``close()`` when done: the commit thread holds the journal until then.
public final class Journal: Sendable {
    /// Records are indexed every this many, so a replay seeks close to its start.
    private static let indexStride = 1_024
    /// Buffered bytes that trigger a `write(2)` on the appending thread.
    private static let writeThreshold = 256 * 1_024
    /// Buffered bytes beyond which, while writes are failing, appends are refused rather than piling up in memory.
    private static let maxBufferedBytes = 64 * 1_024 * 1_024

    /// The largest payload a record may carry.
    public static let maxPayloadBytes = JournalRecord.maxPayloadBytes

    private struct Segment: Sendable {
        var firstSeq: UInt64
        var path: String
        /// Bytes handed to the kernel (and, after truncation, the valid length).
        var size: Int64
    }

    private struct IndexEntry: Sendable {
        var seq: UInt64
        var segment: Int
        var offset: Int64
    }

    private struct State: Sendable {
        var segments: [Segment] = []
        /// The open descriptor of the last segment, `-1` before the first append creates one.
        var fd: Int32 = -1
        var buffer: [UInt8] = []
        var lastSeq: UInt64 = 0
        /// The highest seq whose bytes the kernel has.
        var writtenSeq: UInt64 = 0
        var index: [IndexEntry] = []
        var sinceIndexEntry = 0
        /// A new segment file's directory entry must be synced too, or a crash could lose the whole file.
        var directoryNeedsSync = false
        /// The last write failure, reported once rather than on every group commit.
        var failure: String?
        var closed = false
    }

    /// The directory holding the segment files.
    public let directory: String
    /// How long appended records wait before they are synced together.
    public let groupCommit: Duration
    private let logger: Logger
    private let state: Mutex<State>
    // Serialises syncs, so two of them never publish their results to `durable` out of order.
    private let commitLock = Mutex<Void>(())
    private let appended: Atomic<UInt64>
    private let durable: Atomic<UInt64>
    private let bytes: Atomic<Int64>
    private let wakeup = NSCondition()
    private let stopping = Atomic<Bool>(false)
    private let committerExited = Atomic<Bool>(false)

    /// The highest seq appended (0 when the journal is empty).
    public var lastSeq: UInt64 { appended.load(ordering: .acquiring) }

    /// The highest seq known to be on disk: synced by a group commit or by ``flush()``.
    public var durableSeq: UInt64 { durable.load(ordering: .acquiring) }

    /// The size of the journal in bytes, including records not yet written.
    public var byteCount: Int64 { bytes.load(ordering: .relaxed) }

    private init(directory: String, groupCommit: Duration, logger: Logger, state: State) {
        self.directory = directory
        self.groupCommit = groupCommit
        self.logger = logger
        let size = state.segments.reduce(Int64(0)) { $0 + $1.size }
        appended = Atomic(state.lastSeq)
        durable = Atomic(state.lastSeq)
        bytes = Atomic(size)
        self.state = Mutex(state)
    }

    /// Opens (creating if needed) the journal in `directory` and starts its commit thread.
    ///
    /// Every record is checked. A torn or corrupt tail, which a crash in the middle of a write
    /// leaves behind, is cut off with a warning saying how many bytes went; ``lastSeq`` is then the
    /// last whole record.
    ///
    /// - Parameters:
    ///   - directory: where the segment files live; created when missing.
    ///   - groupCommit: how often buffered records are written and synced.
    ///   - logger: where truncation and I/O failures are reported.
    public static func open(directory: String, groupCommit: Duration = .milliseconds(5), logger: Logger) throws(BusError) -> Journal {
        guard groupCommit > .zero else { throw BusError(.journal, "the journal's group commit interval must be positive") }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BusError(.journal, "cannot create journal directory \(directory): \(error.localizedDescription)")
        }
        let state = try recover(directory: directory, logger: logger)
        let journal = Journal(directory: directory, groupCommit: groupCommit, logger: logger, state: state)
        journal.startCommitter()
        logger.debug("journal opened", metadata: [
            "journal.directory": "\(directory)", "journal.lastSeq": "\(state.lastSeq)", "journal.bytes": "\(journal.byteCount)",
        ])
        return journal
    }

    /// Appends a record. `seq` must be above every seq appended before.
    ///
    /// The record is buffered, and written with `write(2)` once enough has gathered; it is
    /// durable once ``durableSeq`` reaches `seq`.
    public func append(seq: UInt64, payload: [UInt8]) throws(BusError) {
        guard payload.count <= Self.maxPayloadBytes else {
            throw BusError(.journal, "a record of \(payload.count) bytes exceeds the journal's limit of \(Self.maxPayloadBytes)")
        }
        try state.withLock { (state: inout State) throws(BusError) in
            guard !state.closed else { throw BusError(.journal, "the journal in \(directory) is closed") }
            guard seq > state.lastSeq else {
                throw BusError(.journal, "seq \(seq) does not follow the journal's last seq \(state.lastSeq)")
            }
            if let failure = state.failure, state.buffer.count >= Self.maxBufferedBytes {
                throw BusError(.journal, "the journal in \(directory) is not writable (\(failure)); \(state.buffer.count) bytes are waiting")
            }
            if state.fd < 0 { try createSegment(firstSeq: seq, state: &state) }
            let segment = state.segments.count - 1
            if state.sinceIndexEntry == 0 {
                let offset = state.segments[segment].size + Int64(state.buffer.count)
                state.index.append(IndexEntry(seq: seq, segment: segment, offset: offset))
            }
            state.sinceIndexEntry = (state.sinceIndexEntry + 1) % Self.indexStride
            let before = state.buffer.count
            JournalRecord.append(seq: seq, payload: payload, to: &state.buffer)
            state.lastSeq = seq
            bytes.add(Int64(state.buffer.count - before), ordering: .relaxed)
            appended.store(seq, ordering: .releasing)
            if state.buffer.count >= Self.writeThreshold {
                // A failure here is retried by the next commit, which also reports it.
                _ = writeBuffered(&state)
            }
        }
    }

    /// Writes and syncs everything appended, on the calling thread; for shutdown and tests.
    public func flush() throws(BusError) {
        if let failure = commit() { throw BusError(.journal, failure) }
    }

    /// Stops the commit thread, flushes, and closes the file; later calls do nothing.
    public func close() {
        wakeup.lock()
        stopping.store(true, ordering: .sequentiallyConsistent)
        wakeup.broadcast()
        while !committerExited.load(ordering: .sequentiallyConsistent) { wakeup.wait() }
        wakeup.unlock()
        let alreadyClosed = state.withLock { $0.closed }
        guard !alreadyClosed else { return }
        if let failure = commit() {
            logger.error("journal close could not sync every record", metadata: ["journal.directory": "\(directory)", "error": "\(failure)"])
        }
        state.withLock { state in
            if state.fd >= 0 { FileSystem.close(state.fd) }
            state.fd = -1
            state.closed = true
        }
    }

    /// Reads up to `limit` records with seq at or above `seq`, in order: the basis of replay.
    ///
    /// Sees every record appended before the call, written or still buffered.
    public func read(from seq: UInt64, limit: Int) throws(BusError) -> [(UInt64, [UInt8])] {
        guard limit > 0 else { return [] }
        let (segments, startSegment, startOffset) = try state.withLock { (state: inout State) throws(BusError) in
            if let failure = writeBuffered(&state) { throw BusError(.journal, failure) }
            // The last index entry at or below `seq` is where the scan starts; later entries would skip it.
            let entry = state.index.last { $0.seq <= seq }
            return (state.segments, entry?.segment ?? 0, entry?.offset ?? 0)
        }
        var records: [(UInt64, [UInt8])] = []
        for segmentIndex in segments.indices.dropFirst(startSegment) {
            let segment = segments[segmentIndex]
            let fd = FileSystem.open(segment.path, O_RDONLY)
            guard fd >= 0 else {
                throw BusError(.journal, "cannot open journal segment \(segment.path): \(FileSystem.lastError)")
            }
            defer { FileSystem.close(fd) }
            var reader = JournalRecordReader(fd: fd, path: segment.path, offset: segmentIndex == startSegment ? startOffset : 0,
                                             limit: segment.size)
            scan: while true {
                switch try reader.next() {
                case .record(let recordSeq, let payload, _):
                    guard recordSeq >= seq else { continue }
                    records.append((recordSeq, payload))
                    if records.count == limit { return records }
                case .end, .damaged:
                    // Damage inside an older segment was reported when the journal was opened.
                    break scan
                }
            }
        }
        return records
    }

    // MARK: Writing and syncing

    private func createSegment(firstSeq: UInt64, state: inout State) throws(BusError) {
        let name = "journal-" + String(repeating: "0", count: max(0, 20 - String(firstSeq).count)) + String(firstSeq) + ".log"
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        let fd = FileSystem.open(path, O_WRONLY | O_CREAT | O_APPEND)
        guard fd >= 0 else {
            throw BusError(.journal, "cannot create journal segment \(path): \(FileSystem.lastError)")
        }
        state.segments.append(Segment(firstSeq: firstSeq, path: path, size: 0))
        state.fd = fd
        state.sinceIndexEntry = 0
        state.directoryNeedsSync = true
    }

    /// Hands the buffer to the kernel; returns the failure, if any. Called with the state locked,
    /// which keeps the appending thread's writes and the commit thread's writes in order.
    private func writeBuffered(_ state: inout State) -> String? {
        guard !state.buffer.isEmpty, state.fd >= 0 else { return nil }
        let fd = state.fd
        var written = 0
        let total = state.buffer.count
        let failure: String? = state.buffer.withUnsafeBytes { bytes in
            while written < total {
                let count = write(fd, bytes.baseAddress! + written, total - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return "cannot write the journal in \(directory): \(FileSystem.lastError)"
                }
                written += count
            }
            return nil
        }
        state.segments[state.segments.count - 1].size += Int64(written)
        if written == total {
            state.buffer.removeAll(keepingCapacity: true)
        } else {
            state.buffer.removeFirst(written)
        }
        if let failure {
            state.failure = failure
            return failure
        }
        state.writtenSeq = state.lastSeq
        if state.failure != nil {
            logger.info("journal writable again", metadata: ["journal.directory": "\(directory)"])
            state.failure = nil
        }
        return nil
    }

    /// Writes what is buffered, then syncs it; returns the failure, if any.
    private func commit() -> String? {
        commitLock.withLock { _ -> String? in
            let (fd, target, syncDirectory, writeFailure) = state.withLock { state in
                let failure = writeBuffered(&state)
                let syncDirectory = state.directoryNeedsSync
                state.directoryNeedsSync = false
                return (state.fd, state.writtenSeq, syncDirectory, failure)
            }
            if syncDirectory, !FileSystem.syncDirectory(directory) {
                state.withLock { $0.directoryNeedsSync = true }
                return "cannot sync journal directory \(directory): \(FileSystem.lastError)"
            }
            if fd >= 0, target > durable.load(ordering: .acquiring) {
                guard FileSystem.syncData(fd) else {
                    return "cannot sync the journal in \(directory): \(FileSystem.lastError)"
                }
                durable.store(target, ordering: .releasing)
            }
            return writeFailure
        }
    }

    private func startCommitter() {
        let thread = Thread { [self] in
            commitLoop()
        }
        thread.name = "journal-commit"
        thread.start()
    }

    private func commitLoop() {
        let interval = Double(groupCommit.components.seconds) + Double(groupCommit.components.attoseconds) / 1e18
        var reported: String?
        while true {
            wakeup.lock()
            if !stopping.load(ordering: .sequentiallyConsistent) {
                _ = wakeup.wait(until: Date(timeIntervalSinceNow: interval))
            }
            let stop = stopping.load(ordering: .sequentiallyConsistent)
            wakeup.unlock()
            if stop { break }
            let failure = commit()
            // Once per distinct failure: a full disk must not also fill the log.
            if let failure, failure != reported {
                logger.error("journal group commit failed; records stay buffered and are retried", metadata: ["error": "\(failure)"])
            }
            reported = failure
        }
        wakeup.lock()
        committerExited.store(true, ordering: .sequentiallyConsistent)
        wakeup.broadcast()
        wakeup.unlock()
    }

    // MARK: Recovery

    /// Scans every segment, cuts a damaged tail off the last one, and rebuilds the index.
    private static func recover(directory: String, logger: Logger) throws(BusError) -> State {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw BusError(.journal, "cannot list journal directory \(directory): \(error.localizedDescription)")
        }
        let segmentFiles: [(UInt64, String)] = names.compactMap { name in
            guard name.hasPrefix("journal-"), name.hasSuffix(".log") else { return nil }
            guard let first = UInt64(name.dropFirst("journal-".count).dropLast(".log".count)) else { return nil }
            return (first, directory.hasSuffix("/") ? directory + name : directory + "/" + name)
        }.sorted { $0.0 < $1.0 }

        var state = State()
        for (position, (firstSeq, path)) in segmentFiles.enumerated() {
            let isLast = position == segmentFiles.count - 1
            let fd = FileSystem.open(path, O_RDONLY)
            guard fd >= 0 else { throw BusError(.journal, "cannot open journal segment \(path): \(FileSystem.lastError)") }
            defer { FileSystem.close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw BusError(.journal, "cannot stat journal segment \(path): \(FileSystem.lastError)") }
            let fileSize = Int64(info.st_size)
            let segment = state.segments.count
            var reader = JournalRecordReader(fd: fd, path: path, offset: 0, limit: fileSize)
            var validSize = fileSize
            var count = 0
            scan: while true {
                switch try reader.next() {
                case .record(let seq, _, let offset):
                    guard seq > state.lastSeq else {
                        validSize = offset
                        report(path: path, offset: offset, fileSize: fileSize, isLast: isLast, lastSeq: state.lastSeq,
                               reason: "seq \(seq) does not follow seq \(state.lastSeq)", logger: logger)
                        break scan
                    }
                    if count % indexStride == 0 { state.index.append(IndexEntry(seq: seq, segment: segment, offset: offset)) }
                    count += 1
                    state.lastSeq = seq
                case .end:
                    break scan
                case .damaged(let offset, let reason):
                    validSize = offset
                    report(path: path, offset: offset, fileSize: fileSize, isLast: isLast, lastSeq: state.lastSeq, reason: reason, logger: logger)
                    break scan
                }
            }
            if isLast && validSize < fileSize {
                try truncate(path: path, to: validSize)
            }
            if isLast && validSize == 0 {
                // An empty last segment would carry a misleading first seq; the next append makes a fresh one.
                unlink(path)
                continue
            }
            state.segments.append(Segment(firstSeq: firstSeq, path: path, size: validSize))
            state.sinceIndexEntry = count % indexStride
        }
        state.writtenSeq = state.lastSeq
        if let last = state.segments.last {
            let fd = FileSystem.open(last.path, O_WRONLY | O_APPEND)
            guard fd >= 0 else { throw BusError(.journal, "cannot open journal segment \(last.path): \(FileSystem.lastError)") }
            // A crashed predecessor may have left records in the page cache only; sync them before calling them durable.
            guard FileSystem.syncData(fd) else {
                FileSystem.close(fd)
                throw BusError(.journal, "cannot sync journal segment \(last.path): \(FileSystem.lastError)")
            }
            state.fd = fd
        }
        return state
    }

    private static func report(path: String, offset: Int64, fileSize: Int64, isLast: Bool, lastSeq: UInt64, reason: String, logger: Logger) {
        let metadata: Logger.Metadata = [
            "journal.segment": "\(path)", "journal.offset": "\(offset)", "journal.lastSeq": "\(lastSeq)", "reason": "\(reason)",
        ]
        if isLast {
            logger.warning("journal tail is torn or corrupt; cut \(fileSize - offset) bytes after seq \(lastSeq)", metadata: metadata)
        } else {
            logger.error("journal segment is damaged; its records after seq \(lastSeq) cannot be replayed", metadata: metadata)
        }
    }

    private static func truncate(path: String, to size: Int64) throws(BusError) {
        let fd = FileSystem.open(path, O_WRONLY)
        guard fd >= 0 else { throw BusError(.journal, "cannot open journal segment \(path) to cut its tail: \(FileSystem.lastError)") }
        defer { FileSystem.close(fd) }
        guard ftruncate(fd, off_t(size)) == 0, fsync(fd) == 0 else {
            throw BusError(.journal, "cannot cut the damaged tail of journal segment \(path): \(FileSystem.lastError)")
        }
    }
}
