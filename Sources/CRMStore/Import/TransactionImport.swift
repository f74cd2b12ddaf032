import Foundation
import GRDB
import GatewayCore
import Segmentation

extension CSVImporter {
    /// The columns of a transactions (purchase history) file; the header may list them in any order.
    public static let transactionColumns = ["customer_id", "date", "amount", "receipt", "currency", "gtin", "quantity", "description"]
    /// The columns a transactions file must have.
    public static let requiredTransactionColumns: Set<String> = ["customer_id", "date", "amount"]

    /// Imports past sales: `customer_id,date,amount` plus the optional `receipt,currency,gtin,quantity,description`.
    ///
    /// History goes into the same `transactions` table as live POS sales (source `import`), so
    /// segmentation reads one place. `date` is `YYYY-MM-DD` (or an RFC 3339 time, whose UTC day counts);
    /// `amount` a decimal with a `.` (negative for a return). Lines with the same `receipt`, date and
    /// customer are one sale with several lines; without `receipt` each line is a sale of its own.
    ///
    /// Importing the same file again adds nothing: each sale gets a key from its receipt (or, without
    /// one, from the customer's token, the day, the amount and how many identical lines came before it
    /// in the file), and a key already in the store is left alone. A customer id the store does not know
    /// is created without recognition consent (they are never recognised in store) and with
    /// `profilingDefault`.
    ///
    /// - Parameter progress: as for ``importCustomers(file:tokenizer:profilingDefault:progress:)``.
    /// - Throws: ``CRMStoreError/Code/csv`` when the file cannot be read or its header is unusable,
    ///   ``CRMStoreError/Code/write`` when the database refuses the rows.
    public func importTransactions(file: String, tokenizer: CustomerTokenizer, profilingDefault: Bool = true,
                                   progress: ((Int) -> Void)? = nil) throws(CRMStoreError) -> ImportSummary {
        let now = Timestamp.now().rfc3339
        var writer: TransactionRowWriter?
        var summary = try run(file: file, what: "transactions", columns: Self.transactionColumns, required: Self.requiredTransactionColumns,
                              progress: progress) { db in
            let made = try TransactionRowWriter(db, tokenizer: tokenizer, now: now, profilingDefault: profilingDefault)
            writer = made
            return made.write
        }
        summary.customersCreated = writer?.customersCreated ?? 0
        logger.info("transactions imported", metadata: [
            "file": "\(summary.file)", "imported": "\(summary.imported)", "unchanged": "\(summary.unchanged)",
            "rejected": "\(summary.rejected)", "customersCreated": "\(summary.customersCreated)",
        ])
        return summary
    }
}

/// Validates and inserts purchase-history lines, with statements prepared once per import.
final class TransactionRowWriter {
    private let db: Database
    private let tokenizer: CustomerTokenizer
    private let now: String
    private let profilingDefault: Bool
    private let findCustomer: Statement
    private let insertCustomer: Statement
    private let erased: ErasedTokens
    private let findSale: Statement
    private let insertSale: Statement
    private let updateTotal: Statement
    private let insertLine: Statement
    /// Sales this import created: more lines of the same receipt join them.
    private var created: [String: (id: Int64, customer: String, total: Decimal, lines: Int)] = [:]
    /// Occurrences of (token, day, amount) so far, for the keys of sales without a receipt.
    private var occurrences: [String: Int] = [:]
    private var tokens: [String: String] = [:]
    private(set) var customersCreated = 0

    init(_ db: Database, tokenizer: CustomerTokenizer, now: String, profilingDefault: Bool) throws {
        self.db = db
        self.tokenizer = tokenizer
        self.now = now
        self.profilingDefault = profilingDefault
        findCustomer = try db.makeStatement(sql: "SELECT token FROM customers WHERE customer_id = ?")
        insertCustomer = try db.makeStatement(sql: """
            INSERT INTO customers (customer_id, tier, recognition_consent, token, updated_at, profiling_consent)
            VALUES (?, 'regular', 0, ?, ?, ?)
            """)
        erased = try ErasedTokens(db)
        findSale = try db.makeStatement(sql: "SELECT 1 FROM transactions WHERE tx_key = ?")
        insertSale = try db.makeStatement(sql: """
            INSERT INTO transactions (gateway, seq, tx_key, pos_store, workstation, sequence_number, business_day, ended_at,
                                      currency, total, tax, token, source)
            VALUES ('import', 0, ?, 'import', 'import', ?, ?, ?, ?, ?, '0', ?, 'import')
            """)
        updateTotal = try db.makeStatement(sql: "UPDATE transactions SET total = ? WHERE id = ?")
        insertLine = try db.makeStatement(sql: """
            INSERT INTO transaction_lines (transaction_id, line_number, kind, gtin, description, quantity, unit_price, amount, discount)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, '0')
            """)
    }

    func write(_ line: inout CSVLine) throws -> LineOutcome {
        let customer = line.required("customer_id") { Result.success($0) }
        let when = line.required("date", Self.date)
        let amount = line.required("amount", Self.amount)
        let receipt = line.raw("receipt")
        let currency = line.optional("currency", Fields.currency) ?? "XXX"
        let gtin = line.optional("gtin", Fields.gtin14)
        let quantity = line.optional("quantity", Self.quantity) ?? 1
        let description = line.raw("description")
        guard line.problems.isEmpty, let customer, let when, let amount else { return .rejected }

        guard let token = try self.token(for: customer, line: &line) else { return .rejected }
        let amountText = DecimalText.format(amount)
        let key: String
        if let receipt {
            key = "import/\(when.day)/\(receipt)"
        } else {
            let identity = "\(token)/\(when.day)/\(amountText)"
            let count = occurrences[identity, default: 0] + 1
            occurrences[identity] = count
            key = "import/\(identity)/\(count)"
        }

        let lineNumber: Int
        let saleID: Int64
        if var sale = created[key] {
            guard sale.customer == customer else {
                line.fail("receipt", "receipt '\(receipt ?? "")' of \(when.day) already belongs to customer '\(sale.customer)' in this file")
                return .rejected
            }
            sale.total += amount
            sale.lines += 1
            created[key] = sale
            try updateTotal.execute(arguments: [DecimalText.format(sale.total), sale.id])
            lineNumber = sale.lines
            saleID = sale.id
        } else {
            // Imported before (an earlier run of this file): left as it is.
            if try Int.fetchOne(findSale, arguments: [key]) != nil { return .unchanged }
            try insertSale.execute(arguments: [key, receipt ?? "", when.day, when.endedAt, currency, amountText, token])
            saleID = db.lastInsertedRowID
            created[key] = (saleID, customer, amount, 1)
            lineNumber = 1
        }
        let unitPrice = quantity == 0 ? amount : amount / quantity
        try insertLine.execute(arguments: [saleID, lineNumber, amount < 0 ? "return" : "sale", gtin, description,
                                           DecimalText.format(quantity), DecimalText.format(unitPrice), amountText])
        return .inserted
    }

    /// The customer's token, creating the customer when the store does not know them; `nil` (the line
    /// failed) for an erased customer, whom a purchase history must not bring back.
    private func token(for customer: String, line: inout CSVLine) throws -> String? {
        if let known = tokens[customer] { return known }
        let token: String
        if let stored = try String.fetchOne(findCustomer, arguments: [customer]) {
            token = stored
        } else {
            token = tokenizer.token(for: customer)
            if let day = try erased.erasedOn(token) {
                line.fail("customer_id", ErasedTokens.refusal(customer, on: day))
                return nil
            }
            try insertCustomer.execute(arguments: [customer, token, now, profilingDefault])
            customersCreated += 1
        }
        tokens[customer] = token
        return token
    }

    /// A day `YYYY-MM-DD`, or an RFC 3339 time (its UTC day is the business day).
    static func date(_ text: String) -> Result<(day: String, endedAt: String), Fields.Problem> {
        // The strict day parser first: it is what nearly every line has, and it is cheap.
        if let day = Day(iso: text) {
            return .success((day.iso, day.iso + "T00:00:00.000Z"))
        }
        if text.utf8.count > 10, let stamp = Timestamp(rfc3339: text) {
            let endedAt = stamp.rfc3339
            return .success((String(endedAt.prefix(10)), endedAt))
        }
        return .failure(Fields.Problem("'\(text)' is not a date (YYYY-MM-DD, or an RFC 3339 time such as 2024-03-01T17:30:00Z)"))
    }

    /// A decimal amount with a `.`; negative for a return.
    static func amount(_ text: String) -> Result<Decimal, Fields.Problem> {
        guard let value = DecimalText.parse(text) else { return .failure(Fields.Problem("'\(text)' is not a decimal amount (digits and a '.')")) }
        return .success(value)
    }

    /// A positive quantity, fractional for weighed goods.
    static func quantity(_ text: String) -> Result<Decimal, Fields.Problem> {
        guard let value = DecimalText.parse(text, allowNegative: false), value > 0 else {
            return .failure(Fields.Problem("'\(text)' is not a positive quantity"))
        }
        return .success(value)
    }
}
