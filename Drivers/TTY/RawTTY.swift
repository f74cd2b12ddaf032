// Linux only: termios speeds and the tty semantics below are glibc's.
import Glibc

/// The raw 8N1 tty shared by the serial drivers (the M100 readers, the ESC/POS tap): set-up and a
/// read with a timeout. Problems come back as sentences; each driver wraps them in its own error.
public enum RawTTY {
    /// What went wrong with a tty, as a sentence naming the path.
    public struct Problem: Error, Sendable {
        /// The sentence.
        public let message: String
    }

    /// Raw mode: no echo, no line editing, no CR/LF translation, no flow control, 8 data bits, no
    /// parity, 1 stop bit, reads that return at once.
    ///
    /// A tty keeps its settings across opens, so everything is set, not just what `cfmakeraw` touches:
    /// an earlier user's IXOFF would have the port send XOFF (0x13) to the device when its input fills.
    public static func configure(_ descriptor: Int32, path: String, baud: Int) throws(Problem) {
        guard let speed = speed(baud) else { throw Problem(message: "\(baud) baud is not supported") }
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else {
            throw Problem(message: "\(path) is not a serial port: \(describe(errno))")
        }
        cfmakeraw(&settings)
        settings.c_iflag &= ~tcflag_t(IXOFF | IXANY | INPCK | IUCLC)
        settings.c_cflag &= ~tcflag_t(CSIZE | PARENB | CSTOPB)
        settings.c_cflag &= ~tcflag_t(CRTSCTS)
        settings.c_cflag |= tcflag_t(CS8 | CLOCAL | CREAD)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard cfsetispeed(&settings, speed) == 0, cfsetospeed(&settings, speed) == 0,
              tcsetattr(descriptor, TCSANOW, &settings) == 0 else {
            throw Problem(message: "configuring \(path) for \(baud) 8N1 failed: \(describe(errno))")
        }
    }

    /// Reads what has arrived, waiting up to `timeout` milliseconds; 0 bytes means nothing arrived.
    /// Throws when the device hung up or vanished.
    public static func read(_ descriptor: Int32, path: String, into buffer: inout [UInt8], timeout: Int32) throws(Problem) -> Int {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeout)
        if ready < 0 {
            if errno == EINTR { return 0 }
            throw Problem(message: "waiting for \(path) failed: \(describe(errno))")
        }
        if ready == 0 { return 0 }
        if poller.revents & Int16(POLLIN) == 0, poller.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
            throw Problem(message: "\(path) hung up")
        }
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 { return count }
        let code = errno
        if count < 0, code == EAGAIN || code == EINTR { return 0 }
        // Readable but nothing to read: end of file, the device is gone.
        throw Problem(message: count == 0 ? "\(path) closed" : "reading \(path) failed: \(describe(code))")
    }

    /// The termios speed of a baud rate; `nil` when the driver does not support it.
    public static func speed(_ baud: Int) -> speed_t? {
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

    /// `strerror` as a Swift string.
    public static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
