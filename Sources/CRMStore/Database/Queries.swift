import Foundation
import GRDB
import GatewayCore

/// A sale as the store kept it.
public struct StoredTransaction: Sendable, Equatable {
    /// The idempotency key: store/workstation/businessDay/sequenceNumber.
    public var key: String
    /// The gateway that published it.
    public var gateway: String
    /// Its seq on that gateway's bus.
    public var seq: UInt64
    /// The POS feed that delivered it.
    public var source: String
    /// The POS's store id.
    public var posStore: String
    /// The till.
    public var workstation: String
    /// The POS sequence number.
    public var sequenceNumber: String
    /// The business day.
    public var businessDay: String
    /// When the sale ended, RFC 3339 UTC.
    public var endedAt: String
    /// The cashier.
    public var operatorID: String?
    /// Currency code.
    public var currency: String
    /// Grand total.
    public var total: Decimal
    /// Tax.
    public var tax: Decimal
    /// The customer's token; `nil` for an anonymous or erased customer.
    public var token: String?
    /// How many receipt lines it has.
    public var lineCount: Int
    /// How many payments it has.
    public var tenderCount: Int
}

/// A visit as the store kept it.
public struct StoredVisit: Sendable, Equatable {
    /// The gateway whose matcher opened it.
    public var gateway: String
    /// The visit id.
    public var visitID: String
    /// The customer's token; `nil` once erased.
    public var token: String?
    /// When it started, RFC 3339 UTC; `nil` when the store only saw its end.
    public var startedAt: String?
    /// When it ended; `nil` while it goes on.
    public var endedAt: String?
    /// Where it started.
    public var zone: String?
}

/// A source's last reported state.
public struct StoredReaderStatus: Sendable, Equatable {
    /// The gateway the source belongs to.
    public var gateway: String
    /// The source's name.
    public var reader: String
    /// `connected`, `disconnected`, `error` or `dropping`.
    public var state: String
    /// The source's sentence for staff.
    public var message: String?
    /// Reads accepted since the source started.
    public var reads: UInt64
    /// Reads dropped since the source started.
    public var drops: UInt64
    /// When it was reported, RFC 3339 UTC.
    public var ts: String
}

extension CRMDatabase {
    /// The number of customers.
    public func customerCount() throws(CRMStoreError) -> Int { try count("customers") }
    /// The number of catalogue products.
    public func productCount() throws(CRMStoreError) -> Int { try count("products") }
    /// The number of sales kept (a resent sale counts once).
    public func transactionCount() throws(CRMStoreError) -> Int { try count("transactions") }
    /// The number of visits kept.
    public func visitCount() throws(CRMStoreError) -> Int { try count("visits") }
    /// The number of presence rows kept.
    public func presenceCount() throws(CRMStoreError) -> Int { try count("presence") }

    private func count(_ table: String) throws(CRMStoreError) -> Int {
        try reading("count \(table)") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
        }
    }

    /// The latest sales, newest first (by end time, then by arrival).
    public func transactions(limit: Int = 100) throws(CRMStoreError) -> [StoredTransaction] {
        try reading("read transactions") { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT t.tx_key, t.gateway, t.seq, t.source, t.pos_store, t.workstation, t.sequence_number, t.business_day,
                       t.ended_at, t.operator_id, t.currency, t.total, t.tax, t.token,
                       (SELECT count(*) FROM transaction_lines l WHERE l.transaction_id = t.id),
                       (SELECT count(*) FROM tenders d WHERE d.transaction_id = t.id)
                FROM transactions t ORDER BY t.ended_at DESC, t.id DESC LIMIT ?
                """, arguments: [max(0, limit)])
            var result: [StoredTransaction] = []
            while let row = try rows.next() {
                let key: String = row[0]
                let seq: Int64 = row[2]
                result.append(StoredTransaction(
                    key: key, gateway: row[1], seq: UInt64(clamping: seq), source: row[3], posStore: row[4], workstation: row[5],
                    sequenceNumber: row[6], businessDay: row[7], endedAt: row[8], operatorID: row[9], currency: row[10],
                    total: try decimal(row[11], "total of transaction \(key)"), tax: try decimal(row[12], "tax of transaction \(key)"),
                    token: row[13], lineCount: row[14], tenderCount: row[15]))
            }
            return result
        }
    }

    /// The latest visits, newest first.
    public func visits(limit: Int = 100) throws(CRMStoreError) -> [StoredVisit] {
        try reading("read visits") { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT gateway, visit_id, token, started_at, ended_at, zone FROM visits
                ORDER BY coalesce(started_at, ended_at) DESC, rowid DESC LIMIT ?
                """, arguments: [max(0, limit)])
            var result: [StoredVisit] = []
            while let row = try rows.next() {
                result.append(StoredVisit(gateway: row[0], visitID: row[1], token: row[2], startedAt: row[3], endedAt: row[4], zone: row[5]))
            }
            return result
        }
    }

    /// The last status of every source, by gateway and name.
    public func readerStatuses() throws(CRMStoreError) -> [StoredReaderStatus] {
        try reading("read reader status") { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT gateway, reader, state, message, reads, drops, ts FROM reader_status ORDER BY gateway, reader")
            var result: [StoredReaderStatus] = []
            while let row = try rows.next() {
                let reads: Int64 = row[4]
                let drops: Int64 = row[5]
                result.append(StoredReaderStatus(gateway: row[0], reader: row[1], state: row[2], message: row[3], reads: UInt64(clamping: reads),
                                                 drops: UInt64(clamping: drops), ts: row[6]))
            }
            return result
        }
    }

    private func decimal(_ text: String, _ what: String) throws -> Decimal {
        guard let value = DecimalText.parse(text) else {
            throw CRMStoreError(.query, "\(path): the \(what) is '\(text)', which is not a decimal amount")
        }
        return value
    }
}
