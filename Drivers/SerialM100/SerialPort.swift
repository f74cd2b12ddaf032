// Linux only: termios speeds and the tty semantics below are glibc's.
import Glibc

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
            throw M100Error(code == ENOENT || code == ENODEV || code == ENXIO ? .notFound : .io, "opening \(path) failed: \(Self.describe(code))")
        }
        do {
            try configure(baud: baud)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Raw mode: no echo, no line editing, no CR/LF translation, no flow control, 8 data bits, no parity, 1 stop bit.
    private func configure(baud: Int) throws(M100Error) {
        guard let speed = Self.speed(baud) else { throw M100Error(.io, "\(baud) baud is not supported") }
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else {
            throw M100Error(.io, "\(path) is not a serial port: \(Self.describe(errno))")
        }
        cfmakeraw(&settings)
        settings.c_cflag &= ~tcflag_t(CSIZE | PARENB | CSTOPB)
        settings.c_cflag &= ~tcflag_t(CRTSCTS)
        settings.c_cflag |= tcflag_t(CS8 | CLOCAL | CREAD)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard cfsetispeed(&settings, speed) == 0, cfsetospeed(&settings, speed) == 0,
              tcsetattr(descriptor, TCSANOW, &settings) == 0 else {
            throw M100Error(.io, "configuring \(path) for \(baud) 8N1 failed: \(Self.describe(errno))")
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
                throw M100Error(.io, "writing to \(path) failed: \(Self.describe(code))")
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
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeout)
        if ready < 0 {
            if errno == EINTR { return 0 }
            throw M100Error(.io, "waiting for \(path) failed: \(Self.describe(errno))")
        }
        if ready == 0 { return 0 }
        if poller.revents & Int16(POLLIN) == 0, poller.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
            throw M100Error(.io, "\(path) hung up")
        }
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 { return count }
        let code = errno
        if count < 0, code == EAGAIN || code == EINTR { return 0 }
        // Readable but nothing to read: end of file, the device is gone.
        throw M100Error(.io, count == 0 ? "\(path) closed" : "reading \(path) failed: \(Self.describe(code))")
    }

    func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    static func speed(_ baud: Int) -> speed_t? {
        switch baud {
        case 9_600: speed_t(B9600)
        case 19_200: speed_t(B19200)
        case 38_400: speed_t(B38400)
        case 57_600: speed_t(B57600)
        case 115_200: speed_t(B115200)
        case 230_400: speed_t(B230400)
        case 460_800: speed_t(B460800)
        case 921_600: speed_t(B921600)
        default: nil
        }
    }

    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
