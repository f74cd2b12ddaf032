import GRDB
import GatewayCore

/// Validates and upserts customer lines, with statements prepared once per import.
struct CustomerRowWriter {
    private let db: Database
    private let tokenizer: CustomerTokenizer
    private let now: String
    private let profilingDefault: Bool
    private let owner: Statement
    private let insert: Statement
    private let update: Statement
    private let clearCredentials: Statement
    private let insertCredential: Statement

    init(_ db: Database, tokenizer: CustomerTokenizer, now: String, profilingDefault: Bool = true) throws {
        self.db = db
        self.tokenizer = tokenizer
        self.now = now
        self.profilingDefault = profilingDefault
        owner = try db.makeStatement(sql: "SELECT customer_id FROM credentials WHERE credential = ?")
        // DO NOTHING on the key only, then UPDATE: it tells new rows from updated ones, and any other
        // constraint (a token clash) still fails loudly instead of being ignored.
        insert = try db.makeStatement(sql: """
            INSERT INTO customers (customer_id, first_name, last_name, email, tier, recognition_consent, consent_at, token, updated_at,
                                   profiling_consent)
            VALUES (?1, ?2, ?3, ?4, coalesce(?5, 'regular'), ?6, CASE WHEN ?6 THEN ?8 END, ?7, ?8, coalesce(?9, ?10))
            ON CONFLICT (customer_id) DO NOTHING
            """)
        // Consent keeps the time it was first given; withdrawing it clears the time.
        update = try db.makeStatement(sql: """
            UPDATE customers SET first_name = ?2, last_name = ?3, email = ?4, tier = coalesce(?5, tier),
                consent_at = CASE WHEN ?6 THEN (CASE WHEN recognition_consent = 1 THEN coalesce(consent_at, ?8) ELSE ?8 END) END,
                recognition_consent = ?6, token = ?7, updated_at = ?8, profiling_consent = coalesce(?9, profiling_consent, ?10)
            WHERE customer_id = ?1
            """)
        clearCredentials = try db.makeStatement(sql: "DELETE FROM credentials WHERE customer_id = ?")
        insertCredential = try db.makeStatement(sql: "INSERT INTO credentials (credential, customer_id, kind) VALUES (?, ?, ?)")
    }

    func write(_ line: inout CSVLine) throws -> LineOutcome {
        let id = line.required("customer_id") { Result.success($0) }
        let first = line.raw("first_name")
        let last = line.raw("last_name")
        let email = line.optional("email", Fields.email)
        // Empty keeps an existing customer's tier: segmentation may have set it.
        let tier = line.optional("tier", Fields.tier)
        let consent = line.required("recognition_consent", Fields.consent)
        let profiling = line.optional("profiling_consent", Fields.consent)
        var credentials: [MasterData.Credential] = []
        for text in line.raw("credentials")?.split(separator: ";") ?? [] {
            let trimmed = Fields.trimmed(String(text))
            guard !trimmed.isEmpty, let credential = line.check("credentials", Fields.credential(trimmed)) else { continue }
            if !credentials.contains(credential) { credentials.append(credential) }
        }
        guard line.problems.isEmpty, let id, let consent else { return .rejected }
        for credential in credentials {
            if let holder = try String.fetchOne(owner, arguments: [credential.value]), holder != id {
                line.fail("credentials", "'\(credential.value)' already belongs to customer '\(holder)'")
            }
        }
        guard line.problems.isEmpty else { return .rejected }

        // Positional (?1…?10), shared by both statements: binding by name costs a lookup per value.
        let arguments: StatementArguments = [id, first, last, email, tier, consent, tokenizer.token(for: id), now, profiling, profilingDefault]
        try insert.execute(arguments: arguments)
        let outcome: LineOutcome
        if db.changesCount > 0 {
            outcome = .inserted
        } else {
            try update.execute(arguments: arguments)
            try clearCredentials.execute(arguments: [id])
            outcome = .updated
        }
        for credential in credentials {
            try insertCredential.execute(arguments: [credential.value, id, credential.kind.rawValue])
        }
        return outcome
    }
}

/// Validates and upserts product lines, with statements prepared once per import.
struct ProductRowWriter {
    private let db: Database
    private let now: String
    private let insert: Statement
    private let update: Statement

    init(_ db: Database, now: String) throws {
        self.db = db
        self.now = now
        insert = try db.makeStatement(sql: """
            INSERT INTO products (gtin, name, price, currency, category, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT (gtin) DO NOTHING
            """)
        update = try db.makeStatement(sql: """
            UPDATE products SET name = ?2, price = ?3, currency = ?4, category = ?5, updated_at = ?6
            WHERE gtin = ?1
            """)
    }

    func write(_ line: inout CSVLine) throws -> LineOutcome {
        let gtin = line.required("gtin", Fields.gtin14)
        let name = line.required("name") { Result.success($0) }
        let price = line.required("price", Fields.price)
        let currency = line.required("currency", Fields.currency)
        let category = line.raw("category")
        guard line.problems.isEmpty, let gtin, let name, let price, let currency else { return .rejected }
        let arguments: StatementArguments = [gtin, name, price, currency, category, now]
        try insert.execute(arguments: arguments)
        if db.changesCount > 0 { return .inserted }
        try update.execute(arguments: arguments)
        return .updated
    }
}
