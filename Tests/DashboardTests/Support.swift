import Dashboard
import Foundation
import GatewayCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

/// A dashboard core with one configured user, `anna` / `correct horse`, and no CRM store; sessions last `ttl` unused.
func makeCore(password: String = "correct horse", ttl: Duration = .seconds(3600)) -> DashboardCore {
    let logger = Logger(label: "DashboardTests", factory: { _ in SwiftLogNoOpLogHandler() })
    let users = [DashboardConfig.User(name: "anna", passwordHash: PasswordHasher.hash(password, cost: 10))]
    return DashboardCore(aggregator: FeedAggregator(zones: ["entrance", "floor"], sources: [("door", "reads")], gateway: "gw-1"),
                         sessions: SessionStore(ttl: ttl), directory: StaffDirectory(configured: users, database: nil, logger: logger),
                         metrics: MetricsExporter(), logger: logger)
}

func makeApp(_ core: DashboardCore) -> some ApplicationProtocol {
    DashboardRoutes.application(core: core, address: .hostname("127.0.0.1", port: 0))
}

/// Signs in through the form and returns the `Cookie` header value to send afterwards.
func signIn(_ client: some TestClientProtocol, name: String = "anna", password: String = "correct horse") async throws -> String? {
    let response = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                            body: ByteBuffer(string: "username=\(name)&password=\(password.replacingOccurrences(of: " ", with: "+"))"))
    guard let setCookie = response.headers[.setCookie] else { return nil }
    return String(setCookie.split(separator: ";")[0])
}

enum Events {
    static let ts = Timestamp(rfc3339: "2026-03-01T10:00:00.000Z")!

    static func event(_ seq: UInt64, _ payload: EventPayload, gateway: String = "gw-1") -> GatewayEvent {
        GatewayEvent(seq: seq, gateway: gateway, store: "store-1", ts: ts, payload: payload)
    }

    static func vip(_ seq: UInt64, name: String = "Ada", token: String = "t-ada") -> GatewayEvent {
        event(seq, .vipArrival(Arrival(token: token, visit: "v\(seq)", zone: "entrance", reader: "door", firstName: name, tier: "vip")))
    }

    static func enter(_ seq: UInt64, _ subject: PresenceSubject, zone: String = "floor", token: String? = nil) -> GatewayEvent {
        event(seq, .presenceEnter(Presence(zone: zone, reader: "door", antenna: 1, subject: subject, token: token,
                                           product: subject == .item ? "Silk Scarf" : nil)))
    }

    static func exit(_ seq: UInt64, _ subject: PresenceSubject, zone: String = "floor") -> GatewayEvent {
        event(seq, .presenceExit(Presence(zone: zone, reader: "door", antenna: 1, subject: subject)))
    }

    static func status(_ seq: UInt64, _ state: ReaderStatus.State, reader: String = "door") -> GatewayEvent {
        event(seq, .readerStatus(ReaderStatus(reader: reader, state: state, message: "\(state)", reads: 10, drops: 2)))
    }

    static func sale(_ seq: UInt64, day: String = "2026-03-01", total: Decimal, token: String? = nil) -> GatewayEvent {
        event(seq, .posTransaction(EnrichedTransaction(
            source: "till", key: "s/1/\(day)/\(seq)", posStore: "s", workstation: "1", sequenceNumber: "\(seq)", businessDay: day,
            endedAt: ts, operatorId: nil, currency: "USD", lines: [], tenders: [], total: total, tax: 0, token: token)))
    }
}

/// Decodes a WebSocket text message.
func decodeMessage(_ text: String) throws -> FeedMessage {
    try JSONDecoder().decode(FeedMessage.self, from: Data(text.utf8))
}
