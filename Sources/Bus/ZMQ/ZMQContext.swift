import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ZeroMQ context: the I/O threads that move bytes for every socket created from it.
///
/// ZeroMQ contexts are thread-safe, so one context is shared by the whole process
/// (``shared``); sockets made from it may live on different threads.
public final class ZMQContext: @unchecked Sendable {
    /// The process-wide context. It lives until the process exits, so sockets never race its teardown.
    public static let shared = ZMQContext(ioThreads: 1)

    let handle: UnsafeMutableRawPointer

    /// Creates a context with `ioThreads` I/O threads.
    ///
    /// One I/O thread moves on the order of a gigabyte per second; more only help with many
    /// busy connections, and the gateway's machines have two cores.
    public init(ioThreads: Int = 1) {
        // zmq_ctx_new only fails on out-of-memory or exhausted file descriptors, where nothing else would work either.
        guard let handle = zmq_ctx_new() else {
            fatalError("zmq_ctx_new failed: \(ZMQContext.lastErrorDescription)")
        }
        zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(clamping: max(1, ioThreads)))
        self.handle = handle
    }

    deinit {
        // Blocks until every socket of this context is closed and its linger has passed.
        while zmq_ctx_term(handle) != 0, zmq_errno() == EINTR {}
    }

    /// The linked libzmq version, e.g. `4.3.4`, for startup logs.
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// The text of the calling thread's last ZeroMQ error.
    static var lastErrorDescription: String {
        String(cString: zmq_strerror(zmq_errno()))
    }
}
