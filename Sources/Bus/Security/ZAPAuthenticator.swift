import CZeroMQ
import Foundation
import Logging
import Synchronization

/// Who a CURVE server let in and turned away; every count is cumulative.
public struct CurveAccessStatistics: Sendable, Equatable {
    /// Handshakes of allowed client keys.
    public var allowed: UInt64
    /// Handshakes refused: client keys not on the allow-list.
    public var refused: UInt64

    /// Creates statistics.
    public init(allowed: UInt64 = 0, refused: UInt64 = 0) {
        self.allowed = allowed
        self.refused = refused
    }
}

/// The process's ZAP handler (ZeroMQ Authentication Protocol 1.0, rfc.zeromq.org/spec/27): a
/// thread answering ZeroMQ's authentication requests on `inproc://zeromq.zap.01` of the shared context.
///
/// Each CURVE server socket carries a ZAP domain of its own (see ``register(role:allowedClients:logger:)``),
/// which selects the allow-list its handshakes are checked against; requests from unknown domains
/// and from mechanisms other than CURVE are refused. The handler starts with the first
/// registration and then runs for the life of the process, because a CURVE server whose handler
/// is gone would fall back to admitting every client that knows the server's public key.
public final class ZAPAuthenticator: Sendable {
    /// The endpoint libzmq sends ZAP requests to (fixed by the protocol).
    public static let endpoint = "inproc://zeromq.zap.01"
    /// The handler of ``ZMQContext/shared``, started on first use.
    public static let shared = ZAPAuthenticator()

    /// One server socket's allow-list and counters.
    private struct Domain {
        var role: String
        var allowed: Set<[UInt8]>
        var logger: Logger
        var statistics = CurveAccessStatistics()
        /// Client keys already reported as refused, so a subscriber retrying every few hundred milliseconds logs once.
        var reported: Set<[UInt8]> = []
    }

    private let domains = Mutex<[String: Domain]>([:])
    private let nextDomain = Atomic<Int>(1)
    private let started = Mutex<Bool>(false)
    private let bound = DispatchSemaphore(value: 0)
    private let startError = Mutex<BusError?>(nil)

    private init() {}

    /// Registers a CURVE server's allow-list and returns the ZAP domain its socket must carry.
    ///
    /// - Parameters:
    ///   - role: what the socket is (`bus`, `replay`), for logs.
    ///   - allowedClients: the Z85 public keys let in.
    ///   - logger: where refusals are reported.
    /// - Throws: ``BusError`` with code `.socket` when the handler cannot bind its endpoint.
    public func register(role: String, allowedClients: Set<String>, logger: Logger) throws(BusError) -> String {
        try start()
        let domain = "gateway-\(role)-\(nextDomain.wrappingAdd(1, ordering: .relaxed).oldValue)"
        let keys = Set(allowedClients.compactMap(CurveKey.binary))
        domains.withLock { $0[domain] = Domain(role: role, allowed: keys, logger: logger) }
        return domain
    }

    /// Forgets a domain once its socket is closed; later requests for it are refused.
    public func unregister(domain: String) {
        _ = domains.withLock { $0.removeValue(forKey: domain) }
    }

    /// The handshakes allowed and refused in `domain` so far; zeros for an unknown domain.
    public func statistics(domain: String) -> CurveAccessStatistics {
        domains.withLock { $0[domain]?.statistics } ?? CurveAccessStatistics()
    }

    private func start() throws(BusError) {
        let first = started.withLock { state -> Bool in
            defer { state = true }
            return !state
        }
        if first {
            let thread = Thread { [self] in serve() }
            thread.name = "bus-zap"
            thread.start()
            bound.wait()
        }
        if let error = startError.withLock({ $0 }) { throw error }
    }

    private func serve() {
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(.rep)
            try socket.setOption(ZMQOption.linger, 0)
            try socket.bind(Self.endpoint)
        } catch {
            startError.withLock { $0 = error }
            bound.signal()
            return
        }
        bound.signal()
        while true {
            do {
                guard let request = try socket.receive(timeout: .seconds(1)) else { continue }
                // A REP socket must answer every request, or it stops receiving; a malformed one gets a 500.
                try socket.send(answer(request), dontWait: false)
            } catch {
                // Only a closed context ends the loop; the handler must otherwise never go away.
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// The reply frames to one request: version, request id, status code, status text, user id, metadata.
    func answer(_ frames: [[UInt8]]) -> [[UInt8]] {
        func reply(_ id: [UInt8], _ code: String, _ text: String, user: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), id, Array(code.utf8), Array(text.utf8), Array(user.utf8), []]
        }
        guard frames.count >= 6, frames[0] == Array("1.0".utf8) else {
            return reply(frames.count > 1 ? frames[1] : [], "500", "not a ZAP 1.0 request")
        }
        let id = frames[1]
        let domain = String(decoding: frames[2], as: UTF8.self)
        let address = String(decoding: frames[3], as: UTF8.self)
        let mechanism = String(decoding: frames[5], as: UTF8.self)
        let key = frames.count > 6 ? frames[6] : []
        return domains.withLock { domains -> [[UInt8]] in
            guard var entry = domains[domain] else { return reply(id, "400", "unknown domain") }
            defer { domains[domain] = entry }
            if mechanism == "CURVE", key.count == 32, entry.allowed.contains(key) {
                entry.statistics.allowed += 1
                return reply(id, "200", "OK", user: CurveKey.text(key))
            }
            entry.statistics.refused += 1
            let client = key.count == 32 ? CurveKey.text(key) : "(no key, \(mechanism))"
            let firstTime = entry.reported.count < 1_000 && entry.reported.insert(key).inserted
            entry.logger.log(level: firstTime ? .warning : .debug, "bus refused a subscriber whose key is not allowed", metadata: [
                "bus.socket": "\(entry.role)", "bus.clientKey": "\(client)", "bus.peer": "\(address)",
                "bus.refusedClients": "\(entry.statistics.refused)",
            ])
            return reply(id, "400", "client key not allowed")
        }
    }
}

extension ZMQSocket {
    /// Makes this (not yet bound) socket a CURVE server with `curve`'s keys, admitting only its
    /// allowed clients; returns the ZAP domain, to be unregistered when the socket closes.
    func makeCurveServer(_ curve: BusCurveServer, role: String, logger: Logger) throws(BusError) -> String {
        guard CurveKey.isAvailable else { throw BusError(.config, "bus.curve: this libzmq was built without CURVE") }
        let domain = try ZAPAuthenticator.shared.register(role: role, allowedClients: curve.allowedClients, logger: logger)
        do {
            try setOption(ZMQ_CURVE_SERVER, 1)
            try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(curve.keys.secretKey.utf8))
            try setOption(ZMQ_ZAP_DOMAIN, bytes: Array(domain.utf8))
            // Where libzmq has it (a draft option in 4.3), a missing handler refuses instead of admitting everyone.
            try? setOption(ZMQOption.zapEnforceDomain, 1)
        } catch {
            ZAPAuthenticator.shared.unregister(domain: domain)
            throw error
        }
        return domain
    }

    /// Makes this (not yet connected) socket a CURVE client of the server with `curve.serverPublicKey`.
    public func makeCurveClient(_ curve: BusCurveClient) throws(BusError) {
        guard CurveKey.isAvailable else { throw BusError(.config, "CURVE: this libzmq was built without it") }
        try setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(curve.serverPublicKey.utf8))
        try setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(curve.keys.publicKey.utf8))
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(curve.keys.secretKey.utf8))
    }
}
