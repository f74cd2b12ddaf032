import Foundation
import GatewayCore
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
/// Each record is a 16-byte header and the payload, integers little-endian:
///
/// ```
/// offset 0   u32  payload length in bytes
/// offset 4   u32  CRC-32 (IEEE) of the payload
/// offset 8   u64  seq
/// offset 16  payload
/// ```
///
/// ## Segments and retention
/// A new segment starts when the next record would take the current one past `segmentBytes`, or
/// when the current one has been open for an eighth of `maxAge`. Old records leave only as whole
/// segments, oldest first, and never the segment being written: one goes when the journal holds more
/// than `maxBytes`, or when its newest record is older than `maxAge`. ``firstSeq`` is then the
/// oldest seq still kept; a replay that starts below it cannot be complete.
///
/// ## Threads and durability
/// ``append(seq:payload:)`` only copies the record into a buffer, and once that holds a few
/// hundred kilobytes hands it to the kernel with `write(2)`; ``writeBuffered()`` hands it over at once.
/// Neither waits for the disk. A
/// background thread, every `groupCommit`, writes what is buffered and syncs the file once for
/// all of it ("group commit"), then advances ``durableSeq``; it also deletes retired segments.
/// ``flush()`` does the same at once on the caller's thread, for shutdown. Appends must come from
/// one thread at a time; ``read(from:through:limit:)`` and the counters may be used from any thread,
/// concurrently with appends.
///
/// Call ``close()`` when done: the commit thread holds the journal until then.
public final class Journal: Sendable {
    /// A record is indexed every this many bytes, so a replay seeks to within this much of its start whatever the record size.
    static let indexStride: Int64 = 64 * 1_024
    /// Buffered bytes beyond which an append hands the buffer to the kernel without waiting for ``writeBuffered()``.
    static let writeThreshold = 256 * 1_024
    /// Buffered bytes beyond which, while writes are failing, appends are refused rather than piling up in memory.
    private static let maxBufferedBytes = 64 * 1_024 * 1_024
    /// A segment stays open for at most `maxAge` divided by this, so no record outlives `maxAge` by more than that share.
    static let ageSlices = 8

    /// The largest payload a record may carry.
    public static let maxPayloadBytes = JournalRecord.maxPayloadBytes
    /// The segment size used when none is given: 64 MiB.
    public static let defaultSegmentBytes = 64 * 1_024 * 1_024

    struct IndexEntry: Sendable {
        var seq: UInt64
        var offset: Int64
    }

    struct Segment: Sendable {
        var firstSeq: UInt64
        var path: String
        /// Bytes handed to the kernel (and, after truncation, the valid length).
        var size: Int64
        /// A record every ``Journal/indexStride`` bytes or so: where a read starting inside this segment seeks to.
        var index: [IndexEntry] = []
        /// When this process created or reopened the segment (seconds since 1970), for rotation by age.
        var openedAt: Double
        /// When the segment was last written (seconds since 1970), for retirement by age; meaningful once it is closed.
        var lastWrite: Double

        /// Adds the record at `offset` to the index when it is far enough past the last indexed one.
        mutating func index(seq: UInt64, offset: Int64) {
            if let last = index.last, offset - last.offset < Journal.indexStride { return }
            index.append(IndexEntry(seq: seq, offset: offset))
        }
    }

    struct State: Sendable {
        var segments: [Segment] = []
        /// The open descriptor of the last segment, `-1` before the first append creates one.
        var fd: Int32 = -1
        var buffer: [UInt8] = []
        var lastSeq: UInt64 = 0
        /// The highest seq whose bytes the kernel has.
        var writtenSeq: UInt64 = 0
        /// Descriptors of segments closed by rotation: the commit thread syncs their last writes, then closes them.
        var closing: [Int32] = []
        /// Set by the commit thread when the current segment is old enough to close; the next append rotates.
        var rotateByAge = false
        /// A new segment file's directory entry must be synced too, or a crash could lose the whole file.
        var directoryNeedsSync = false
        /// The last write failure, reported once rather than on every group commit.
        var failure: String?
        var closed = false
    }

    /// Where a read stopped, so the next read of the same replay continues there instead of seeking again.
    struct ReadPosition: Sendable {
        var segmentFirstSeq: UInt64
        var offset: Int64
        var nextSeq: UInt64
    }

    /// The largest seq a journal holds (`Int64.max`): recovery cuts a record claiming more as damage,
    /// so the seq after the last is always countable.
    public static let maxSeq = UInt64(Int64.max)

    /// The directory holding the segment files.
    public let directory: String
    /// How long appended records wait before they are synced together.
    public let groupCommit: Duration
    /// The size at which a new segment starts.
    public let segmentBytes: Int
    /// The most bytes kept before the oldest segments are deleted.
    public let maxBytes: Int
    /// How long records are kept at least before their segment is deleted; `nil` keeps them regardless of age.
    public let maxAge: Duration?
    let logger: Logger
    let state: Mutex<State>
    // Serialises syncs, so two of them never publish their results to `durable` out of order.
    private let commitLock = Mutex<Void>(())
    private let appended: Atomic<UInt64>
    private let durable: Atomic<UInt64>
    /// Actions waiting for ``durableSeq`` to reach their seq, in seq order.
    private let durableWaiters = Mutex<[(seq: UInt64, action: @Sendable () -> Void)]>([])
    let bytes: Atomic<Int64>
    /// The first seq of the oldest segment, 0 when there is none.
    let oldest: Atomic<UInt64>
    private let wakeup = NSCondition()
    private let stopping = Atomic<Bool>(false)
    private let committerExited = Atomic<Bool>(false)

    /// The highest seq appended (0 when the journal is empty).
    public var lastSeq: UInt64 { appended.load(ordering: .acquiring) }

    /// The lowest seq the journal still holds, or `lastSeq + 1` when it holds none.
    ///
    /// A replay from below it cannot be complete: the records in between were retired (or never
    /// journalled, when the journal started at a higher seq).
    public var firstSeq: UInt64 {
        let oldest = oldest.load(ordering: .acquiring)
        return oldest == 0 ? lastSeq + 1 : oldest
    }

    /// The highest seq known to be on disk: synced by a group commit or by ``flush()``.
    public var durableSeq: UInt64 { durable.load(ordering: .acquiring) }

    /// The size of the journal in bytes, including records not yet written.
    public var byteCount: Int64 { bytes.load(ordering: .relaxed) }

    /// The number of segment files the journal holds.
    public var segmentCount: Int { state.withLock { $0.segments.count } }

    private init(directory: String, groupCommit: Duration, segmentBytes: Int, maxBytes: Int, maxAge: Duration?, logger: Logger,
                 state: State) {
        self.directory = directory
        self.groupCommit = groupCommit
        self.segmentBytes = segmentBytes
        self.maxBytes = maxBytes
        self.maxAge = maxAge
        self.logger = logger
        let size = state.segments.reduce(Int64(0)) { $0 + $1.size }
        appended = Atomic(state.lastSeq)
        durable = Atomic(state.lastSeq)
        bytes = Atomic(size)
        oldest = Atomic(state.segments.first?.firstSeq ?? 0)
        self.state = Mutex(state)
    }

    /// Opens (creating if needed) the journal in `directory` and starts its commit thread.
    ///
    /// Every record is checked. A torn or corrupt tail, which a crash in the middle of a write
    /// leaves behind, is cut off with a warning saying how many bytes went; ``lastSeq`` is then the
    /// last whole record. Segments beyond the size or age limits are deleted before this returns.
    ///
    /// - Parameters:
    ///   - directory: where the segment files live; created when missing.
    ///   - groupCommit: how often buffered records are written and synced.
    ///   - segmentBytes: the size at which a new segment starts.
    ///   - maxBytes: the most bytes kept; `Int.max` keeps everything.
    ///   - maxAge: how long records are kept at least; `nil` keeps them regardless of age.
    ///   - logger: where truncation, retirement and I/O failures are reported.
    public static func open(directory: String, groupCommit: Duration = .milliseconds(5), segmentBytes: Int = defaultSegmentBytes,
                            maxBytes: Int = .max, maxAge: Duration? = nil, logger: Logger) throws(BusError) -> Journal {
        guard groupCommit > .zero else { throw BusError(.journal, "the journal's group commit interval must be positive") }
        guard segmentBytes > 0, maxBytes > 0 else { throw BusError(.journal, "the journal's segment size and byte budget must be positive") }
        if let maxAge, maxAge <= .zero { throw BusError(.journal, "the journal's maximum age must be positive") }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BusError(.journal, "cannot create journal directory \(directory): \(error.localizedDescription)")
        }
        let state = try recover(directory: directory, logger: logger)
        let journal = Journal(directory: directory, groupCommit: groupCommit, segmentBytes: segmentBytes, maxBytes: maxBytes, maxAge: maxAge,
                              logger: logger, state: state)
        journal.retireSegments()
        journal.startCommitter()
        logger.debug("journal opened", metadata: [
            "journal.directory": "\(directory)", "journal.firstSeq": "\(journal.firstSeq)", "journal.lastSeq": "\(state.lastSeq)",
            "journal.bytes": "\(journal.byteCount)", "journal.segments": "\(journal.segmentCount)",
        ])
        return journal
    }

    /// Opens the journal in `directory` with the limits of `bus.journal:`.
    public static func open(directory: String, settings: BusConfig.JournalSettings, logger: Logger) throws(BusError) -> Journal {
        try open(directory: directory, groupCommit: settings.groupCommit, segmentBytes: settings.segmentBytes, maxBytes: settings.maxBytes,
                 maxAge: settings.maxAge, logger: logger)
    }

    /// Appends a record. `seq` must be above every seq appended before.
    ///
    /// The record is buffered, and written with `write(2)` by ``writeBuffered()`` or once enough has gathered;
    /// it is durable once ``durableSeq`` reaches `seq`.
    public func append(seq: UInt64, payload: [UInt8]) throws(BusError) {
        guard payload.count <= Self.maxPayloadBytes else {
            throw BusError(.journal, "a record of \(payload.count) bytes exceeds the journal's limit of \(Self.maxPayloadBytes)")
        }
        try state.withLock { (state: inout State) throws(BusError) in
            guard !state.closed else { throw BusError(.journal, "the journal in \(directory) is closed") }
            guard seq > state.lastSeq, seq <= Self.maxSeq else {
                throw BusError(.journal, "seq \(seq) does not follow the journal's last seq \(state.lastSeq) or exceeds \(Self.maxSeq)")
            }
            if let failure = state.failure, state.buffer.count >= Self.maxBufferedBytes {
                throw BusError(.journal, "the journal in \(directory) is not writable (\(failure)); \(state.buffer.count) bytes are waiting")
            }
            if state.fd >= 0, let current = state.segments.last {
                let currentBytes = current.size + Int64(state.buffer.count)
                let recordBytes = Int64(JournalRecord.headerSize + payload.count)
                if currentBytes > 0, state.rotateByAge || currentBytes + recordBytes > Int64(segmentBytes) {
                    rotate(&state)
                }
            }
            if state.fd < 0 { try createSegment(firstSeq: seq, state: &state) }
            let segment = state.segments.count - 1
            state.segments[segment].index(seq: seq, offset: state.segments[segment].size + Int64(state.buffer.count))
            let before = state.buffer.count
            JournalRecord.append(seq: seq, payload: payload, to: &state.buffer)
            state.lastSeq = seq
            bytes.add(Int64(state.buffer.count - before), ordering: .relaxed)
            appended.store(seq, ordering: .releasing)
            if state.segments.count == 1 { oldest.store(state.segments[0].firstSeq, ordering: .releasing) }
            if state.buffer.count >= Self.writeThreshold { _ = writeBuffer(&state) }
        }
    }

    /// Hands every buffered record to the kernel with `write(2)`, so a crash of the process no longer loses
    /// them (a crash of the machine still may, until they are synced). The publisher calls it before it sends
    /// what it journalled: subscribers must never have an event the journal could lose with the process.
    /// A failure is retried by the next group commit, which also reports it.
    public func writeBuffered() {
        state.withLock { state in _ = writeBuffer(&state) }
    }

    /// Runs `action` once ``durableSeq`` reaches `seq`: now if it has, else on the commit thread after
    /// the sync that gets there. An action whose seq is never synced (the journal closes first) never runs.
    public func whenDurable(_ seq: UInt64, _ action: @escaping @Sendable () -> Void) {
        guard seq > durableSeq else { return action() }
        durableWaiters.withLock { $0.append((seq, action)) }
        // A commit may have advanced the seq between the check and the append.
        runDurableWaiters()
    }

    private func runDurableWaiters() {
        let synced = durableSeq
        let ready = durableWaiters.withLock { waiters -> [@Sendable () -> Void] in
            let count = waiters.prefix { $0.seq <= synced }.count
            defer { waiters.removeFirst(count) }
            return waiters.prefix(count).map(\.action)
        }
        for action in ready { action() }
    }

    /// Writes and syncs everything appended, on the calling thread; for shutdown and tests.
    public func flush() throws(BusError) {
        if let failure = commit() { throw BusError(.journal, failure) }
    }

    /// Stops the commit thread, flushes, and closes the file; later calls do nothing.
    ///
    /// Reads keep working after close: they open the segment files themselves.
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
            // Whatever commit could not sync is as synced as it will get.
            for fd in state.closing { FileSystem.close(fd) }
            state.closing = []
            state.fd = -1
            state.closed = true
        }
    }

    /// Reads up to `limit` records with seq from `seq` through `last`, in order: the basis of replay.
    ///
    /// Sees every record appended before the call, written or still buffered (unless writes are
    /// failing, when only what reached the kernel is visible). Records in segments retired while
    /// the read runs are skipped, so the result may start above `seq` even when ``firstSeq`` did not,
    /// or end early; within it, seqs follow the journal without gaps (unless records were never appended).
    public func read(from seq: UInt64, through last: UInt64 = .max, limit: Int) throws(BusError) -> [(UInt64, [UInt8])] {
        var position: ReadPosition?
        return try read(from: seq, through: last, limit: limit, position: &position)
    }

    /// Reads as ``read(from:through:limit:)``, continuing from `position` when it says where `seq` starts, and
    /// updating it to where this read stopped.
    func read(from seq: UInt64, through last: UInt64, limit: Int, position: inout ReadPosition?) throws(BusError) -> [(UInt64, [UInt8])] {
        guard limit > 0, seq <= last else { return [] }
        let known = position
        let (segments, startOffset) = state.withLock { (state: inout State) -> ([(UInt64, String, Int64)], Int64) in
            // Records still buffered are written first, so the read sees them; older ones are on disk already,
            // and the appending thread is not kept waiting for a write it does not need. A write failure is the
            // commit thread's to report; the read sees what reached the kernel.
            if last > state.writtenSeq { _ = writeBuffer(&state) }
            var start: Int
            var offset: Int64 = 0
            if let known, known.nextSeq == seq, let found = state.segments.firstIndex(where: { $0.firstSeq == known.segmentFirstSeq }) {
                start = found
                offset = known.offset
            } else {
                start = state.segments.lastIndex { $0.firstSeq <= seq } ?? 0
                // The last index entry at or below `seq` is where the scan starts; later entries would skip it.
                if start < state.segments.count, let entry = state.segments[start].index.last(where: { $0.seq <= seq }) {
                    offset = entry.offset
                }
            }
            let segments = state.segments.dropFirst(start).map { ($0.firstSeq, $0.path, $0.size) }
            return (segments, offset)
        }
        var records: [(UInt64, [UInt8])] = []
        for (number, (firstSeq, path, size)) in segments.enumerated() {
            let fd = FileSystem.open(path, O_RDONLY)
            guard fd >= 0 else {
                // Retention deleted it after the list was taken. Skip it when nothing was read yet; otherwise stop,
                // so that a read returns one unbroken run of seqs.
                if errno == ENOENT {
                    if records.isEmpty { continue }
                    position = nil
                    return records
                }
                throw BusError(.journal, "cannot open journal segment \(path): \(FileSystem.lastError)")
            }
            defer { FileSystem.close(fd) }
            var reader = JournalRecordReader(fd: fd, path: path, offset: number == 0 ? startOffset : 0, limit: size)
            scan: while true {
                switch try reader.next() {
                case .record(let recordSeq, let payload, _):
                    guard recordSeq >= seq else { continue }
                    guard recordSeq <= last else {
                        position = nil
                        return records
                    }
                    records.append((recordSeq, payload))
                    if records.count == limit {
                        position = ReadPosition(segmentFirstSeq: firstSeq, offset: reader.offset, nextSeq: recordSeq + 1)
                        return records
                    }
                case .end, .damaged:
                    // Damage inside an older segment was reported when the journal was opened.
                    break scan
                }
            }
        }
        position = nil
        return records
    }

    // MARK: Writing and syncing

    private func createSegment(firstSeq: UInt64, state: inout State) throws(BusError) {
        let path = Self.segmentPath(directory: directory, firstSeq: firstSeq)
        let fd = FileSystem.open(path, O_WRONLY | O_CREAT | O_APPEND)
        guard fd >= 0 else {
            throw BusError(.journal, "cannot create journal segment \(path): \(FileSystem.lastError)")
        }
        let now = Date().timeIntervalSince1970
        state.segments.append(Segment(firstSeq: firstSeq, path: path, size: 0, openedAt: now, lastWrite: now))
        state.fd = fd
        state.rotateByAge = false
        state.directoryNeedsSync = true
    }

    /// Closes the current segment so the next append starts a new one. Its descriptor waits in
    /// `closing` for the commit thread, which syncs it: the appending thread never waits for the disk.
    private func rotate(_ state: inout State) {
        // The buffer belongs to the current segment; when it cannot be written, stay on it and retry later.
        guard writeBuffer(&state) == nil, state.buffer.isEmpty else { return }
        state.closing.append(state.fd)
        state.fd = -1
        state.segments[state.segments.count - 1].lastWrite = Date().timeIntervalSince1970
    }

    /// The file of the segment starting at `firstSeq`: zero-padded, so names sort as seqs do.
    static func segmentPath(directory: String, firstSeq: UInt64) -> String {
        let name = "journal-" + String(repeating: "0", count: max(0, 20 - String(firstSeq).count)) + String(firstSeq) + ".log"
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Hands the buffer to the kernel; returns the failure, if any. Called with the state locked,
    /// which keeps the appending thread's writes and the commit thread's writes in order.
    private func writeBuffer(_ state: inout State) -> String? {
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

    /// Writes what is buffered, then syncs it and every segment closed since; returns the failure, if any.
    private func commit() -> String? {
        commitLock.withLock { _ -> String? in
            let (fd, target, closing, syncDirectory, writeFailure) = state.withLock { state in
                let failure = writeBuffer(&state)
                let syncDirectory = state.directoryNeedsSync
                state.directoryNeedsSync = false
                let closing = state.closing
                state.closing = []
                return (state.fd, state.writtenSeq, closing, syncDirectory, failure)
            }
            for (position, closingFD) in closing.enumerated() {
                guard FileSystem.syncData(closingFD) else {
                    let failure = "cannot sync a closed segment of the journal in \(directory): \(FileSystem.lastError)"
                    state.withLock { $0.closing.insert(contentsOf: closing[position...], at: 0) }
                    return failure
                }
                FileSystem.close(closingFD)
            }
            if syncDirectory, !FileSystem.syncDirectory(directory) {
                state.withLock { $0.directoryNeedsSync = true }
                return "cannot sync journal directory \(directory): \(FileSystem.lastError)"
            }
            if target > durable.load(ordering: .acquiring) {
                if fd >= 0, !FileSystem.syncData(fd) {
                    return "cannot sync the journal in \(directory): \(FileSystem.lastError)"
                }
                durable.store(target, ordering: .releasing)
            }
            runDurableWaiters()
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
            retireSegments()
        }
        wakeup.lock()
        committerExited.store(true, ordering: .sequentiallyConsistent)
        wakeup.broadcast()
        wakeup.unlock()
    }
}
