import GRDB
import GatewayCore

/// Turns one event into rows, inside the writer's transaction.
///
/// Statements come from the connection's cache: the writer connection lives as long as the pool, so
/// each is prepared once per process rather than once per batch.
struct EventStatements {
    private let db: Database

    init(_ db: Database) {
        self.db = db
    }

    func apply(_ event: GatewayEvent) throws {
        switch event.payload {
        case .presenceEnter(let presence):
            try insertPresence(event, presence, kind: "enter")
            if presence.subject == .customer, let visit = presence.visit {
                try openVisit(gateway: event.gateway, visit: visit, token: presence.token, startedAt: event.ts.rfc3339, zone: presence.zone)
            }
        case .presenceExit(let presence):
            try insertPresence(event, presence, kind: "exit")
            if presence.subject == .customer, presence.visitEnd == true, let visit = presence.visit {
                try closeVisit(gateway: event.gateway, visit: visit, token: presence.token, endedAt: event.ts.rfc3339)
            }
        case .customerArrival(let arrival), .vipArrival(let arrival):
            try openVisit(gateway: event.gateway, visit: arrival.visit, token: arrival.token, startedAt: event.ts.rfc3339, zone: arrival.zone)
        case .posTransaction(let transaction):
            try insertTransaction(event, transaction)
        case .readerStatus(let status):
            try db.cachedStatement(sql: """
                INSERT INTO reader_status (gateway, reader, state, message, reads, drops, ts) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (gateway, reader) DO UPDATE SET state = excluded.state, message = excluded.message,
                    reads = excluded.reads, drops = excluded.drops, ts = excluded.ts
                """).execute(arguments: [event.gateway, status.reader, status.state.rawValue, status.message, Int64(clamping: status.reads),
                                         Int64(clamping: status.drops), event.ts.rfc3339])
        case .customerErased(let erased):
            _ = try CRMDatabase.eraseRows(db, token: erased.token)
        case .customerSegment(let change):
            try applySegment(change, event: event)
        case .basketLink:
            // Not kept by the store yet; the cursor still moves past it.
            break
        }
    }

    func saveCursor(gateway: String, seq: UInt64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO bus_cursor (gateway, last_seq) VALUES (?, ?)
            ON CONFLICT (gateway) DO UPDATE SET last_seq = excluded.last_seq
            """).execute(arguments: [gateway, Int64(clamping: seq)])
    }

    private func insertPresence(_ event: GatewayEvent, _ presence: Presence, kind: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO presence (gateway, seq, ts, kind, zone, reader, subject, token, epc, gtin, dwell_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [event.gateway, Int64(clamping: event.seq), event.ts.rfc3339, kind, presence.zone, presence.reader,
                                     presence.subject.rawValue, presence.token, presence.epc, presence.gtin, presence.dwellMs])
    }

    /// Creates the visit, or completes one another event created first: the arrival and the entrance
    /// presence of one visit may come in either order, and the earliest start wins.
    private func openVisit(gateway: String, visit: String, token: String?, startedAt: String, zone: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO visits (gateway, visit_id, token, started_at, zone) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (gateway, visit_id) DO UPDATE SET
                token = coalesce(visits.token, excluded.token),
                zone = CASE WHEN visits.started_at IS NULL OR excluded.started_at < visits.started_at
                            THEN excluded.zone ELSE coalesce(visits.zone, excluded.zone) END,
                started_at = coalesce(min(visits.started_at, excluded.started_at), visits.started_at, excluded.started_at)
            """).execute(arguments: [gateway, visit, token, startedAt, zone])
    }

    /// Ends the visit; a visit whose start the store never saw (it subscribed mid-visit) is kept with
    /// no start rather than lost.
    private func closeVisit(gateway: String, visit: String, token: String?, endedAt: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO visits (gateway, visit_id, token, ended_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (gateway, visit_id) DO UPDATE SET
                ended_at = excluded.ended_at,
                token = coalesce(visits.token, excluded.token)
            """).execute(arguments: [gateway, visit, token, endedAt])
    }

    private func insertTransaction(_ event: GatewayEvent, _ sale: EnrichedTransaction) throws {
        // The key, not the seq, decides: a POS that resends a sale produces a second event with a new
        // seq, and it must not become a second sale.
        try db.cachedStatement(sql: """
            INSERT INTO transactions (gateway, seq, tx_key, pos_store, workstation, sequence_number, business_day, ended_at,
                                      operator_id, currency, total, tax, token, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tx_key) DO NOTHING
            """).execute(arguments: [event.gateway, Int64(clamping: event.seq), sale.key, sale.posStore, sale.workstation,
                                     sale.sequenceNumber, sale.businessDay, sale.endedAt.rfc3339, sale.operatorId, sale.currency,
                                     DecimalText.format(sale.total), DecimalText.format(sale.tax), sale.token, sale.source])
        guard db.changesCount > 0 else { return }
        let id = db.lastInsertedRowID
        // Receipt numbers are the POS's; should one repeat them, the store numbers by position rather
        // than fail the batch forever on the primary key.
        let numbersAreUnique = Set(sale.lines.map(\.number)).count == sale.lines.count
        let insertLine = try db.cachedStatement(sql: """
            INSERT INTO transaction_lines (transaction_id, line_number, kind, gtin, item_id, description, product, category,
                                           quantity, unit_price, amount, discount)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (position, line) in sale.lines.enumerated() {
            try insertLine.execute(arguments: [id, numbersAreUnique ? line.number : position + 1, line.kind.rawValue, line.gtin, line.itemId,
                                               line.description, line.product, line.category, DecimalText.format(line.quantity),
                                               DecimalText.format(line.unitPrice), DecimalText.format(line.amount),
                                               DecimalText.format(line.discount)])
        }
        let insertTender = try db.cachedStatement(sql: "INSERT INTO tenders (transaction_id, position, type, amount) VALUES (?, ?, ?, ?)")
        for (position, tender) in sale.tenders.enumerated() {
            try insertTender.execute(arguments: [id, position + 1, tender.type, DecimalText.format(tender.amount)])
        }
    }

    /// Keeps a segment change from the bus.
    ///
    /// A change this store's own outbox holds was written with the run that made it: the store only
    /// records the seq it was published at. Applying its tier again could undo a later run whose change
    /// is still waiting to be published. A change from elsewhere (a second store in chain mode learns
    /// tiers from the bus only) sets the customer's tier and segment; both writes are no-ops when
    /// replayed.
    private func applySegment(_ change: CustomerSegment, event: GatewayEvent) throws {
        if let id = change.change {
            try db.cachedStatement(sql: """
                UPDATE segment_outbox SET published_seq = ? WHERE change_id = ? AND token = ? AND published_seq IS NULL
                """).execute(arguments: [Int64(clamping: event.seq), id, change.token])
            let own = try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM segment_outbox WHERE change_id = ? AND token = ?"),
                                       arguments: [id, change.token])
            if own != nil { return }
        }
        // Only a real change touches the row: an unchanged tier must not bump the master revision.
        try db.cachedStatement(sql: "UPDATE customers SET tier = ?, updated_at = ? WHERE token = ? AND tier IS NOT ?")
            .execute(arguments: [change.tier, event.ts.rfc3339, change.token, change.tier])
        guard let customer = try String.fetchOne(db.cachedStatement(sql: "SELECT customer_id FROM customers WHERE token = ?"),
                                                 arguments: [change.token]) else { return }
        if change.segment.isEmpty {
            try db.cachedStatement(sql: "DELETE FROM customer_segments WHERE customer_id = ?").execute(arguments: [customer])
            return
        }
        try db.cachedStatement(sql: """
            INSERT INTO customer_segments (customer_id, segment, tier, as_of) VALUES (?, ?, ?, ?)
            ON CONFLICT (customer_id) DO UPDATE SET segment = excluded.segment, tier = excluded.tier, as_of = excluded.as_of
            """).execute(arguments: [customer, change.segment, change.tier, String(event.ts.rfc3339.prefix(10))])
    }
}
