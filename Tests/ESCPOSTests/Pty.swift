import Foundation
import Glibc

/// A pty pair with its slave linked at a path, like a socat `link=`: the tap opens the link, the test holds the master.
final class Pty: @unchecked Sendable {
    let link: String
    private(set) var master: Int32 = -1

    private static let TIOCSPTLCK: UInt = 0x4004_5431 // _IOW('T', 0x31, int)
    private static let TIOCGPTN: UInt = 0x8004_5430 // _IOR('T', 0x30, unsigned int)

    init(link: String) { self.link = link }

    deinit { unplug() }

    /// Creates the pty and links its slave.
    func plug() throws {
        // posix_openpt and friends are hidden from Swift's Glibc; these are the ioctls they wrap.
        let fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)
        var unlock: CInt = 0
        var number: CUnsignedInt = 0
        guard fd >= 0, ioctl(fd, Self.TIOCSPTLCK, &unlock) == 0, ioctl(fd, Self.TIOCGPTN, &number) == 0 else {
            throw POSIXError(.EIO)
        }
        // The master side raw too, so the bytes the tap writes come out exactly.
        var settings = termios()
        tcgetattr(fd, &settings)
        cfmakeraw(&settings)
        tcsetattr(fd, TCSANOW, &settings)
        unlink(link)
        guard symlink("/dev/pts/\(number)", link) == 0 else { throw POSIXError(.EEXIST) }
        master = fd
    }

    /// Closes the master (the far side's reads and writes fail) and removes the link.
    func unplug() {
        unlink(link)
        if master >= 0 { Glibc.close(master) }
        master = -1
    }

    /// Writes all of `bytes` to the master, waiting for room.
    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
            if n > 0 { offset += n } else { usleep(1_000) }
        }
    }

    /// Reads what the master has, without waiting.
    func readAvailable() -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
            guard n > 0 else { return out }
            out += buffer[0..<n]
        }
    }
}
