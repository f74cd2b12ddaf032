import Foundation
import GRDB
import GatewayCore
import Logging

/// What an import did: how many lines were written, how many were rejected and why.
public struct ImportSummary: Sendable, Equatable, CustomStringConvertible {
    /// The file, as given.
    public var file: String
    /// Lines written: new rows plus ``updated`` ones.
    public var imported: Int = 0
    /// Of ``imported``, lines that replaced an existing row with the same key.
    public var updated: Int = 0
    /// Lines skipped because of a problem; each has at least one entry in ``errors``.
    public var rejected: Int = 0
    /// Lines already in the store, left as they were (a transactions file imported again).
    public var unchanged: Int = 0
    /// Customers a transactions import created for ids the store did not know (without recognition consent).
    public var customersCreated: Int = 0
    /// One message per problem, `FILE:LINE: column 'price': '12,x' is not a decimal amount`,
    /// capped at the importer's `maxReportedErrors`.
    public var errors: [String] = []
    /// Problems found past the cap, counted but not kept: a wholly wrong file of a million lines
    /// should not produce a million strings.
    public var unreportedErrors: Int = 0

    /// An empty summary for `file`.
    public init(file: String) { self.file = file }

    /// One line for logs and the CLI: `customers.csv: 998 imported (12 updated), 2 rejected`.
    public var description: String {
        var text = "\(file): \(imported) imported (\(updated) updated), \(rejected) rejected"
        if unchanged > 0 { text += ", \(unchanged) already in the store" }
        if customersCreated > 0 { text += ", \(customersCreated) new customers" }
        return text
    }
}

/// Imports customers and products from CSV files into the store.
///
/// Each file is imported in one write transaction: the matcher never reloads half a file, and an
/// import that fails on a database error leaves nothing behind. Bad lines do not fail the import: they
/// are skipped and reported in the ``ImportSummary``. Every good line is an upsert on the primary key,
/// so importing the same file again is safe.
public struct CSVImporter: Sendable {
    /// The columns of a customers file; the header may list them in any order.
    public static let customerColumns = ["customer_id", "first_name", "last_name", "email", "tier", "credentials", "recognition_consent",
                                         "profiling_consent", "marketing_consent", "consent_version", "consent_at"]
    /// The columns a customers file must have; the others may be left out.
    public static let requiredCustomerColumns: Set<String> = ["customer_id", "recognition_consent"]
    /// The columns of a products file; the header may list them in any order.
    public static let productColumns = ["gtin", "name", "price", "currency", "category"]
    /// The columns a products file must have; the others may be left out.
    public static let requiredProductColumns: Set<String> = ["gtin", "name", "price", "currency"]

    /// The store imported into.
    public let database: CRMDatabase
    /// How many lines pass between two calls of the `progress` closure.
    public var progressInterval: Int
    /// How many error messages a summary keeps.
    public var maxReportedErrors: Int
    let logger: Logger

    /// Creates an importer.
    public init(database: CRMDatabase, logger: Logger, progressInterval: Int = 10_000, maxReportedErrors: Int = 1_000) {
        self.database = database
        self.logger = logger
        self.progressInterval = max(1, progressInterval)
        self.maxReportedErrors = max(0, maxReportedErrors)
    }

    /// Imports `customer_id,recognition_consent` plus the optional
    /// `first_name,last_name,email,tier,credentials,profiling_consent,marketing_consent,consent_version,consent_at`.
    ///
    /// - `credentials` holds tag EPCs (hex) and card numbers (digits) separated by `;`; an existing
    ///   customer's credentials are replaced by the line's. A credential that another customer owns
    ///   rejects the line.
    /// - An empty `tier` is `regular` for a new customer and leaves an existing one's as it is
    ///   (segmentation may have set it). The token is derived from the customer id with `tokenizer`.
    /// - `recognition_consent` (required), `profiling_consent` and `marketing_consent` are `yes`/`no`
    ///   (or `true`/`false`, `1`/`0`). When `profiling_consent` is absent or empty a new customer gets
    ///   `profilingDefault`; when `marketing_consent` is, a new customer gets `no`; an existing customer
    ///   keeps theirs either way.
    /// - `consent_version` is the version of the wording the customer agreed to, applied to every
    ///   purpose the line sets; `consent_at` is when they gave it (RFC 3339; the import time when absent).
    ///   A malformed `consent_at` rejects the line.
    ///
    /// A purpose the line sets is written only when its value differs from the stored one (or names
    /// another `consent_version`), or the customer is new: then its flag, its time (`consent_at`,
    /// `profiling_consent_at`, `marketing_consent_at`; cleared when refused) and its version are set, and
    /// one `consent_history` row with source `import` is added. A purpose confirmed as it stands is left
    /// alone, so importing the same file again adds no history and moves no time.
    ///
    /// - Parameter progress: called with the number of lines read, every ``progressInterval`` lines and
    ///   at the end, on the database's writer thread inside the transaction: keep it quick.
    /// - Throws: ``CRMStoreError/Code/csv`` when the file cannot be read or its header is unusable,
    ///   ``CRMStoreError/Code/write`` when the database refuses the rows.
    public func importCustomers(file: String, tokenizer: CustomerTokenizer, profilingDefault: Bool = true,
                                progress: ((Int) -> Void)? = nil) throws(CRMStoreError) -> ImportSummary {
        let now = Timestamp.now().rfc3339
        let summary = try run(file: file, what: "customers", columns: Self.customerColumns, required: Self.requiredCustomerColumns,
                              progress: progress) { db in
            let writer = try CustomerRowWriter(db, tokenizer: tokenizer, now: now, profilingDefault: profilingDefault)
            return writer.write
        }
        logger.info("customers imported", metadata: Self.metadata(summary))
        return summary
    }

    /// Imports `gtin,name,price,currency,category`.
    ///
    /// `gtin` is 8, 12, 13 or 14 digits with a valid check digit and is stored as GTIN-14; `price` is
    /// a non-negative decimal with a `.`; `currency` is a 3-letter code.
    ///
    /// - Parameter progress: as for ``importCustomers(file:tokenizer:progress:)``.
    /// - Throws: as ``importCustomers(file:tokenizer:progress:)`` does.
    public func importProducts(file: String, progress: ((Int) -> Void)? = nil) throws(CRMStoreError) -> ImportSummary {
        let now = Timestamp.now().rfc3339
        let summary = try run(file: file, what: "products", columns: Self.productColumns, required: Self.requiredProductColumns,
                              progress: progress) { db in
            let writer = try ProductRowWriter(db, now: now)
            return writer.write
        }
        logger.info("products imported", metadata: Self.metadata(summary))
        return summary
    }

    /// Imports the seed files of `seed` into tables that are still empty, so a restart never
    /// overwrites what the store has learned since.
    ///
    /// - Parameter folder: the folder relative seed paths are resolved against (the config file's).
    /// - Returns: the summaries of the files imported; empty when every table already had rows.
    public func seedIfEmpty(_ seed: CRMConfig.Seed, relativeTo folder: String, tokenizer: CustomerTokenizer,
                            profilingDefault: Bool = true) throws(CRMStoreError) -> [ImportSummary] {
        var summaries: [ImportSummary] = []
        if let file = seed.customers, try database.customerCount() == 0 {
            summaries.append(try importCustomers(file: Self.resolve(file, in: folder), tokenizer: tokenizer, profilingDefault: profilingDefault))
        }
        if let file = seed.products, try database.productCount() == 0 {
            summaries.append(try importProducts(file: Self.resolve(file, in: folder)))
        }
        return summaries
    }

    private static func resolve(_ path: String, in folder: String) -> String {
        path.hasPrefix("/") || folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path)
    }

    private static func metadata(_ summary: ImportSummary) -> Logger.Metadata {
        ["file": "\(summary.file)", "imported": "\(summary.imported)", "updated": "\(summary.updated)", "rejected": "\(summary.rejected)"]
    }

    /// Reads the file, checks the header, and feeds each record to the writer `prepare` makes, all in
    /// one write transaction.
    func run(file: String, what: String, columns: [String], required: Set<String>, progress: ((Int) -> Void)?,
                     prepare: (Database) throws -> (inout CSVLine) throws -> LineOutcome) throws(CRMStoreError) -> ImportSummary {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            throw CRMStoreError(.csv, "cannot read \(what) file \(file): \(error.localizedDescription)")
        }
        // The header is checked before the write lock is taken: a wrong file costs the store nothing.
        var reader = CSVReader(bytes: bytes)
        let layout = try CSVLayout(file: file, header: reader.next(), columns: columns, required: required)
        let interval = progressInterval
        let cap = maxReportedErrors
        return try database.writing("import \(what) from \(file)") { db in
            // Tokens are random, so the token index takes inserts all over; with SQLite's default 2 MB
            // page cache a million-row import spends most of its time re-reading index pages.
            let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2_000
            try db.execute(sql: "PRAGMA cache_size = -262144")
            defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
            try Schema.beginBulkChange(db)
            var summary = ImportSummary(file: file)
            func report(_ messages: [String]) {
                summary.rejected += 1
                for message in messages {
                    if summary.errors.count < cap { summary.errors.append(message) } else { summary.unreportedErrors += 1 }
                }
            }
            let write = try prepare(db)
            var lines = 0
            while let next = reader.next() {
                lines += 1
                switch next {
                case .failure(let error):
                    report(["\(file):\(error.line): \(error.message)"])
                case .success(let record) where record.fields.count != layout.fieldCount:
                    report(["\(file):\(record.line): \(record.fields.count) fields where the header has \(layout.fieldCount)"
                            + " (a value with a comma must be quoted)"])
                case .success(let record):
                    var line = CSVLine(file: file, record: record, layout: layout)
                    switch try write(&line) {
                    case .inserted: summary.imported += 1
                    case .updated:
                        summary.imported += 1
                        summary.updated += 1
                    case .rejected: report(line.problems)
                    case .unchanged: summary.unchanged += 1
                    }
                }
                if lines % interval == 0 { progress?(lines) }
            }
            if lines % interval != 0 || lines == 0 { progress?(lines) }
            try Schema.endBulkChange(db, changed: summary.imported > 0)
            return summary
        }
    }
}
