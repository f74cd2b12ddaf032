import Foundation
import Glibc
import Synchronization
@testable import SerialM100

/// An emulated M100 reader on the far side of a pty pair, reachable at a symlink like a socat `link=`.
///
/// It answers the driver's commands: on multiple-polling it plays its script (tag notices at a set
/// rate, error frames, garbage, truncated frames); on stop-polling it records the stop. `unplug()`
/// closes the master and removes the link, as a USB-serial adapter vanishing does; `plug()` comes back.
final class M100Emulator: @unchecked Sendable {
    /// What to send after each multiple-polling command.
    enum Chunk {
        case bytes([UInt8])
        case pause(milliseconds: Int)
    }

    struct Observed {
        var startCommands = 0
        var stopCommands = 0
        var pollingRounds: [UInt16] = []
        /// When the first stop-polling command arrived, on the emulator's own thread.
        var firstStop: ContinuousClock.Instant?
        /// Unsolicited streams written out in full.
        var unsolicitedSent = 0
    }

    let link: String
    let observed = Mutex(Observed())
    private let script = Mutex<[[Chunk]]>([])
    private let unsolicited = Mutex<[[Chunk]]>([])
    private let running = Atomic<Bool>(false)
    private var master: Int32 = -1
    private var thread: Thread?

    private static let TIOCSPTLCK: UInt = 0x4004_5431 // _IOW('T', 0x31, int)
    private static let TIOCGPTN: UInt = 0x8004_5430 // _IOR('T', 0x30, unsigned int)

    init(link: String) {
        self.link = link
    }

    /// Queues what the reader sends after the next multiple-polling command (one entry per command).
    func onStart(_ chunks: [Chunk]) { script.withLock { $0.append(chunks) } }

    /// Sends `chunks` now, asked or not: a reader still polling from before, whether or not anyone has the port open.
    func sendUnsolicited(_ chunks: [Chunk]) { unsolicited.withLock { $0.append(chunks) } }

    /// The port's settings as they are now (termios requests on a pty master act on its slave, the port).
    func portSettings() -> termios {
        var settings = termios()
        _ = tcgetattr(master, &settings)
        return settings
    }

    /// Sets input flags on the port, as a program that had it open before may have left them (a real tty keeps its termios across opens).
    func addPortInputFlags(_ flags: tcflag_t) {
        var settings = termios()
        _ = tcgetattr(master, &settings)
        settings.c_iflag |= flags
        _ = tcsetattr(master, TCSANOW, &settings)
    }

    /// Creates the pty, links it, and starts answering.
    func plug() throws {
        // posix_openpt and friends are hidden from Swift's Glibc; these are the ioctls they wrap.
        let fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: CInt = 0
        var number: CUnsignedInt = 0
        guard fd >= 0, ioctl(fd, Self.TIOCSPTLCK, &unlock) == 0, ioctl(fd, Self.TIOCGPTN, &number) == 0 else {
            throw POSIXError(.EIO)
        }
        unlink(link)
        guard symlink("/dev/pts/\(number)", link) == 0 else { throw POSIXError(.EEXIST) }
        master = fd
        running.store(true, ordering: .sequentiallyConsistent)
        let thread = Thread { [self] in serve(fd) }
        thread.start()
        self.thread = thread
    }

    /// Closes the master (the driver's reads fail) and removes the link.
    func unplug() {
        running.store(false, ordering: .sequentiallyConsistent)
        while thread?.isFinished == false { usleep(1_000) }
        unlink(link)
        Glibc.close(master)
        master = -1
    }

    private func serve(_ fd: Int32) {
        var commands = M100FrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 512)
        while running.load(ordering: .sequentiallyConsistent) {
            if let chunks = unsolicited.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                play(chunks, on: fd)
                observed.withLock { $0.unsolicitedSent += 1 }
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 20) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else {
                // EIO while no one has the slave open: wait for the driver to (re)open it.
                usleep(5_000)
                continue
            }
            commands.append(buffer[0..<count])
            while let frame = commands.next() {
                switch frame.command {
                case M100Frame.Command.multiplePolling:
                    let rounds = frame.payload.count == 3 ? UInt16(frame.payload[1]) << 8 | UInt16(frame.payload[2]) : 0
                    observed.withLock {
                        $0.startCommands += 1
                        $0.pollingRounds.append(rounds)
                    }
                    let chunks = script.withLock { $0.isEmpty ? [] : $0.removeFirst() }
                    play(chunks, on: fd)
                case M100Frame.Command.stopPolling:
                    let now = ContinuousClock.now
                    observed.withLock {
                        $0.stopCommands += 1
                        if $0.firstStop == nil { $0.firstStop = now }
                    }
                    write(M100Frame(type: .response, command: M100Frame.Command.stopPolling, payload: [0x00]).encoded, to: fd)
                default:
                    break
                }
            }
        }
    }

    private func play(_ chunks: [Chunk], on fd: Int32) {
        for chunk in chunks {
            guard running.load(ordering: .sequentiallyConsistent) else { return }
            switch chunk {
            case .bytes(let bytes): write(bytes, to: fd)
            case .pause(let ms): usleep(useconds_t(ms * 1_000))
            }
        }
    }

    private func write(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }
}
