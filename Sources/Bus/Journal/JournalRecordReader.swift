#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The on-disk record layout, shared by the writer and the reader.
///
/// Every record is a 16-byte header followed by the payload, all integers little-endian:
///
/// ```
/// offset 0   u32  payload length in bytes
/// offset 4   u32  CRC-32 (IEEE) of the payload
/// offset 8   u64  seq
/// offset 16  payload
/// ```
enum JournalRecord {
    static let headerSize = 16
    /// Bounds a length read from a damaged header, so garbage never makes the reader allocate gigabytes.
    static let maxPayloadBytes = 16 * 1_024 * 1_024

    /// Appends one encoded record to `buffer`.
    static func append(seq: UInt64, payload: [UInt8], to buffer: inout [UInt8]) {
        appendLittleEndian(UInt32(payload.count), to: &buffer)
        appendLittleEndian(CRC32.checksum(payload), to: &buffer)
        appendLittleEndian(seq, to: &buffer)
        buffer.append(contentsOf: payload)
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    static func readLittleEndian<T: FixedWidthInteger>(_ type: T.Type, from buffer: [UInt8], at index: Int) -> T {
        var value: T = 0
        for byte in (0..<MemoryLayout<T>.size).reversed() {
            value = value << 8 | T(buffer[index + byte])
        }
        return value
    }
}

/// Reads records from one segment file sequentially through a large buffer, so a scan of a
/// big journal costs a few hundred reads rather than two per record.
struct JournalRecordReader {
    /// What the next position in the file holds.
    enum Step {
        /// A whole record whose checksum matches.
        case record(seq: UInt64, payload: [UInt8], offset: Int64)
        /// The clean end: the last record ended exactly at the limit.
        case end
        /// Bytes at `offset` are not a whole, valid record.
        case damaged(offset: Int64, reason: String)
    }

    private static let chunk = 1 << 20
    private let fd: Int32
    private let limit: Int64
    private let path: String
    /// Bytes `cursor..<end` are read and not yet consumed; the array itself is only storage.
    private var buffer: [UInt8] = []
    private var end = 0
    private var bufferStart: Int64
    private var cursor = 0

    /// Reads `fd` from `offset` up to `limit` bytes into the file.
    init(fd: Int32, path: String, offset: Int64, limit: Int64) {
        self.fd = fd
        self.path = path
        self.limit = limit
        bufferStart = offset
    }

    /// The file offset of the next unread byte.
    var offset: Int64 { bufferStart + Int64(cursor) }

    /// Makes `needed` bytes available at the cursor; `false` when the file (or the limit) ends first.
    private mutating func fill(_ needed: Int) throws(BusError) -> Bool {
        if end - cursor >= needed { return true }
        // Keep the unread bytes, moved to the front, and make room for at least a chunk more.
        let unread = end - cursor
        let capacity = max(buffer.count, needed, Self.chunk)
        if buffer.count < capacity {
            var grown = [UInt8](repeating: 0, count: capacity)
            grown.withUnsafeMutableBytes { target in
                buffer.withUnsafeBytes { source in
                    guard unread > 0 else { return }
                    target.baseAddress!.copyMemory(from: source.baseAddress! + cursor, byteCount: unread)
                }
            }
            buffer = grown
        } else if cursor > 0 && unread > 0 {
            buffer.withUnsafeMutableBytes { bytes in
                bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + cursor, byteCount: unread)
            }
        }
        bufferStart += Int64(cursor)
        cursor = 0
        end = unread
        while end < needed {
            let fileOffset = bufferStart + Int64(end)
            let want = Int(min(Int64(buffer.count - end), limit - fileOffset))
            if want <= 0 { return false }
            let (count, error) = buffer.withUnsafeMutableBytes { bytes in
                let count = pread(fd, bytes.baseAddress! + end, want, off_t(fileOffset))
                return (count, count < 0 ? errno : 0)
            }
            if count < 0 {
                if error == EINTR { continue }
                throw BusError(.journal, "cannot read journal \(path) at offset \(fileOffset): \(String(cString: strerror(error)))")
            }
            if count == 0 { return false }
            end += count
        }
        return true
    }

    /// Reads the next record.
    mutating func next() throws(BusError) -> Step {
        let start = offset
        if start >= limit { return .end }
        guard try fill(JournalRecord.headerSize) else {
            return .damaged(offset: start, reason: "a torn record header of \(limit - start) bytes")
        }
        let length = Int(JournalRecord.readLittleEndian(UInt32.self, from: buffer, at: cursor))
        let crc = JournalRecord.readLittleEndian(UInt32.self, from: buffer, at: cursor + 4)
        let seq = JournalRecord.readLittleEndian(UInt64.self, from: buffer, at: cursor + 8)
        guard length <= JournalRecord.maxPayloadBytes else {
            return .damaged(offset: start, reason: "an implausible record length of \(length) bytes")
        }
        guard try fill(JournalRecord.headerSize + length) else {
            return .damaged(offset: start, reason: "a torn record (seq \(seq) needs \(JournalRecord.headerSize + length) bytes, \(limit - start) remain)")
        }
        let payloadStart = cursor + JournalRecord.headerSize
        let payload = Array(buffer[payloadStart..<payloadStart + length])
        guard CRC32.checksum(payload) == crc else {
            return .damaged(offset: start, reason: "a checksum mismatch in the record claiming seq \(seq)")
        }
        cursor = payloadStart + length
        return .record(seq: seq, payload: payload, offset: start)
    }
}
