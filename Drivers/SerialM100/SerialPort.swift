// Linux only: termios speeds and the tty semantics below are glibc's.
import Glibc
import TTY

/// A tty in raw 8N1 mode at a fixed speed, read with a timeout. Used from one thread only.
final class SerialPort {
    let path: String
    private(set) var descriptor: Int32

    /// Opens and configures the port.
    /// - Throws: `M100Error.notFound` when the path does not exist, `.io` for anything else.
    init(path: String, baud: Int) throws(M100Error) {
        self.path = path
        descriptor = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw M100Error(code == ENOENT || code == ENODEV || code == ENXIO ? .notFound : .io, "opening \(path) failed: \(RawTTY.describe(code))")
        }
        do {
            try configure(baud: baud)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func configure(baud: Int) throws(M100Error) {
        do {
            try RawTTY.configure(descriptor, path: path, baud: baud)
        } catch {
            throw M100Error(.io, error.message)
        }
        // Whatever the reader said before we listened is stale.
        tcflush(descriptor, TCIOFLUSH)
    }

    /// Writes all of `bytes`, waiting up to `timeout` milliseconds for room.
    func write(_ bytes: [UInt8], timeout: Int32 = 1_000) throws(M100Error) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
                continue
            }
            let code = errno
            guard written < 0, code == EAGAIN || code == EINTR else {
                throw M100Error(.io, "writing to \(path) failed: \(RawTTY.describe(code))")
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, timeout) > 0, poller.revents & Int16(POLLOUT) != 0 else {
                throw M100Error(.io, "writing to \(path) timed out or the port hung up")
            }
        }
    }

    /// Waits until written bytes have left the port (so a stop command is sent before closing).
    func drain() { _ = tcdrain(descriptor) }

    /// Reads what has arrived, waiting up to `timeout` milliseconds; 0 bytes means nothing arrived.
    /// - Throws: `M100Error.io` when the device hung up or vanished.
    func read(into buffer: inout [UInt8], timeout: Int32) throws(M100Error) -> Int {
        do {
            return try RawTTY.read(descriptor, path: path, into: &buffer, timeout: timeout)
        } catch {
            throw M100Error(.io, error.message)
        }
    }

    func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }
}
