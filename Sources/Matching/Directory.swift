import EPC
import GatewayCore

/// What the matcher knows about customers and products: a snapshot of the CRM's master data,
/// indexed for lookups on every read.
public struct Directory: Sendable {
    /// A loyalty member as the matcher sees them: no more than it needs.
    public struct Customer: Sendable, Equatable {
        /// The CRM's customer id (never published).
        public var id: String
        /// The pseudonymous token that stands for them on the bus.
        public var token: String
        /// First name, for the staff greeting.
        public var firstName: String
        /// Tier, e.g. `vip`.
        public var tier: String
        /// Whether they opted in to in-store recognition.
        public var recognitionConsent: Bool
        /// Tag EPCs (hex) and card numbers that identify them.
        public var credentials: [String]

        /// Creates a customer entry.
        public init(id: String, token: String, firstName: String, tier: String, recognitionConsent: Bool, credentials: [String]) {
            self.id = id
            self.token = token
            self.firstName = firstName
            self.tier = tier
            self.recognitionConsent = recognitionConsent
            self.credentials = credentials
        }
    }

    /// A catalogue product.
    public struct Product: Sendable, Equatable {
        /// GTIN-14.
        public var gtin: String
        /// Name.
        public var name: String
        /// Category.
        public var category: String?

        /// Creates a product entry.
        public init(gtin: String, name: String, category: String?) {
            self.gtin = gtin
            self.name = name
            self.category = category
        }
    }

    /// The customers, indexed by position.
    public let customers: [Customer]
    /// The products, indexed by position.
    public let products: [Product]
    let customerByCredential: [TagID: Int32]
    let customerByLoyaltyID: [String: Int32]
    let productByGTIN: [UInt64: Int32]

    /// An empty directory.
    public init() { self.init(customers: [], products: []) }

    /// Indexes customers by every credential and products by GTIN.
    public init(customers: [Customer], products: [Product]) {
        self.customers = customers
        self.products = products
        var byCredential: [TagID: Int32] = [:]
        var byLoyalty: [String: Int32] = [:]
        byCredential.reserveCapacity(customers.count)
        byLoyalty.reserveCapacity(customers.count * 2)
        for (index, customer) in customers.enumerated() {
            byLoyalty[customer.id] = Int32(index)
            for credential in customer.credentials {
                // A credential may be an EPC (hex) or a card number; index both readings of it.
                if let epc = TagID(hex: credential), credential.count >= 16 { byCredential[epc] = Int32(index) }
                if let card = TagID(cardNumber: credential) { byCredential[card] = Int32(index) }
                byLoyalty[credential] = Int32(index)
            }
        }
        customerByCredential = byCredential
        customerByLoyaltyID = byLoyalty
        var byGTIN: [UInt64: Int32] = [:]
        byGTIN.reserveCapacity(products.count)
        for (index, product) in products.enumerated() {
            if let value = UInt64(product.gtin) { byGTIN[value] = Int32(index) }
        }
        productByGTIN = byGTIN
    }

    /// The customer whose credential this is.
    @inline(__always)
    public func customer(credential: TagID) -> Int32? { customerByCredential[credential] }

    /// The customer with this customer id, loyalty number or card number.
    public func customer(loyaltyID: String) -> Customer? { customerByLoyaltyID[loyaltyID].map { customers[Int($0)] } }

    /// The product with this GTIN-14 value.
    @inline(__always)
    public func product(gtin: UInt64) -> Int32? { productByGTIN[gtin] }
}
