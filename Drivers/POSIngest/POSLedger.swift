import Foundation
import GatewayCore
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The idempotency ledger: every POS transaction key (and webhook delivery id) the gateway has
/// published, so a re-sent document publishes nothing twice — across restarts too.
///
/// One append-only text file, a line per key: `<unix seconds> <key, percent-encoded>\n`. Appends
/// are fsynced before the listener answers. At open, entries older than the retention are dropped,
/// a torn last line (a crash mid-write) is cut off, and the file is rewritten when that removed
/// anything. Shared by all POS sources; keys carry the driver name, since two POS systems number
/// their transactions independently.
public final class POSLedger: Sendable {
    /// The file.
    public let path: String
    /// How long a key is remembered.
    public let retention: Duration
    private let state: Mutex<State>
    private let logger: Logger

    struct State {
        var fd: Int32
        /// Key → when it was recorded (unix seconds).
        var entries: [String: Int64]
        /// Lines in the file, live or expired: compaction runs when it is far above the live count.
        var lines: Int
    }

    /// Opens (or creates) the ledger at `path`, dropping expired entries and a torn tail.
    /// - Throws: ``POSIngestError`` when the file cannot be read or written.
    public init(path: String, retention: Duration, now: Date = Date(), logger: Logger) throws(POSIngestError) {
        self.path = path
        self.retention = retention
        self.logger = logger
        let cutoff = Int64(now.timeIntervalSince1970) - retention.components.seconds
        var entries: [String: Int64] = [:]
        var lines = 0
        var rewrite = false
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw POSIngestError(.storage, "cannot read the POS ledger \(path)")
            }
            var bytes = [UInt8](data)
            if let last = bytes.lastIndex(of: 10), last != bytes.count - 1 {
                logger.warning("POS ledger \(path): dropping a torn last line (\(bytes.count - last - 1) bytes)")
                bytes.removeSubrange((last + 1)...)
                rewrite = true
            } else if !bytes.isEmpty, bytes.last != 10 {
                logger.warning("POS ledger \(path): dropping a torn last line (\(bytes.count) bytes)")
                bytes.removeAll()
                rewrite = true
            }
            for (number, line) in bytes.split(separator: 10).enumerated() {
                let text = String(decoding: line, as: UTF8.self)
                guard let space = text.firstIndex(of: " "), let seconds = Int64(text[..<space]),
                      let key = String(text[text.index(after: space)...]).removingPercentEncoding, !key.isEmpty else {
                    logger.warning("POS ledger \(path): line \(number + 1) is not '<seconds> <key>'; skipped")
                    rewrite = true
                    continue
                }
                lines += 1
                if seconds < cutoff { rewrite = true; continue }
                entries[key] = max(entries[key] ?? 0, seconds)
            }
        }
        if rewrite || lines != entries.count {
            try Self.writeCompacted(entries, to: path)
            lines = entries.count
        }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIngestError(.storage, "cannot open the POS ledger \(path): \(String(cString: strerror(errno)))") }
        state = Mutex(State(fd: fd, entries: entries, lines: lines))
    }

    deinit {
        state.withLock { _ = close($0.fd) }
    }

    /// How many keys are remembered.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Whether `key` was recorded (and has not expired).
    public func contains(_ key: String) -> Bool { state.withLock { $0.entries[key] != nil } }

    /// Records keys and fsyncs them before returning; keys already present are skipped.
    /// - Throws: ``POSIngestError`` `.storage` when the write or the fsync fails; the keys are then
    ///   not remembered in memory either, so a retry of the document is not taken for a duplicate.
    public func record(_ keys: [String], now: Date = Date()) throws(POSIngestError) {
        let seconds = Int64(now.timeIntervalSince1970)
        let result: POSIngestError? = state.withLock { state in
            let fresh = keys.filter { state.entries[$0] == nil }
            guard !fresh.isEmpty else { return nil }
            var text = ""
            for key in fresh { text += "\(seconds) \(Self.encode(key))\n" }
            let bytes = Array(text.utf8)
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { write(state.fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    return POSIngestError(.storage, "cannot write the POS ledger \(path): \(String(cString: strerror(errno)))")
                }
                written += n
            }
            guard fsync(state.fd) == 0 else {
                return POSIngestError(.storage, "cannot fsync the POS ledger \(path): \(String(cString: strerror(errno)))")
            }
            for key in fresh { state.entries[key] = seconds }
            state.lines += fresh.count
            return nil
        }
        if let result { throw result }
        compactIfBloated(now: now)
    }

    /// Rewrites the file without expired keys when it holds far more lines than live keys.
    private func compactIfBloated(now: Date) {
        let cutoff = Int64(now.timeIntervalSince1970) - retention.components.seconds
        state.withLock { state in
            guard state.lines > 2 * state.entries.count + 10_000 || state.entries.values.contains(where: { $0 < cutoff }) && state.lines > 10_000 else { return }
            state.entries = state.entries.filter { $0.value >= cutoff }
            do {
                try Self.writeCompacted(state.entries, to: path)
                let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
                guard fd >= 0 else { return }
                close(state.fd)
                state.fd = fd
                state.lines = state.entries.count
            } catch {
                logger.warning("POS ledger \(path): compaction failed, the file keeps growing: \(error)")
            }
        }
    }

    /// Writes the live keys to a temporary file, fsyncs it and renames it over the ledger.
    private static func writeCompacted(_ entries: [String: Int64], to path: String) throws(POSIngestError) {
        let temporary = path + ".compact"
        var text = ""
        for (key, seconds) in entries.sorted(by: { $0.value < $1.value || $0.value == $1.value && $0.key < $1.key }) {
            text += "\(seconds) \(encode(key))\n"
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIngestError(.storage, "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                close(fd)
                throw POSIngestError(.storage, "cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            written += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            throw POSIngestError(.storage, "cannot replace the POS ledger \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Keys are percent-encoded so spaces, newlines and `%` in POS ids cannot break the line format.
    static func encode(_ key: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/:|@")
        return key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key
    }
}
