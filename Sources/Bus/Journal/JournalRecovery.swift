import Foundation
import GatewayCore
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Journal {
    /// Scans every segment, cuts a damaged tail off the last one, and rebuilds the index.
    static func recover(directory: String, logger: Logger) throws(BusError) -> State {
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

        let now = Date().timeIntervalSince1970
        var state = State()
        for (position, (firstSeq, path)) in segmentFiles.enumerated() {
            let isLast = position == segmentFiles.count - 1
            let fd = FileSystem.open(path, O_RDONLY)
            guard fd >= 0 else { throw BusError(.journal, "cannot open journal segment \(path): \(FileSystem.lastError)") }
            defer { FileSystem.close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw BusError(.journal, "cannot stat journal segment \(path): \(FileSystem.lastError)") }
            let fileSize = Int64(info.st_size)
            // The file's modification time is when its newest record was written: what retirement by age goes by.
            #if canImport(Glibc)
            let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            #else
            let modified = Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9
            #endif
            var segment = Segment(firstSeq: firstSeq, path: path, size: fileSize, openedAt: now, lastWrite: modified)
            var reader = JournalRecordReader(fd: fd, path: path, offset: 0, limit: fileSize)
            var validSize = fileSize
            scan: while true {
                switch try reader.next() {
                case .record(let seq, _, let offset):
                    // A seq beyond Int64's range is no gateway's: its checksum matched by chance or by design,
                    // and the next seq after it could not be counted.
                    guard seq > state.lastSeq, seq <= Journal.maxSeq else {
                        validSize = offset
                        report(path: path, offset: offset, fileSize: fileSize, isLast: isLast, lastSeq: state.lastSeq,
                               reason: seq > Journal.maxSeq ? "seq \(seq) is beyond the largest seq \(Journal.maxSeq)"
                                                            : "seq \(seq) does not follow seq \(state.lastSeq)", logger: logger)
                        break scan
                    }
                    segment.index(seq: seq, offset: offset)
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
            segment.size = validSize
            state.segments.append(segment)
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
