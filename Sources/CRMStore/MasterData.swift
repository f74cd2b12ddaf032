import Foundation
import GRDB

/// Everything the matcher needs to resolve identities: customers with their credentials, and the catalogue.
///
/// It is a snapshot taken in one read transaction, so ``revision`` names exactly the data it holds:
/// the matcher reloads when ``CRMDatabase/masterRevision()`` moves past it.
public struct MasterData: Sendable, Equatable {
    /// Something a reader can see that identifies a customer.
    public struct Credential: Sendable, Hashable {
        /// What kind of credential it is, matching `TagRead.Kind`.
        public enum Kind: String, Sendable, Hashable {
            /// A tag EPC, as uppercase hex (`TagID.hex`).
            case epc
            /// A card number, as the digits a badge reader types (`TagID.text`).
            case card
        }
        /// The normalised value: uppercase hex for an EPC, digits for a card.
        public var value: String
        /// What kind it is.
        public var kind: Kind

        /// Creates a credential from an already normalised value.
        public init(value: String, kind: Kind) {
            self.value = value
            self.kind = kind
        }
    }

    /// A customer, with only what recognition needs: no surname, no email.
    public struct Customer: Sendable, Equatable {
        /// The CRM's customer id (also the loyalty id presented at the till).
        public var customerID: String
        /// First name, for a personal greeting; `nil` when the CRM has none.
        public var firstName: String?
        /// Tier, lowercased (`regular`, `vip`, …).
        public var tier: String
        /// Whether the customer opted in to in-store recognition; without it they are counted, never identified.
        public var recognitionConsent: Bool
        /// The pseudonymous token that stands for the customer on the bus.
        public var token: String
        /// The customer's tags and cards.
        public var credentials: [Credential]

        /// Creates a customer.
        public init(customerID: String, firstName: String?, tier: String, recognitionConsent: Bool, token: String, credentials: [Credential]) {
            self.customerID = customerID
            self.firstName = firstName
            self.tier = tier
            self.recognitionConsent = recognitionConsent
            self.token = token
            self.credentials = credentials
        }
    }

    /// A catalogue product.
    public struct Product: Sendable, Equatable {
        /// GTIN-14, zero-padded.
        public var gtin: String
        /// Display name.
        public var name: String
        /// Shelf price.
        public var price: Decimal
        /// ISO 4217 currency code.
        public var currency: String
        /// Category, when the catalogue has one.
        public var category: String?

        /// Creates a product.
        public init(gtin: String, name: String, price: Decimal, currency: String, category: String?) {
            self.gtin = gtin
            self.name = name
            self.price = price
            self.currency = currency
            self.category = category
        }
    }

    /// The master-data revision this snapshot was read at.
    public var revision: Int64
    /// All customers, consenting or not (the matcher needs both to tell customers from visitors), by customer id.
    public var customers: [Customer]
    /// All products, by GTIN.
    public var products: [Product]

    /// Creates master data.
    public init(revision: Int64, customers: [Customer], products: [Product]) {
        self.revision = revision
        self.customers = customers
        self.products = products
    }
}

extension CRMDatabase {
    /// Loads all customers, credentials and products in one consistent snapshot.
    ///
    /// Rows are read through raw cursors and credentials are merged in by a sorted walk rather than a
    /// dictionary, so a million customers load in seconds without a second copy in memory.
    public func loadMasterData() throws(CRMStoreError) -> MasterData {
        try reading("load master data") { db in
            let revision = try Int64.fetchOne(db, sql: "SELECT revision FROM master_revision WHERE id = 1") ?? 0
            return MasterData(revision: revision, customers: try Self.loadCustomers(db), products: try Self.loadProducts(db, path: path))
        }
    }

    private static func loadCustomers(_ db: Database) throws -> [MasterData.Customer] {
        var customers: [MasterData.Customer] = []
        customers.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM customers") ?? 0)
        // Both walks are ordered by customer_id with the same (binary) collation, so they line up.
        let credentials = try Row.fetchCursor(db, sql: "SELECT customer_id, credential, kind FROM credentials ORDER BY customer_id")
        var pending = try nextCredential(credentials)
        let rows = try Row.fetchCursor(db, sql: """
            SELECT customer_id, first_name, tier, recognition_consent, token FROM customers ORDER BY customer_id
            """)
        while let row = try rows.next() {
            let id: String = row[0]
            var owned: [MasterData.Credential] = []
            while let (owner, credential) = pending, owner <= id {
                if owner == id { owned.append(credential) }
                pending = try nextCredential(credentials)
            }
            customers.append(MasterData.Customer(customerID: id, firstName: row[1], tier: row[2], recognitionConsent: row[3],
                                                 token: row[4], credentials: owned))
        }
        return customers
    }

    private static func nextCredential(_ cursor: RowCursor) throws -> (String, MasterData.Credential)? {
        guard let row = try cursor.next() else { return nil }
        let kindText: String = row[2]
        // The CHECK constraint allows only these two; anything else means a hand-edited file.
        let kind: MasterData.Credential.Kind = kindText == "card" ? .card : .epc
        return (row[0], MasterData.Credential(value: row[1], kind: kind))
    }

    private static func loadProducts(_ db: Database, path: String) throws -> [MasterData.Product] {
        var products: [MasterData.Product] = []
        products.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM products") ?? 0)
        let rows = try Row.fetchCursor(db, sql: "SELECT gtin, name, price, currency, category FROM products ORDER BY gtin")
        while let row = try rows.next() {
            let gtin: String = row[0]
            let priceText: String = row[2]
            guard let price = DecimalText.parse(priceText) else {
                throw CRMStoreError(.query, "cannot load master data in \(path): product \(gtin) has price '\(priceText)', which is not a decimal amount")
            }
            products.append(MasterData.Product(gtin: gtin, name: row[1], price: price, currency: row[3], category: row[4]))
        }
        return products
    }
}
