import Foundation
import GRDB
import GatewayCore

/// One column value as the store holds it, ready for JSON: integers stay numbers, text stays a
/// string, NULL becomes `null`.
public enum ExportValue: Sendable, Equatable, Encodable {
    /// SQL NULL.
    case null
    /// An INTEGER (flags are 0/1, as stored).
    case integer(Int64)
    /// A REAL (model estimates such as `clv`).
    case real(Double)
    /// TEXT, including decimal amounts and RFC 3339 times, exactly as stored.
    case text(String)
    /// A BLOB; encoded as base64 text (the store keeps none today).
    case blob(Data)

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let number): self = .integer(number)
        case .double(let number): self = .real(number)
        case .string(let text): self = .text(text)
        case .blob(let data): self = .blob(data)
        }
    }

    /// Writes the JSON value.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .integer(let number): try container.encode(number)
        // JSON has no infinity; such an estimate is written as text rather than failing the whole export.
        case .real(let number): number.isFinite ? try container.encode(number) : try container.encode("\(number)")
        case .text(let text): try container.encode(text)
        case .blob(let data): try container.encode(data.base64EncodedString())
        }
    }

    /// The text, when this is TEXT.
    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }
}

/// One row: column name → value, every column the table has.
public typealias ExportRow = [String: ExportValue]

/// Everything the store holds about one customer: the answer to an access request.
///
/// Rows are read with `SELECT *`, so a column added by a later migration appears without a change
/// here; so does any other table that has a `customer_id` or `token` column (``otherTables``).
public struct CustomerExport: Sendable, Equatable, Encodable {
    /// A sale with its lines and tenders; encoded as the sale's columns plus `lines` and `tenders`.
    public struct Sale: Sendable, Equatable, Encodable {
        /// The `transactions` row.
        public var row: ExportRow
        /// Its `transaction_lines` rows, by line number.
        public var lines: [ExportRow]
        /// Its `tenders` rows, by position.
        public var tenders: [ExportRow]

        /// Creates a sale.
        public init(row: ExportRow, lines: [ExportRow], tenders: [ExportRow]) {
            self.row = row
            self.lines = lines
            self.tenders = tenders
        }

        /// Writes the columns, then `lines` and `tenders`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: ColumnKey.self)
            for (column, value) in row { try container.encode(value, forKey: ColumnKey(column)) }
            try container.encode(lines, forKey: ColumnKey("lines"))
            try container.encode(tenders, forKey: ColumnKey("tenders"))
        }
    }

    /// The customer id asked for.
    public var customerID: String
    /// When the export was made, RFC 3339 UTC.
    public var exportedAt: String
    /// The `customers` row, every column.
    public var customer: ExportRow
    /// The customer's `credentials` (tag EPCs and card numbers).
    public var credentials: [ExportRow]
    /// The customer's `customer_segments` row, when segmented.
    public var customerSegments: [ExportRow]
    /// The customer's `tier_history`, oldest first.
    public var tierHistory: [ExportRow]
    /// Visits carrying the customer's token, oldest first.
    public var visits: [ExportRow]
    /// Raw presence rows carrying the customer's token, oldest first.
    public var presence: [ExportRow]
    /// Sales carrying the customer's token, oldest first, with lines and tenders.
    public var transactions: [Sale]
    /// `segment_outbox` changes for the customer not yet published.
    public var segmentOutbox: [ExportRow]
    /// Rows of any other table with a `customer_id` or `token` column that matches (e.g. `consent_history`),
    /// by table; tables without a match are left out.
    public var otherTables: [String: [ExportRow]]

    enum CodingKeys: String, CodingKey {
        case customerID = "customer_id", exportedAt = "exported_at", customer, credentials, customerSegments = "customer_segments"
        case tierHistory = "tier_history", visits, presence, transactions, segmentOutbox = "segment_outbox", otherTables = "other_tables"
    }

    /// The tables read explicitly above; any other table is searched by its `customer_id`/`token` columns.
    static let knownTables: Set<String> = ["customers", "credentials", "customer_segments", "tier_history", "visits", "presence",
                                           "transactions", "transaction_lines", "tenders", "segment_outbox"]
}

/// A JSON key for a column name.
struct ColumnKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension CRMDatabase {
    /// Everything the store holds about `customerID`, read in one snapshot: the `customers` row,
    /// credentials, segment and tier history, and, by the customer's token, visits, presence and sales
    /// with their lines and tenders, plus the pending `segment_outbox` rows.
    ///
    /// Read-only. Values keep their stored type.
    ///
    /// - Throws: ``CRMStoreError/Code/notFound`` for an unknown customer id, ``CRMStoreError/Code/query``
    ///   when the store cannot be read.
    public func export(customerID: String, at time: Timestamp = .now()) throws(CRMStoreError) -> CustomerExport {
        let path = self.path
        return try reading("export customer '\(customerID)'") { db in
            guard let customer = try Self.rows(db, "SELECT * FROM customers WHERE customer_id = ?", [customerID]).first else {
                throw CRMStoreError(.notFound, "no customer '\(customerID)' in \(path)")
            }
            // The token links the customer to the event tables; without one (never the case, the column
            // is NOT NULL) there is nothing to find there.
            let token = customer["token"]?.text
            let byToken: (String) throws -> [ExportRow] = { sql in
                guard let token else { return [] }
                return try Self.rows(db, sql, [token])
            }
            var sales: [CustomerExport.Sale] = []
            if let token {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM transactions WHERE token = ? ORDER BY ended_at, id", arguments: [token])
                for row in rows {
                    let id: Int64 = row["id"]
                    sales.append(CustomerExport.Sale(
                        row: Self.exportRow(row),
                        lines: try Self.rows(db, "SELECT * FROM transaction_lines WHERE transaction_id = ? ORDER BY line_number", [id]),
                        tenders: try Self.rows(db, "SELECT * FROM tenders WHERE transaction_id = ? ORDER BY position", [id])))
                }
            }
            return CustomerExport(
                customerID: customerID,
                exportedAt: time.rfc3339,
                customer: customer,
                credentials: try Self.rows(db, "SELECT * FROM credentials WHERE customer_id = ? ORDER BY credential", [customerID]),
                customerSegments: try Self.rows(db, "SELECT * FROM customer_segments WHERE customer_id = ?", [customerID]),
                tierHistory: try Self.rows(db, "SELECT * FROM tier_history WHERE customer_id = ? ORDER BY changed_at, id", [customerID]),
                visits: try byToken("SELECT * FROM visits WHERE token = ? ORDER BY coalesce(started_at, ended_at), gateway, visit_id"),
                presence: try byToken("SELECT * FROM presence WHERE token = ? ORDER BY ts, id"),
                transactions: sales,
                segmentOutbox: try Self.rows(db, """
                    SELECT * FROM segment_outbox WHERE (customer_id = ? OR token = ?) AND published_seq IS NULL ORDER BY id
                    """, [customerID, token]),
                otherTables: try Self.otherTables(db, customerID: customerID, token: token))
        }
    }

    /// Matching rows of every table not read explicitly that has a `customer_id` or `token` column: a
    /// table added later (consent history, say) is part of the answer without anyone remembering it here.
    private static func otherTables(_ db: Database, customerID: String, token: String?) throws -> [String: [ExportRow]] {
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name
            """)
        var found: [String: [ExportRow]] = [:]
        for table in tables where !CustomerExport.knownTables.contains(table) {
            let columns = Set(try db.columns(in: table).map(\.name))
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if columns.contains("customer_id") {
                conditions.append("customer_id = ?")
                arguments.append(customerID)
            }
            if columns.contains("token"), let token {
                conditions.append("token = ?")
                arguments.append(token)
            }
            guard !conditions.isEmpty else { continue }
            let quoted = table.quotedDatabaseIdentifier
            let rows = try Self.rows(db, "SELECT * FROM \(quoted) WHERE \(conditions.joined(separator: " OR "))", arguments)
            if !rows.isEmpty { found[table] = rows }
        }
        return found
    }

    private static func rows(_ db: Database, _ sql: String, _ arguments: [(any DatabaseValueConvertible)?]) throws -> [ExportRow] {
        try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(exportRow)
    }

    private static func exportRow(_ row: Row) -> ExportRow {
        var result: ExportRow = [:]
        for (column, value) in row { result[column] = ExportValue(value) }
        return result
    }
}
