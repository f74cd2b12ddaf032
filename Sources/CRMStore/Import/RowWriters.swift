import GRDB
import GatewayCore

/// Validates and upserts customer lines, with statements prepared once per import.
///
/// Consent is written as ``CRMDatabase/recordConsent(customerID:_:source:at:)`` writes it (flag, time
/// cleared on a refusal, version, one `consent_history` row, here with source `import`), but only for a
/// purpose the line changes: unlike a decision the customer makes now, a CSV export restates every
/// customer's standing consent, so a purpose confirmed as it stands is left alone and importing the
/// same file again adds no history and moves no time.
struct CustomerRowWriter {
    private let tokenizer: CustomerTokenizer
    private let now: String
    private let profilingDefault: Bool
    private let owner: Statement
    private let stored: Statement
    private let insert: Statement
    private let update: Statement
    private let clearCredentials: Statement
    private let insertCredential: Statement
    private let insertHistory: Statement
    private let erased: ErasedTokens

    /// The purposes in the order of the statements' consent arguments.
    private static let purposes: [ConsentPurpose] = [.recognition, .profiling, .marketing]

    init(_ db: Database, tokenizer: CustomerTokenizer, now: String, profilingDefault: Bool = true) throws {
        self.tokenizer = tokenizer
        self.now = now
        self.profilingDefault = profilingDefault
        owner = try db.makeStatement(sql: "SELECT customer_id FROM credentials WHERE credential = ?")
        // Typed String: a bare interpolation here would be taken for GRDB's `SQL` literal.
        let consentColumns = Self.purposes.map { purpose -> String in
            let (flag, at, version) = purpose.columns
            return "\(flag), \(at), \(version)"
        }.joined(separator: ", ")
        stored = try db.makeStatement(sql: "SELECT \(consentColumns) FROM customers WHERE customer_id = ?")
        // Consent values (?7…?15) are worked out in Swift from the stored ones, so both statements just
        // write them. The lookup tells new rows from updated ones inside the import's write transaction,
        // so the insert needs no ON CONFLICT, and a constraint (a token clash) fails loudly.
        insert = try db.makeStatement(sql: """
            INSERT INTO customers (customer_id, first_name, last_name, email, tier, token, updated_at, \(consentColumns))
            VALUES (?1, ?2, ?3, ?4, coalesce(?5, 'regular'), ?6, ?16, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
            """)
        let assignments = Self.purposes.enumerated().map { index, purpose -> String in
            let (flag, at, version) = purpose.columns
            return "\(flag) = ?\(7 + index * 3), \(at) = ?\(8 + index * 3), \(version) = ?\(9 + index * 3)"
        }.joined(separator: ", ")
        update = try db.makeStatement(sql: """
            UPDATE customers SET first_name = ?2, last_name = ?3, email = ?4, tier = coalesce(?5, tier), token = ?6, updated_at = ?16,
                \(assignments)
            WHERE customer_id = ?1
            """)
        clearCredentials = try db.makeStatement(sql: "DELETE FROM credentials WHERE customer_id = ?")
        insertCredential = try db.makeStatement(sql: "INSERT INTO credentials (credential, customer_id, kind) VALUES (?, ?, ?)")
        insertHistory = try db.makeStatement(sql: """
            INSERT INTO consent_history (customer_id, purpose, granted, version, changed_at, source) VALUES (?, ?, ?, ?, ?, 'import')
            """)
        erased = try ErasedTokens(db)
    }

    func write(_ line: inout CSVLine) throws -> LineOutcome {
        let id = line.required("customer_id") { Result.success($0) }
        let first = line.raw("first_name")
        let last = line.raw("last_name")
        let email = line.optional("email", Fields.email)
        // Empty keeps an existing customer's tier: segmentation may have set it.
        let tier = line.optional("tier", Fields.tier)
        let recognition = line.required("recognition_consent", Fields.consent)
        let profiling = line.optional("profiling_consent", Fields.consent)
        let marketing = line.optional("marketing_consent", Fields.consent)
        let version = line.raw("consent_version")
        let consentAt = line.optional("consent_at", Fields.time)
        var credentials: [MasterData.Credential] = []
        for text in line.raw("credentials")?.split(separator: ";") ?? [] {
            let trimmed = Fields.trimmed(String(text))
            guard !trimmed.isEmpty, let credential = line.check("credentials", Fields.credential(trimmed)) else { continue }
            if !credentials.contains(credential) { credentials.append(credential) }
        }
        guard line.problems.isEmpty, let id, let recognition else { return .rejected }
        for credential in credentials {
            if let holder = try String.fetchOne(owner, arguments: [credential.value]), holder != id {
                line.fail("credentials", "'\(credential.value)' already belongs to customer '\(holder)'")
            }
        }
        guard line.problems.isEmpty else { return .rejected }

        let before = try Row.fetchOne(stored, arguments: [id]).map { row in
            Self.purposes.indices.map { ConsentState(granted: row[$0 * 3], at: row[$0 * 3 + 1], version: row[$0 * 3 + 2]) }
        }
        let token = tokenizer.token(for: id)
        // Erasure is final: a CRM export that still holds an erased customer does not bring them back.
        if before == nil, let day = try erased.erasedOn(token) {
            line.fail("customer_id", ErasedTokens.refusal(id, on: day))
            return .rejected
        }
        let time = consentAt ?? now
        let given: [Bool?] = [recognition, profiling, marketing]
        // A purpose the line leaves empty: an existing customer keeps theirs, a new one gets the default.
        let defaults = [false, profilingDefault, false]
        var states: [ConsentState] = []
        var changes: [(ConsentPurpose, ConsentState)] = []
        for (index, purpose) in Self.purposes.enumerated() {
            let current = before?[index]
            guard let granted = given[index] else {
                states.append(current ?? ConsentState(granted: defaults[index], at: nil, version: nil))
                continue
            }
            // The same answer is a change only when the line names another wording: the customer agreed anew.
            if let current, current.granted == granted, version == nil || version == current.version {
                states.append(current)
                continue
            }
            // The time is when the standing consent was given: none while it is refused.
            let state = ConsentState(granted: granted, at: granted ? time : nil, version: version)
            states.append(state)
            changes.append((purpose, state))
        }

        // Positional (?1…?16), shared by both statements: binding by name costs a lookup per value.
        var values: [(any DatabaseValueConvertible)?] = [id, first, last, email, tier, token]
        for state in states { values += [state.granted, state.at, state.version] }
        values.append(now)
        let arguments = StatementArguments(values)
        let outcome: LineOutcome
        if before == nil {
            try insert.execute(arguments: arguments)
            outcome = .inserted
        } else {
            try update.execute(arguments: arguments)
            try clearCredentials.execute(arguments: [id])
            outcome = .updated
        }
        for credential in credentials {
            try insertCredential.execute(arguments: [credential.value, id, credential.kind.rawValue])
        }
        for (purpose, state) in changes {
            try insertHistory.execute(arguments: [id, purpose.rawValue, state.granted, state.version, time])
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
