import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One ZeroMQ socket.
///
/// ZeroMQ sockets are not thread-safe. A socket may move to another thread, but only one
/// thread may use it at a time; that is the caller's promise, and why the conformance to
/// `Sendable` is unchecked. Every failure is a ``BusError``. A socket released without
/// ``close(linger:)`` is closed without lingering: unsent messages are discarded.
public final class ZMQSocket: @unchecked Sendable {
    /// The socket patterns the bus uses.
    public enum Kind: Sendable {
        /// Publisher: fans every message out to matching subscribers.
        case pub
        /// Subscriber: receives the messages whose topic starts with a subscribed prefix.
        case sub
        /// A publisher that also sees subscriptions.
        case xpub
        /// A subscriber that sends subscriptions as messages.
        case xsub
        /// Routes replies to the peer a request came from.
        case router
        /// Load-balances outgoing and fair-queues incoming messages.
        case dealer
        /// Pipeline producer.
        case push
        /// Pipeline consumer.
        case pull
        /// One-to-one.
        case pair
        /// Answers requests one at a time (the ZAP handler).
        case rep

        var rawValue: Int32 {
            switch self {
            case .pub: ZMQ_PUB
            case .sub: ZMQ_SUB
            case .xpub: ZMQ_XPUB
            case .xsub: ZMQ_XSUB
            case .router: ZMQ_ROUTER
            case .dealer: ZMQ_DEALER
            case .push: ZMQ_PUSH
            case .pull: ZMQ_PULL
            case .pair: ZMQ_PAIR
            case .rep: ZMQ_REP
            }
        }
    }

    /// The kind this socket was created as.
    public let kind: Kind
    private var handle: UnsafeMutableRawPointer?
    // Keeps the context alive for as long as the socket, whatever the caller does with its reference.
    private let context: ZMQContext

    /// Creates a socket of `kind` in `context`.
    public init(_ kind: Kind, context: ZMQContext = .shared) throws(BusError) {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else {
            throw BusError(.socket, "cannot create a \(kind) socket: \(ZMQContext.lastErrorDescription)")
        }
        self.kind = kind
        self.handle = handle
        self.context = context
    }

    deinit {
        if let handle {
            var zero: Int32 = 0
            zmq_setsockopt(handle, ZMQ_LINGER, &zero, MemoryLayout<Int32>.size)
            zmq_close(handle)
        }
    }

    /// Whether ``close(linger:)`` has been called.
    public var isClosed: Bool { handle == nil }

    private func open(_ action: String) throws(BusError) -> UnsafeMutableRawPointer {
        guard let handle else { throw BusError(.socket, "cannot \(action): the \(kind) socket is closed") }
        return handle
    }

    /// Accepts connections on `endpoint` (`tcp://127.0.0.1:5556`, `ipc://gateway-bus.sock`, `inproc://name`).
    public func bind(_ endpoint: String) throws(BusError) {
        let handle = try open("bind \(endpoint)")
        guard zmq_bind(handle, endpoint) == 0 else {
            throw BusError(.bind, "cannot bind \(endpoint): \(ZMQContext.lastErrorDescription)")
        }
    }

    /// Connects to `endpoint`; ZeroMQ keeps reconnecting in the background while the peer is away.
    public func connect(_ endpoint: String) throws(BusError) {
        let handle = try open("connect to \(endpoint)")
        guard zmq_connect(handle, endpoint) == 0 else {
            throw BusError(.connect, "cannot connect to \(endpoint): \(ZMQContext.lastErrorDescription)")
        }
    }

    /// Sets an integer option (`ZMQOption.sendHighWaterMark`, …, or any `ZMQ_*` option number).
    public func setOption(_ option: Int32, _ value: Int32) throws(BusError) {
        let handle = try open("set option \(option)")
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw BusError(.socket, "cannot set option \(option) to \(value) on a \(kind) socket: \(ZMQContext.lastErrorDescription)")
        }
    }

    /// Sets a binary option, such as a subscription prefix.
    public func setOption(_ option: Int32, bytes: [UInt8]) throws(BusError) {
        let handle = try open("set option \(option)")
        let result = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard result == 0 else {
            throw BusError(.socket, "cannot set option \(option) on a \(kind) socket: \(ZMQContext.lastErrorDescription)")
        }
    }

    /// Reads an integer option.
    public func option(_ option: Int32) throws(BusError) -> Int32 {
        let handle = try open("read option \(option)")
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, option, &value, &size) == 0 else {
            throw BusError(.socket, "cannot read option \(option) of a \(kind) socket: \(ZMQContext.lastErrorDescription)")
        }
        return value
    }

    /// Subscribes a `sub` socket to topics starting with `prefix` (`""` is every topic).
    public func subscribe(_ prefix: String) throws(BusError) {
        try setOption(ZMQ_SUBSCRIBE, bytes: Array(prefix.utf8))
    }

    /// The endpoint the socket last bound, with a wildcard port resolved (`tcp://127.0.0.1:*` → `tcp://127.0.0.1:41234`).
    public var lastEndpoint: String? {
        guard let handle else { return nil }
        var buffer = [CChar](repeating: 0, count: 1_024)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? nil : text
    }

    /// Sends one message of one or more frames.
    ///
    /// With `dontWait` (the default) the call never blocks: when the socket is at its high-water
    /// mark (or, for a `pub` with `ZMQ_XPUB_NODROP`, when a subscriber is) the message is refused
    /// whole and the result is `false`. ZeroMQ delivers a multipart message atomically, so once the
    /// first frame is taken the rest are taken too.
    ///
    /// - Returns: `true` when ZeroMQ took the message, `false` when it was refused for now.
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = true) throws(BusError) -> Bool {
        let handle = try open("send")
        guard !frames.isEmpty else { return true }
        for index in frames.indices {
            var flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            // Only the first frame may be refused: the high-water mark counts whole messages, so
            // the later frames of an accepted message never wait, and refusing one would tear it.
            if dontWait && index == 0 { flags |= ZMQ_DONTWAIT }
            while true {
                let result = frames[index].withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
                if result >= 0 { break }
                let error = zmq_errno()
                if error == EINTR { continue }
                if error == EAGAIN && index == 0 && dontWait { return false }
                throw BusError(.send, "cannot send on a \(kind) socket: \(String(cString: zmq_strerror(error)))")
            }
        }
        return true
    }

    /// Waits up to `timeout` until a message can be read; `false` when none arrived in time.
    public func waitReadable(timeout: Duration) throws(BusError) -> Bool {
        let handle = try open("poll")
        let deadline = ContinuousClock.now + timeout
        while true {
            var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
            let remaining = ContinuousClock.now.duration(to: deadline)
            let millis = max(0, remaining.components.seconds * 1_000 + (remaining.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            let result = zmq_poll(&item, 1, Int(millis))
            if result > 0 { return item.revents & Int16(ZMQ_POLLIN) != 0 }
            if result == 0 {
                if ContinuousClock.now < deadline { continue }
                return false
            }
            if zmq_errno() == EINTR { continue }
            throw BusError(.receive, "cannot poll a \(kind) socket: \(ZMQContext.lastErrorDescription)")
        }
    }

    /// Receives one whole message, waiting up to `timeout` (`.zero` does not wait); `nil` when none arrived.
    public func receive(timeout: Duration) throws(BusError) -> [[UInt8]]? {
        if timeout > .zero, try !waitReadable(timeout: timeout) { return nil }
        return try receiveNow()
    }

    /// Receives one whole message if one is ready, without waiting; `nil` otherwise.
    public func receiveNow() throws(BusError) -> [[UInt8]]? {
        let handle = try open("receive")
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            // The later frames of a message arrive with the first, so only the first may say "none yet".
            let flags: Int32 = frames.isEmpty ? ZMQ_DONTWAIT : 0
            if zmq_msg_recv(&message, handle, flags) < 0 {
                let error = zmq_errno()
                if error == EINTR { continue }
                if error == EAGAIN && frames.isEmpty { return nil }
                throw BusError(.receive, "cannot receive on a \(kind) socket: \(String(cString: zmq_strerror(error)))")
            }
            let size = zmq_msg_size(&message)
            if size == 0 {
                frames.append([])
            } else {
                let data = zmq_msg_data(&message)!
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            }
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    /// Closes the socket, letting unsent messages drain for up to `linger`; later calls do nothing.
    public func close(linger: Duration = .zero) {
        guard let handle else { return }
        let millis = linger.components.seconds * 1_000 + linger.components.attoseconds / 1_000_000_000_000_000
        var value = Int32(clamping: max(0, millis))
        zmq_setsockopt(handle, ZMQ_LINGER, &value, MemoryLayout<Int32>.size)
        zmq_close(handle)
        self.handle = nil
    }
}

extension ZMQSocket {
    /// Waits up to `timeout` until at least one of `sockets` has a message to read.
    ///
    /// - Returns: for each socket, whether it is readable; all `false` when the time passed. A
    ///   closed socket is never readable.
    static func waitReadable(_ sockets: [ZMQSocket], timeout: Duration) throws(BusError) -> [Bool] {
        let open = sockets.enumerated().compactMap { index, socket in socket.handle.map { (index, $0) } }
        var readable = [Bool](repeating: false, count: sockets.count)
        guard !open.isEmpty else { return readable }
        let deadline = ContinuousClock.now + timeout
        var items = open.map { zmq_pollitem_t(socket: $0.1, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let millis = max(0, remaining.components.seconds * 1_000 + (remaining.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            for index in items.indices { items[index].revents = 0 }
            let result = zmq_poll(&items, Int32(items.count), Int(millis))
            if result > 0 {
                for (item, (index, _)) in zip(items, open) { readable[index] = item.revents & Int16(ZMQ_POLLIN) != 0 }
                return readable
            }
            if result == 0 {
                if ContinuousClock.now < deadline { continue }
                return readable
            }
            if zmq_errno() == EINTR { continue }
            throw BusError(.receive, "cannot poll \(sockets.count) sockets: \(ZMQContext.lastErrorDescription)")
        }
    }
}

/// The `ZMQ_*` option numbers the bus sets, named for readers who do not know them by heart.
public enum ZMQOption {
    /// Messages queued per peer before sends are refused or dropped.
    public static let sendHighWaterMark: Int32 = ZMQ_SNDHWM
    /// Messages queued per peer before ZeroMQ stops reading from it.
    public static let receiveHighWaterMark: Int32 = ZMQ_RCVHWM
    /// Milliseconds unsent messages may drain after close (`-1` waits forever).
    public static let linger: Int32 = ZMQ_LINGER
    /// On a `pub`/`xpub` socket: refuse (`EAGAIN`) at the high-water mark instead of dropping silently.
    public static let xpubNoDrop: Int32 = ZMQ_XPUB_NODROP
    /// Enables IPv6 addresses on a socket.
    public static let ipv6: Int32 = ZMQ_IPV6
    /// Milliseconds to wait before reconnecting to a vanished peer.
    public static let reconnectInterval: Int32 = ZMQ_RECONNECT_IVL
    /// On a CURVE server: refuse handshakes when no ZAP handler answers (`ZMQ_ZAP_ENFORCE_DOMAIN`, a
    /// draft option of libzmq 4.3 that release builds may reject; the number is fixed by libzmq).
    public static let zapEnforceDomain: Int32 = 93
}
