import GRDB
import GatewayCore

/// What a customer may agree to, each on its own (REFERENCE §7): being recognised in the store,
/// being profiled for segmentation, receiving marketing.
public enum ConsentPurpose: String, Sendable, CaseIterable, Codable {
    /// In-store recognition: arrival and VIP alerts. Without it a credential read is an anonymous visitor.
    case recognition
    /// Segmentation (RFM, CLV, tiers). Opt-out: allowed until the customer objects.
    case profiling
    /// Marketing. Opt-in; the gateway records it for the CRM and uses it for nothing itself.
    case marketing

    /// The `customers` columns holding the flag, the time it was given and the wording's version.
    var columns: (flag: String, at: String, version: String) {
        switch self {
        case .recognition: ("recognition_consent", "consent_at", "recognition_consent_version")
        case .profiling: ("profiling_consent", "profiling_consent_at", "profiling_consent_version")
        case .marketing: ("marketing_consent", "marketing_consent_at", "marketing_consent_version")
        }
    }
}

/// One decision of a customer about one purpose.
public struct ConsentDecision: Sendable, Equatable {
    /// What it is about.
    public var purpose: ConsentPurpose
    /// Agreed (`true`) or refused / withdrawn (`false`).
    public var granted: Bool
    /// The version of the wording the customer saw (e.g. `2026-03`), when known.
    public var version: String?

    /// Creates a decision.
    public init(purpose: ConsentPurpose, granted: Bool, version: String? = nil) {
        self.purpose = purpose
        self.granted = granted
        self.version = version
    }
}

/// A customer's standing consent for one purpose.
public struct ConsentState: Sendable, Equatable, Codable {
    /// Whether it is given.
    public var granted: Bool
    /// When the standing consent was given; `nil` while it is not, or when the source did not say.
    public var at: String?
    /// The wording's version, when known.
    public var version: String?
}

extension CRMDatabase {
    /// Records `decisions` for a customer: the flags, times and versions on `customers`, and one row
    /// each in `consent_history`.
    ///
    /// Changing a flag bumps the master-data revision (the `customers` triggers), so a running matcher
    /// stops or starts recognising the customer within its reload interval.
    ///
    /// - Parameter source: who recorded it, for the history (`cli`, `bus`, `import`, …).
    /// - Returns: the customer's consent after the change.
    /// - Throws: ``CRMStoreError/Code/notFound`` for an unknown customer id.
    @discardableResult
    public func recordConsent(customerID: String, _ decisions: [ConsentDecision], source: String,
                              at time: Timestamp = .now()) throws(CRMStoreError) -> [ConsentPurpose: ConsentState] {
        let now = time.rfc3339
        return try writing("record consent for customer '\(customerID)'") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM customers WHERE customer_id = ?", arguments: [customerID]) == true else {
                throw CRMStoreError(.notFound, "no customer '\(customerID)' in \(path)")
            }
            for decision in decisions {
                let (flag, at, version) = decision.purpose.columns
                // The time is when the standing consent was given: kept while it stands, cleared on withdrawal.
                try db.execute(sql: """
                    UPDATE customers SET
                        \(at) = CASE WHEN ?1 THEN (CASE WHEN \(flag) = 1 AND \(version) IS ?2 THEN coalesce(\(at), ?3) ELSE ?3 END) END,
                        \(version) = ?2, \(flag) = ?1, updated_at = ?3
                    WHERE customer_id = ?4
                    """, arguments: [decision.granted, decision.version, now, customerID])
                try db.execute(sql: """
                    INSERT INTO consent_history (customer_id, purpose, granted, version, changed_at, source) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [customerID, decision.purpose.rawValue, decision.granted, decision.version, now, source])
            }
            return try Self.consent(db, customerID: customerID) ?? [:]
        }
    }

    /// A customer's standing consent per purpose; `nil` for an unknown customer.
    public func consent(customerID: String) throws(CRMStoreError) -> [ConsentPurpose: ConsentState]? {
        try reading("read the consent of customer '\(customerID)'") { db in try Self.consent(db, customerID: customerID) }
    }

    private static func consent(_ db: Database, customerID: String) throws -> [ConsentPurpose: ConsentState]? {
        let columns = ConsentPurpose.allCases.map { "\($0.columns.flag), \($0.columns.at), \($0.columns.version)" }.joined(separator: ", ")
        guard let row = try Row.fetchOne(db, sql: "SELECT \(columns) FROM customers WHERE customer_id = ?", arguments: [customerID]) else {
            return nil
        }
        var states: [ConsentPurpose: ConsentState] = [:]
        for (index, purpose) in ConsentPurpose.allCases.enumerated() {
            states[purpose] = ConsentState(granted: row[index * 3], at: row[index * 3 + 1], version: row[index * 3 + 2])
        }
        return states
    }
}
