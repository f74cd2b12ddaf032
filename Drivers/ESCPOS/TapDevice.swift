// Linux only: termios speeds and the tty semantics below are glibc's.
import Glibc
import TTY

/// One side of the tap: the tty the POS prints into, or the printer it goes on to. Used from one thread only.
///
/// A tty is set up raw 8N1 by ``RawTTY``, as the M100 driver's ports are. Anything that is not a tty (a USB printer's `/dev/usb/lpN`,
/// a FIFO, a file) is used as it is.
final class TapDevice {
    /// Which way bytes go.
    enum Role {
        /// The POS writes; the tap reads.
        case input
        /// The tap writes; the printer reads.
        case printer
    }

    let path: String
    private(set) var descriptor: Int32

    /// Opens and, for a tty, configures the device.
    /// - Throws: `ESCPOSError.notFound` when the path does not exist, `.io` for anything else.
    init(path: String, role: Role, baud: Int) throws(ESCPOSError) {
        self.path = path
        var flags = O_NOCTTY | O_NONBLOCK | O_CLOEXEC
        switch role {
        case .input:
            flags |= O_RDWR
        case .printer:
            flags |= O_WRONLY
            var info = stat()
            if stat(path, &info) != 0 {
                // A missing device is waited for; a missing file (a paper-less test or audit trail) is created,
                // but never under /dev, where a file in place of an unplugged printer would hide it.
                if path.hasPrefix("/dev/") {
                    throw ESCPOSError(.notFound, "opening \(path) failed: \(RawTTY.describe(ENOENT))")
                }
                flags |= O_CREAT | O_APPEND
            } else if info.st_mode & S_IFMT == S_IFREG {
                flags |= O_APPEND
            }
        }
        descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            throw ESCPOSError(code == ENOENT || code == ENODEV || code == ENXIO ? .notFound : .io, "opening \(path) failed: \(RawTTY.describe(code))")
        }
        if isatty(descriptor) == 1 {
            do {
                try configure(baud: baud)
            } catch {
                close()
                throw error
            }
        }
    }

    deinit { close() }

    private func configure(baud: Int) throws(ESCPOSError) {
        do {
            try RawTTY.configure(descriptor, path: path, baud: baud)
        } catch {
            throw ESCPOSError(.io, error.message)
        }
    }

    /// Reads what has arrived, waiting up to `timeout` milliseconds; 0 bytes means nothing arrived.
    /// - Throws: `ESCPOSError.io` when the device hung up or vanished.
    func read(into buffer: inout [UInt8], timeout: Int32) throws(ESCPOSError) -> Int {
        do {
            return try RawTTY.read(descriptor, path: path, into: &buffer, timeout: timeout)
        } catch {
            throw ESCPOSError(.io, error.message)
        }
    }

    /// Writes as much of `bytes` as the device takes within `timeout` milliseconds; returns how much that was.
    /// - Throws: `ESCPOSError.io` when the device failed or vanished.
    func write(_ bytes: ArraySlice<UInt8>, timeout: Int32) throws(ESCPOSError) -> Int {
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        if written >= 0 { return written }
        let code = errno
        guard code == EAGAIN || code == EINTR else {
            throw ESCPOSError(.io, "writing to \(path) failed: \(RawTTY.describe(code))")
        }
        var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        if poll(&poller, 1, timeout) > 0, poller.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
            throw ESCPOSError(.io, "\(path) hung up")
        }
        return 0
    }

    func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }
}
