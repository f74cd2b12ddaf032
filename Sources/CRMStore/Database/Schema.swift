import GRDB

/// The store's schema, as an ordered list of GRDB migrations.
///
/// A migration, once released, is never edited: a database in a store already ran it. Changes go in a
/// new migration appended at the end.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: createVersion1)
        migrator.registerMigration("v2-staff-users", migrate: createStaffUsers)
        migrator.registerMigration("v3-segmentation", migrate: createSegmentation)
        migrator.registerMigration("v4-privacy", migrate: createPrivacy)
        migrator.registerMigration("v5-reader-status-per-gateway", migrate: keyReaderStatusByGateway)
        return migrator
    }

    /// Tables whose changes the matcher must notice: they carry identity and catalogue.
    static let masterTables = ["customers", "credentials", "products"]

    /// Silences the revision triggers for the rest of the current transaction; the caller must end
    /// with ``endBulkChange(_:changed:)`` in the same transaction.
    static func beginBulkChange(_ db: Database) throws {
        try db.execute(sql: "UPDATE master_revision SET bulk = 1 WHERE id = 1")
    }

    /// Re-arms the triggers and, when anything changed, bumps the revision once for the whole bulk change.
    static func endBulkChange(_ db: Database, changed: Bool) throws {
        try db.execute(sql: "UPDATE master_revision SET bulk = 0, revision = revision + ? WHERE id = 1", arguments: [changed ? 1 : 0])
    }

    private static func createVersion1(_ db: Database) throws {
        // Money and quantities are decimal TEXT: SQLite's REAL would round a price, and TEXT keeps
        // exactly what the POS or the catalogue said. Sums are made in Swift with `Decimal`.
        // Times are RFC 3339 UTC with milliseconds, which sort as text.
        // Master tables are WITHOUT ROWID: keyed by text, they would otherwise keep a second B-tree
        // for the key, and a million-customer import would pay for both.
        try db.execute(sql: """
            CREATE TABLE customers (
                customer_id TEXT PRIMARY KEY NOT NULL,
                first_name TEXT,
                last_name TEXT,
                email TEXT,
                tier TEXT NOT NULL DEFAULT 'regular',
                recognition_consent INTEGER NOT NULL CHECK (recognition_consent IN (0, 1)),
                consent_at TEXT,
                token TEXT NOT NULL UNIQUE,
                updated_at TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE credentials (
                credential TEXT PRIMARY KEY NOT NULL,
                customer_id TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
                kind TEXT NOT NULL CHECK (kind IN ('epc', 'card'))
            ) WITHOUT ROWID;
            -- Without it every customer delete would scan all credentials for the cascade.
            CREATE INDEX credentials_by_customer ON credentials(customer_id);
            CREATE TABLE products (
                gtin TEXT PRIMARY KEY NOT NULL CHECK (length(gtin) = 14),
                name TEXT NOT NULL,
                price TEXT NOT NULL,
                currency TEXT NOT NULL,
                category TEXT,
                updated_at TEXT NOT NULL
            ) WITHOUT ROWID;
            CREATE TABLE visits (
                gateway TEXT NOT NULL,
                visit_id TEXT NOT NULL,
                token TEXT,
                started_at TEXT,
                ended_at TEXT,
                zone TEXT,
                PRIMARY KEY (gateway, visit_id)
            );
            CREATE INDEX visits_by_token ON visits(token) WHERE token IS NOT NULL;
            CREATE TABLE presence (
                id INTEGER PRIMARY KEY,
                gateway TEXT NOT NULL,
                seq INTEGER NOT NULL,
                ts TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('enter', 'exit')),
                zone TEXT NOT NULL,
                reader TEXT NOT NULL,
                subject TEXT NOT NULL,
                token TEXT,
                epc TEXT,
                gtin TEXT,
                dwell_ms INTEGER
            );
            CREATE INDEX presence_by_token ON presence(token) WHERE token IS NOT NULL;
            -- Raw presence is kept for hours to days; retention deletes by time.
            CREATE INDEX presence_by_ts ON presence(ts);
            CREATE TABLE transactions (
                id INTEGER PRIMARY KEY,
                gateway TEXT NOT NULL,
                seq INTEGER NOT NULL,
                tx_key TEXT NOT NULL UNIQUE,
                pos_store TEXT NOT NULL,
                workstation TEXT NOT NULL,
                sequence_number TEXT NOT NULL,
                business_day TEXT NOT NULL,
                ended_at TEXT NOT NULL,
                operator_id TEXT,
                currency TEXT NOT NULL,
                total TEXT NOT NULL,
                tax TEXT NOT NULL,
                token TEXT,
                source TEXT NOT NULL
            );
            CREATE INDEX transactions_by_token ON transactions(token) WHERE token IS NOT NULL;
            CREATE INDEX transactions_by_ended_at ON transactions(ended_at);
            CREATE TABLE transaction_lines (
                transaction_id INTEGER NOT NULL REFERENCES transactions(id) ON DELETE CASCADE,
                line_number INTEGER NOT NULL,
                kind TEXT NOT NULL,
                gtin TEXT,
                item_id TEXT,
                description TEXT,
                product TEXT,
                category TEXT,
                quantity TEXT NOT NULL,
                unit_price TEXT NOT NULL,
                amount TEXT NOT NULL,
                discount TEXT NOT NULL,
                PRIMARY KEY (transaction_id, line_number)
            );
            CREATE TABLE tenders (
                transaction_id INTEGER NOT NULL REFERENCES transactions(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                type TEXT NOT NULL,
                amount TEXT NOT NULL,
                PRIMARY KEY (transaction_id, position)
            );
            CREATE TABLE reader_status (
                reader TEXT PRIMARY KEY NOT NULL,
                state TEXT NOT NULL,
                message TEXT,
                reads INTEGER NOT NULL,
                drops INTEGER NOT NULL,
                ts TEXT NOT NULL
            );
            CREATE TABLE bus_cursor (
                gateway TEXT PRIMARY KEY NOT NULL,
                last_seq INTEGER NOT NULL
            );
            CREATE TABLE master_revision (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                revision INTEGER NOT NULL,
                bulk INTEGER NOT NULL DEFAULT 0
            );
            INSERT INTO master_revision (id, revision) VALUES (1, 0);
            """)
        // Triggers rather than bumping the revision in Swift: an import run by another process
        // (`gateway import` next to a running gateway) must be noticed too. A firing trigger doubles
        // the cost of a row, so a bulk import sets `bulk` inside its transaction and bumps the
        // revision once at the end (see ``beginBulkChange(_:)``); no other connection ever sees `bulk` set.
        for table in masterTables {
            for operation in ["INSERT", "UPDATE", "DELETE"] {
                try db.execute(sql: """
                    CREATE TRIGGER \(table)_\(operation.lowercased())_bumps_revision AFTER \(operation) ON \(table)
                    WHEN (SELECT bulk FROM master_revision WHERE id = 1) = 0
                    BEGIN
                        UPDATE master_revision SET revision = revision + 1 WHERE id = 1;
                    END
                    """)
            }
        }
    }

    /// Staff who sign in to the dashboard. Only a slow hash is kept, never a password.
    private static func createStaffUsers(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE staff_users (
                name TEXT PRIMARY KEY NOT NULL,
                password_hash TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            ) WITHOUT ROWID;
            """)
    }

    /// Segmentation: per-customer results, tier history, runs, the profiling flag, and the outbox of
    /// `customer.segment` changes a running gateway publishes.
    private static func createSegmentation(_ db: Database) throws {
        // Existing customers keep the opt-out default (profiling allowed until they object);
        // imports set it per line or from `segmentation.profilingDefault`.
        try db.execute(sql: """
            ALTER TABLE customers ADD COLUMN profiling_consent INTEGER NOT NULL DEFAULT 1 CHECK (profiling_consent IN (0, 1));
            CREATE TABLE segmentation_runs (
                run_id TEXT PRIMARY KEY NOT NULL,
                as_of TEXT NOT NULL,
                time_unit TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT NOT NULL,
                customers INTEGER NOT NULL,
                excluded INTEGER NOT NULL,
                purchases INTEGER NOT NULL,
                bgnbd_r REAL, bgnbd_alpha REAL, bgnbd_a REAL, bgnbd_b REAL, bgnbd_log_likelihood REAL,
                gg_p REAL, gg_q REAL, gg_v REAL, gg_log_likelihood REAL,
                segment_changes INTEGER NOT NULL,
                tier_changes INTEGER NOT NULL,
                warnings TEXT NOT NULL
            ) WITHOUT ROWID;
            -- One row per profiled customer: the latest run's view. Money is decimal TEXT as elsewhere;
            -- model outputs are REAL, being estimates. A store that learns segments from the bus only
            -- (chain mode) has segment and tier, and no run: the figures stay NULL.
            CREATE TABLE customer_segments (
                customer_id TEXT PRIMARY KEY NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
                segment TEXT NOT NULL,
                r_score INTEGER, f_score INTEGER, m_score INTEGER,
                recency_days INTEGER, frequency INTEGER, monetary TEXT,
                repeat_purchases INTEGER,
                total_spend TEXT,
                p_alive REAL, expected_purchases REAL, clv REAL,
                tier TEXT,
                tier_qualified_until TEXT,
                as_of TEXT NOT NULL,
                run_id TEXT
            ) WITHOUT ROWID;
            CREATE TABLE tier_history (
                id INTEGER PRIMARY KEY,
                customer_id TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
                from_tier TEXT,
                to_tier TEXT,
                reason TEXT NOT NULL,
                changed_at TEXT NOT NULL,
                as_of TEXT NOT NULL,
                run_id TEXT
            );
            CREATE INDEX tier_history_by_customer ON tier_history(customer_id);
            -- `customer.segment` changes waiting for the running gateway to publish them in its seq
            -- order. `announced_after` is the bus seq when the change was handed to the pipeline: after
            -- a crash the journal is searched from there for `change_id`, so nothing is published twice.
            CREATE TABLE segment_outbox (
                id INTEGER PRIMARY KEY,
                change_id TEXT NOT NULL UNIQUE,
                customer_id TEXT REFERENCES customers(customer_id) ON DELETE CASCADE,
                token TEXT NOT NULL,
                segment TEXT NOT NULL,
                tier TEXT NOT NULL,
                previous_tier TEXT,
                run_id TEXT NOT NULL,
                created_at TEXT NOT NULL,
                announced_at TEXT,
                announced_after INTEGER,
                published_seq INTEGER
            );
            CREATE INDEX segment_outbox_pending ON segment_outbox(id) WHERE published_seq IS NULL;
            """)
    }

    /// Consent per purpose with version and time, the consent history, and the erasure outbox.
    private static func createPrivacy(_ db: Database) throws {
        // `consent_at` stays the recognition time (older readers know it). Marketing is opt-in: no
        // existing customer ever agreed to it, so the default is 0. `consent_history` is the proof of
        // what was agreed when and how; it goes with the customer on erasure. The erasure outbox holds
        // only the token to publish: the customer id is gone the moment the erasure commits.
        try db.execute(sql: """
            ALTER TABLE customers ADD COLUMN recognition_consent_version TEXT;
            ALTER TABLE customers ADD COLUMN profiling_consent_at TEXT;
            ALTER TABLE customers ADD COLUMN profiling_consent_version TEXT;
            ALTER TABLE customers ADD COLUMN marketing_consent INTEGER NOT NULL DEFAULT 0 CHECK (marketing_consent IN (0, 1));
            ALTER TABLE customers ADD COLUMN marketing_consent_at TEXT;
            ALTER TABLE customers ADD COLUMN marketing_consent_version TEXT;
            CREATE TABLE consent_history (
                id INTEGER PRIMARY KEY,
                customer_id TEXT NOT NULL REFERENCES customers(customer_id) ON DELETE CASCADE,
                purpose TEXT NOT NULL CHECK (purpose IN ('recognition', 'profiling', 'marketing')),
                granted INTEGER NOT NULL CHECK (granted IN (0, 1)),
                version TEXT,
                changed_at TEXT NOT NULL,
                source TEXT NOT NULL
            );
            CREATE INDEX consent_history_by_customer ON consent_history(customer_id);
            CREATE TABLE erasure_outbox (
                id INTEGER PRIMARY KEY,
                change_id TEXT NOT NULL UNIQUE,
                token TEXT NOT NULL,
                requested_at TEXT NOT NULL,
                announced_at TEXT,
                announced_after INTEGER,
                published_seq INTEGER
            );
            CREATE INDEX erasure_outbox_pending ON erasure_outbox(id) WHERE published_seq IS NULL;
            """)
    }

    private static func keyReaderStatusByGateway(_ db: Database) throws {
        // A store fed by several gateways has many readers called `door`: the state is per (gateway,
        // reader), as on PostgreSQL. Rows from before had one gateway, the one the cursor names.
        try db.execute(sql: """
            CREATE TABLE reader_status_new (
                gateway TEXT NOT NULL,
                reader TEXT NOT NULL,
                state TEXT NOT NULL,
                message TEXT,
                reads INTEGER NOT NULL,
                drops INTEGER NOT NULL,
                ts TEXT NOT NULL,
                PRIMARY KEY (gateway, reader)
            );
            INSERT INTO reader_status_new (gateway, reader, state, message, reads, drops, ts)
                SELECT COALESCE((SELECT gateway FROM bus_cursor ORDER BY gateway LIMIT 1), ''), reader, state, message, reads, drops, ts
                FROM reader_status;
            DROP TABLE reader_status;
            ALTER TABLE reader_status_new RENAME TO reader_status;
            """)
    }
}
