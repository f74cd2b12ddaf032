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
}
