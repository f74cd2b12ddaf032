// Linux only: termios speeds and the tty semantics below are glibc's.
import Glibc

/// One side of the tap: the tty the POS prints into, or the printer it goes on to. Used from one thread only.
///
/// The termios set-up is the same raw 8N1 as `SerialM100`'s `SerialPort` (duplicated on purpose: the
/// drivers do not depend on each other). Anything that is not a tty (a USB printer's `/dev/usb/lpN`,
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
                    throw ESCPOSError(.notFound, "opening \(path) failed: \(Self.describe(ENOENT))")
                }
                flags |= O_CREAT | O_APPEND
            } else if info.st_mode & S_IFMT == S_IFREG {
                flags |= O_APPEND
            }
        }
        descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            throw ESCPOSError(code == ENOENT || code == ENODEV || code == ENXIO ? .notFound : .io, "opening \(path) failed: \(Self.describe(code))")
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

    /// Raw mode: no echo, no line editing, no CR/LF translation, no flow control, 8 data bits, no parity, 1 stop bit.
    private func configure(baud: Int) throws(ESCPOSError) {
        guard let speed = Self.speed(baud) else { throw ESCPOSError(.io, "\(baud) baud is not supported") }
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else {
            throw ESCPOSError(.io, "\(path) is not a serial port: \(Self.describe(errno))")
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
            throw ESCPOSError(.io, "configuring \(path) for \(baud) 8N1 failed: \(Self.describe(errno))")
        }
    }

    /// Reads what has arrived, waiting up to `timeout` milliseconds; 0 bytes means nothing arrived.
    /// - Throws: `ESCPOSError.io` when the device hung up or vanished.
    func read(into buffer: inout [UInt8], timeout: Int32) throws(ESCPOSError) -> Int {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeout)
        if ready < 0 {
            if errno == EINTR { return 0 }
            throw ESCPOSError(.io, "waiting for \(path) failed: \(Self.describe(errno))")
        }
        if ready == 0 { return 0 }
        if poller.revents & Int16(POLLIN) == 0, poller.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
            throw ESCPOSError(.io, "\(path) hung up")
        }
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 { return count }
        let code = errno
        if count < 0, code == EAGAIN || code == EINTR { return 0 }
        // Readable but nothing to read: end of file, the device is gone.
        throw ESCPOSError(.io, count == 0 ? "\(path) closed" : "reading \(path) failed: \(Self.describe(code))")
    }

    /// Writes as much of `bytes` as the device takes within `timeout` milliseconds; returns how much that was.
    /// - Throws: `ESCPOSError.io` when the device failed or vanished.
    func write(_ bytes: ArraySlice<UInt8>, timeout: Int32) throws(ESCPOSError) -> Int {
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        if written >= 0 { return written }
        let code = errno
        guard code == EAGAIN || code == EINTR else {
            throw ESCPOSError(.io, "writing to \(path) failed: \(Self.describe(code))")
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
