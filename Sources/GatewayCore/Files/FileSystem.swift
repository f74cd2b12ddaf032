import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file calls the journal and the key files make, under names that types with their own
/// `open` and `close` methods can still reach, and with the platforms' differences in one place.
package enum FileSystem {
    /// Opens `path`; the descriptor, or `-1` with `errno` set.
    package static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) -> Int32 {
        #if canImport(Glibc)
        Glibc.open(path, flags | O_CLOEXEC, mode)
        #else
        Darwin.open(path, flags | O_CLOEXEC, mode)
        #endif
    }

    /// Closes a descriptor.
    package static func close(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// Syncs a file's data to stable storage; `false` with `errno` set on failure.
    package static func syncData(_ fd: Int32) -> Bool {
        #if canImport(Glibc)
        // The data is what must survive; fdatasync skips flushing the inode's timestamps.
        fdatasync(fd) == 0
        #else
        fsync(fd) == 0
        #endif
    }

    /// Syncs a directory, so that a file created in it survives a crash.
    package static func syncDirectory(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return fsync(fd) == 0
    }

    /// The text of the calling thread's last `errno`.
    package static var lastError: String { String(cString: strerror(errno)) }

    /// A file operation that failed; the message names the file and the step.
    package struct Failure: Error {
        /// `cannot create x.tmp: Permission denied`.
        package let message: String
        init(_ message: String) { self.message = message }
    }

    /// Writes `bytes` to `path` through a synced temporary file created 0600, then renames it over `path`
    /// (or, with `exclusive`, hard-links it, which fails when `path` exists) and syncs the folder.
    ///
    /// - Returns: `false` when `exclusive` and `path` existed; else `true`.
    package static func writePrivately(_ bytes: [UInt8], to path: String, exclusive: Bool = false) throws(Failure) -> Bool {
        // A name of this process's own: two writers never share a temporary file.
        let temporary = "\(path).\(getpid()).tmp"
        _ = unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        guard fd >= 0 else { throw Failure("cannot create \(temporary): \(lastError)") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                #if canImport(Glibc)
                Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                #else
                Darwin.write(fd, buffer.baseAddress! + written, buffer.count - written)
                #endif
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            written += count
        }
        // The umask may have taken bits off; 0600 is what is meant: only the owner may read a key or an export.
        let synced = written == bytes.count && fchmod(fd, 0o600) == 0 && fsync(fd) == 0
        let reason = lastError
        close(fd)
        guard synced else {
            _ = unlink(temporary)
            throw Failure("cannot write \(temporary): \(reason)")
        }
        defer { _ = unlink(temporary) }
        if exclusive {
            if link(temporary, path) != 0 {
                if errno == EEXIST || FileManager.default.fileExists(atPath: path) { return false }
                // A file system without hard links: a plain rename, which only a writer racing this one could undo.
                guard rename(temporary, path) == 0 else {
                    throw Failure("cannot create \(path): \(lastError)")
                }
            }
        } else {
            guard rename(temporary, path) == 0 else {
                throw Failure("cannot rename \(temporary) to \(path): \(lastError)")
            }
        }
        try syncFolder(of: path)
        return true
    }

    /// Syncs the folder holding `path`, so a name created or renamed in it survives a power cut.
    package static func syncFolder(of path: String) throws(Failure) {
        let folder = (path as NSString).deletingLastPathComponent
        guard syncDirectory(folder.isEmpty ? "." : folder) else {
            throw Failure("cannot sync the folder of \(path): \(lastError)")
        }
    }
}
