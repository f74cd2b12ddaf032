import Foundation
import GatewayCore
import Logging
import PostgresNIO

/// One batch of events turned into rows, inside the writer's transaction on one connection.
///
/// Presence rows, sales (with their lines and tenders), reader states and visits are gathered and
/// written as multi-row INSERTs. A visit's events in one batch are merged first (the earliest start with
/// its zone, the last end, the first token), which gives the same row as applying them one by one,
/// since the upsert's merge rules are the same. Segment changes are written in event order as they
/// come. An erasure first writes what was gathered, so it forgets the rows of events before it and none
/// after it, exactly as the event-by-event SQLite writer.
struct PostgresBatch {
    /// A bound value; the SQL casts it to the column's type where that is not text or bigint.
    enum Cell {
        case text(String?)
        case int(Int64?)
    }

    private let connection: PostgresConnection
    private let logger: Logger
    private var presence: [[Cell]] = []
    private var sales: [(event: GatewayEvent, sale: EnrichedTransaction)] = []
    private var saleKeys: Set<String> = []
    private var readerStates: [String: (order: Int, row: [Cell])] = [:]
    private var visits: [VisitKey: VisitChange] = [:]
    private var visitOrder: [VisitKey] = []

    private struct VisitKey: Hashable {
        var gateway: String
        var visit: String
    }

    /// What a batch's events say about one visit, merged as the upsert would merge them one by one.
    private struct VisitChange {
        var token: String?
        var startedAt: Timestamp?
        var zone: String?
        var endedAt: Timestamp?
    }

    /// PostgreSQL takes at most 65535 bound values per statement; rows are sent in chunks below that.
    private static let maxBinds = 30_000

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    mutating func apply(_ events: [GatewayEvent]) async throws -> StoreWriter.ApplyResult {
        // Sorted, so two store processes lock the same cursors in the same order and cannot deadlock.
        let gateways = Array(Set(events.map(\.gateway))).sorted()
        try await connection.query("""
            INSERT INTO bus_cursor (gateway, last_seq) SELECT g, 0 FROM unnest(\(gateways)::text[]) AS g ORDER BY g
            ON CONFLICT (gateway) DO NOTHING
            """, logger: logger)
        var cursors: [String: UInt64] = [:]
        let rows = try await connection.query(
            "SELECT gateway, last_seq FROM bus_cursor WHERE gateway = ANY(\(gateways)::text[]) ORDER BY gateway FOR UPDATE", logger: logger)
        for try await (gateway, seq) in rows.decode((String, Int64).self) {
            cursors[gateway] = UInt64(clamping: seq)
        }
        var advanced: Set<String> = []
        var applied = 0
        var skipped = 0
        for event in events {
            let last = cursors[event.gateway] ?? 0
            guard event.seq > last else {
                skipped += 1
                continue
            }
            if last > 0, event.seq != last + 1 {
                logger.info("bus gap in the store", metadata: [
                    "gateway": "\(event.gateway)", "after": "\(last)", "next": "\(event.seq)",
                ])
            }
            try await add(event)
            cursors[event.gateway] = event.seq
            advanced.insert(event.gateway)
            applied += 1
        }
        try await flush()
        for gateway in advanced.sorted() {
            try await connection.query("UPDATE bus_cursor SET last_seq = \(Int64(clamping: cursors[gateway]!)) WHERE gateway = \(gateway)",
                                       logger: logger)
        }
        return StoreWriter.ApplyResult(applied: applied, skipped: skipped, cursors: cursors)
    }

    private mutating func add(_ event: GatewayEvent) async throws {
        switch event.payload {
        case .presenceEnter(let presence):
            addPresence(event, presence, kind: "enter")
            if presence.subject == .customer, let visit = presence.visit {
                openVisit(gateway: event.gateway, visit: visit, token: presence.token, startedAt: event.ts, zone: presence.zone)
            }
        case .presenceExit(let presence):
            addPresence(event, presence, kind: "exit")
            if presence.subject == .customer, presence.visitEnd == true, let visit = presence.visit {
                closeVisit(gateway: event.gateway, visit: visit, token: presence.token, endedAt: event.ts)
            }
        case .customerArrival(let arrival), .vipArrival(let arrival):
            openVisit(gateway: event.gateway, visit: arrival.visit, token: arrival.token, startedAt: event.ts, zone: arrival.zone)
        case .posTransaction(let sale):
            // The key, not the seq, decides: a resent sale is not a second sale. The first one wins, as in SQLite.
            if saleKeys.insert(sale.key).inserted { sales.append((event, sale)) }
        case .readerStatus(let status):
            // A later state of the same reader in the batch replaces the earlier one: only the last is kept anyway.
            let key = "\(event.gateway)\u{0}\(status.reader)"
            let order = readerStates[key]?.order ?? readerStates.count
            readerStates[key] = (order, [.text(event.gateway), .text(status.reader), .text(status.state.rawValue), .text(status.message),
                                         .int(Int64(clamping: status.reads)), .int(Int64(clamping: status.drops)), .text(event.ts.rfc3339)])
        case .customerErased(let erased):
            try await flush()
            try await erase(token: erased.token)
        case .customerSegment(let change):
            try await applySegment(change, event: event)
        case .basketLink:
            // Not kept by the store yet; the cursor still moves past it.
            break
        }
    }

    private mutating func addPresence(_ event: GatewayEvent, _ presence: Presence, kind: String) {
        self.presence.append([.text(event.gateway), .int(Int64(clamping: event.seq)), .text(event.ts.rfc3339), .text(kind),
                              .text(presence.zone), .text(presence.reader), .text(presence.subject.rawValue), .text(presence.token),
                              .text(presence.epc), .text(presence.gtin), .int(presence.dwellMs)])
    }

    /// Writes the gathered rows.
    private mutating func flush() async throws {
        if !presence.isEmpty {
            try await insert("INSERT INTO presence (gateway, seq, ts, kind, zone, reader, subject, token, epc, gtin, dwell_ms)",
                             casts: ["", "", "::timestamptz", "", "", "", "", "", "", "", ""], rows: presence)
            presence.removeAll(keepingCapacity: true)
        }
        if !sales.isEmpty {
            try await insertSales()
            sales.removeAll(keepingCapacity: true)
            saleKeys.removeAll(keepingCapacity: true)
        }
        if !readerStates.isEmpty {
            try await insert("INSERT INTO reader_status (gateway, reader, state, message, reads, drops, ts)",
                             casts: ["", "", "", "", "", "", "::timestamptz"],
                             rows: readerStates.values.sorted { $0.order < $1.order }.map(\.row),
                             suffix: """
                                ON CONFLICT (gateway, reader) DO UPDATE SET state = excluded.state, message = excluded.message,
                                    reads = excluded.reads, drops = excluded.drops, ts = excluded.ts
                                """)
            readerStates.removeAll(keepingCapacity: true)
        }
        if !visitOrder.isEmpty {
            let rows: [[Cell]] = visitOrder.map { key in
                let change = visits[key]!
                return [.text(key.gateway), .text(key.visit), .text(change.token), .text(change.startedAt?.rfc3339), .text(change.zone),
                        .text(change.endedAt?.rfc3339)]
            }
            // The earliest start wins with its zone (`LEAST` ignores NULL); an end replaces an earlier one; the first token stays.
            try await insert("INSERT INTO visits (gateway, visit_id, token, started_at, zone, ended_at)",
                             casts: ["", "", "", "::timestamptz", "", "::timestamptz"], rows: rows,
                             suffix: """
                                ON CONFLICT (gateway, visit_id) DO UPDATE SET
                                    token = coalesce(visits.token, excluded.token),
                                    zone = CASE WHEN excluded.started_at IS NOT NULL
                                                     AND (visits.started_at IS NULL OR excluded.started_at < visits.started_at)
                                                THEN excluded.zone ELSE coalesce(visits.zone, excluded.zone) END,
                                    started_at = LEAST(visits.started_at, excluded.started_at),
                                    ended_at = coalesce(excluded.ended_at, visits.ended_at)
                                """)
            visits.removeAll(keepingCapacity: true)
            visitOrder.removeAll(keepingCapacity: true)
        }
    }

    private mutating func visit(_ key: VisitKey, _ update: (inout VisitChange) -> Void) {
        if visits[key] == nil { visitOrder.append(key) }
        update(&visits[key, default: VisitChange()])
    }

    /// A visit begins, or another event of it came first: the earliest start wins, with its zone.
    private mutating func openVisit(gateway: String, visit id: String, token: String?, startedAt: Timestamp, zone: String) {
        visit(VisitKey(gateway: gateway, visit: id)) { change in
            if change.token == nil { change.token = token }
            if change.startedAt.map({ startedAt < $0 }) ?? true {
                change.startedAt = startedAt
                change.zone = zone
            }
        }
    }

    /// The visit ends; a visit whose start the store never saw is kept with no start rather than lost.
    private mutating func closeVisit(gateway: String, visit id: String, token: String?, endedAt: Timestamp) {
        visit(VisitKey(gateway: gateway, visit: id)) { change in
            if change.token == nil { change.token = token }
            change.endedAt = endedAt
        }
    }

    private func insertSales() async throws {
        let rows: [[Cell]] = sales.map { event, sale in
            [.text(event.gateway), .int(Int64(clamping: event.seq)), .text(sale.key), .text(sale.posStore), .text(sale.workstation),
             .text(sale.sequenceNumber), .text(sale.businessDay), .text(sale.endedAt.rfc3339), .text(sale.operatorId),
             .text(sale.currency), .text(DecimalText.format(sale.total)), .text(DecimalText.format(sale.tax)), .text(sale.token),
             .text(sale.source)]
        }
        // A sale already in the store (resent by the POS in an earlier batch) returns no id: its lines stay as they were.
        let ids = try await insert("""
            INSERT INTO transactions (gateway, seq, tx_key, pos_store, workstation, sequence_number, business_day, ended_at,
                                      operator_id, currency, total, tax, token, source)
            """, casts: ["", "", "", "", "", "", "", "::timestamptz", "", "", "::numeric", "::numeric", "", ""], rows: rows,
            suffix: "ON CONFLICT (tx_key) DO NOTHING RETURNING tx_key, id")
        var lines: [[Cell]] = []
        var tenders: [[Cell]] = []
        for (_, sale) in sales {
            guard let id = ids[sale.key] else { continue }
            // Receipt numbers are the POS's; should one repeat them, number by position rather than fail the batch for ever.
            let numbersAreUnique = Set(sale.lines.map(\.number)).count == sale.lines.count
            for (position, line) in sale.lines.enumerated() {
                lines.append([.int(id), .int(Int64(numbersAreUnique ? line.number : position + 1)), .text(line.kind.rawValue), .text(line.gtin),
                              .text(line.itemId), .text(line.description), .text(line.product), .text(line.category),
                              .text(DecimalText.format(line.quantity)), .text(DecimalText.format(line.unitPrice)),
                              .text(DecimalText.format(line.amount)), .text(DecimalText.format(line.discount))])
            }
            for (position, tender) in sale.tenders.enumerated() {
                tenders.append([.int(id), .int(Int64(position + 1)), .text(tender.type), .text(DecimalText.format(tender.amount))])
            }
        }
        if !lines.isEmpty {
            try await insert("""
                INSERT INTO transaction_lines (transaction_id, line_number, kind, gtin, item_id, description, product, category,
                                               quantity, unit_price, amount, discount)
                """, casts: ["", "::integer", "", "", "", "", "", "", "::numeric", "::numeric", "::numeric", "::numeric"], rows: lines)
        }
        if !tenders.isEmpty {
            try await insert("INSERT INTO tenders (transaction_id, position, type, amount)",
                             casts: ["", "::integer", "", "::numeric"], rows: tenders)
        }
    }

    /// Sends `rows` as multi-row INSERTs in chunks; returns the `(text, bigint)` pairs a `RETURNING` clause gave.
    @discardableResult
    private func insert(_ head: String, casts: [String], rows: [[Cell]], suffix: String = "") async throws -> [String: Int64] {
        let columns = casts.count
        let perChunk = max(1, Self.maxBinds / columns)
        var returned: [String: Int64] = [:]
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + perChunk, rows.count)]
            var sql = head + " VALUES "
            var binds = PostgresBindings(capacity: chunk.count * columns)
            var index = 0
            for (rowNumber, row) in chunk.enumerated() {
                sql += rowNumber == 0 ? "(" : ", ("
                for (column, cell) in row.enumerated() {
                    index += 1
                    sql += column == 0 ? "$\(index)\(casts[column])" : ", $\(index)\(casts[column])"
                    switch cell {
                    case .text(let value?): binds.append(value)
                    case .int(let value?): binds.append(value)
                    case .text(nil), .int(nil): binds.appendNull()
                    }
                }
                sql += ")"
            }
            if !suffix.isEmpty { sql += " " + suffix }
            let result = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            if suffix.contains("RETURNING") {
                for try await (key, id) in result.decode((String, Int64).self) { returned[key] = id }
            }
            start += perChunk
        }
        return returned
    }

    /// Keeps a segment change from the bus, as the SQLite writer does: a change of this store's own
    /// outbox only records its seq; one from elsewhere sets the customer's tier and segment.
    private func applySegment(_ change: CustomerSegment, event: GatewayEvent) async throws {
        let seq = Int64(clamping: event.seq)
        if let id = change.change {
            try await connection.query("""
                UPDATE segment_outbox SET published_seq = \(seq) WHERE change_id = \(id) AND token = \(change.token) AND published_seq IS NULL
                """, logger: logger)
            let own = try await connection.query("SELECT 1 FROM segment_outbox WHERE change_id = \(id) AND token = \(change.token)", logger: logger)
            for try await _ in own.decode(Int32.self) { return }
        }
        let ts = event.ts.rfc3339
        try await connection.query("""
            UPDATE customers SET tier = \(change.tier), updated_at = \(ts) WHERE token = \(change.token) AND tier IS DISTINCT FROM \(change.tier)
            """, logger: logger)
        var customer: String?
        for try await id in try await connection.query("SELECT customer_id FROM customers WHERE token = \(change.token)", logger: logger)
            .decode(String.self) {
            customer = id
        }
        guard let customer else { return }
        if change.segment.isEmpty {
            try await connection.query("DELETE FROM customer_segments WHERE customer_id = \(customer)", logger: logger)
            return
        }
        let day = String(ts.prefix(10))
        try await connection.query("""
            INSERT INTO customer_segments (customer_id, segment, tier, as_of) VALUES (\(customer), \(change.segment), \(change.tier), \(day))
            ON CONFLICT (customer_id) DO UPDATE SET segment = excluded.segment, tier = excluded.tier, as_of = excluded.as_of
            """, logger: logger)
    }

    /// Forgets a token: the customer and their movements go; visits and sales stay, anonymous.
    private func erase(token: String) async throws {
        try await connection.query("DELETE FROM customers WHERE token = \(token)", logger: logger)
        try await connection.query("DELETE FROM segment_outbox WHERE token = \(token)", logger: logger)
        try await connection.query("DELETE FROM presence WHERE token = \(token)", logger: logger)
        try await connection.query("UPDATE visits SET token = NULL WHERE token = \(token)", logger: logger)
        try await connection.query("UPDATE transactions SET token = NULL WHERE token = \(token)", logger: logger)
    }
}
