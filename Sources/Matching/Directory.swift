import EPC
import GatewayCore

/// What the matcher knows about customers and products: a snapshot of the CRM's master data,
/// indexed for lookups on every read.
///
/// A large store loads a million customers and a million products, and the directory lives for the
/// whole run, so it is kept compact rather than as the input structs and dictionaries of them: text
/// sits in a few byte arenas (``TextArena``), and each index is a table of 32-bit slots that point
/// back into those arrays (``SlotTable``), so no key is stored twice. ``customers`` and ``products``
/// rebuild the input structs on access; the pipeline reads single fields by index instead.
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

    /// The customers in the order given, each rebuilt from the tables when read.
    public struct Customers: RandomAccessCollection, Sendable {
        let directory: Directory
        /// 0.
        public var startIndex: Int { 0 }
        /// The number of customers.
        public var endIndex: Int { directory.customerCount }
        /// The customer at `position`, as it was given.
        public subscript(position: Int) -> Customer { directory.customer(at: position) }
    }

    /// The products in the order given, each rebuilt from the tables when read.
    public struct Products: RandomAccessCollection, Sendable {
        let directory: Directory
        /// 0.
        public var startIndex: Int { 0 }
        /// The number of products.
        public var endIndex: Int { directory.productCount }
        /// The product at `position`, as it was given.
        public subscript(position: Int) -> Product { directory.product(at: position) }
    }

    // Customer i's id, token and first name are strings 3i, 3i + 1 and 3i + 2.
    private let customerText: TextArena
    // Customer i's tier (an index into `tiers`) in the low 31 bits, the recognition consent in the top bit.
    private let customerFlags: [UInt32]
    private let tiers: [String]
    // Every credential's text, customer by customer: customer i's are credentialStart[i] ..< credentialStart[i + 1].
    private let credentialText: TextArena
    private let credentialStart: [UInt32]
    private let credentialOwner: [UInt32]

    private let productNames: TextArena
    // An index into `categories`; `.max` for none.
    private let productCategory: [UInt32]
    private let categories: [String]
    // The GTIN as a number (0 when it is not one), and the digits its text had: a text that is not
    // plain digits (rare) is kept whole in `gtinTexts` instead, with 0 digits here.
    private let gtinValues: [UInt64]
    private let gtinDigits: [UInt8]
    private let gtinTexts: [Int32: String]

    // Every reading of exactly 96 bits (an EPC-96 in hex, or a 12-character card number), key and customer in the slot.
    private let by96BitTag: Key96Table
    // Every other reading. Entries: credential index << 1 | 0 for the hex (EPC) reading, | 1 for the card-number reading.
    private let byTag: SlotTable
    // Entries: customer index, by customer id.
    private let byID: SlotTable
    // Entries: credential index, by the credential's text.
    private let byCredentialText: SlotTable
    // Entries: product index, by GTIN value.
    private let byGTIN: SlotTable
    // Per directory, so nobody can choose tags that pile up in one run of slots.
    private let seed: UInt64

    /// The number of customers.
    public var customerCount: Int { customerFlags.count }
    /// The number of products.
    public var productCount: Int { gtinValues.count }

    /// The customers, indexed by position (each one rebuilt when read; the pipeline uses the field accessors).
    public var customers: Customers { Customers(directory: self) }
    /// The products, indexed by position (each one rebuilt when read).
    public var products: Products { Products(directory: self) }

    /// An empty directory.
    public init() { self.init(customers: [], products: []) }

    /// Indexes customers by every credential (as an EPC in hex and as a card number), by customer id
    /// and by credential text, and products by GTIN. Where two entries share a key, the later one wins.
    public init(customers: [Customer], products: [Product]) {
        let seed = UInt64.random(in: .min ... .max)
        self.seed = seed

        // Customers, in arenas sized in a first pass so each is allocated once.
        var textBytes = 0
        var credentialBytes = 0
        var credentialCount = 0
        for customer in customers {
            textBytes += customer.id.utf8.count + customer.token.utf8.count + customer.firstName.utf8.count
            credentialCount += customer.credentials.count
            for credential in customer.credentials { credentialBytes += credential.utf8.count }
        }
        precondition(credentialCount < Int(Int32.max) && customers.count < Int(Int32.max), "a directory holds fewer than 2^31 customers and credentials")
        var customerText = TextArena(reservingBytes: textBytes, strings: customers.count * 3)
        var credentialText = TextArena(reservingBytes: credentialBytes, strings: credentialCount)
        var flags: [UInt32] = []
        flags.reserveCapacity(customers.count)
        var credentialStart: [UInt32] = [0]
        credentialStart.reserveCapacity(customers.count + 1)
        var owner: [UInt32] = []
        owner.reserveCapacity(credentialCount)
        var tiers: [String] = []
        var tierIndex: [String: UInt32] = [:]
        for (index, customer) in customers.enumerated() {
            customerText.append(customer.id)
            customerText.append(customer.token)
            customerText.append(customer.firstName)
            let tier = tierIndex[customer.tier] ?? {
                tiers.append(customer.tier)
                tierIndex[customer.tier] = UInt32(tiers.count - 1)
                return UInt32(tiers.count - 1)
            }()
            flags.append(tier | (customer.recognitionConsent ? 1 << 31 : 0))
            for credential in customer.credentials {
                credentialText.append(credential)
                owner.append(UInt32(index))
            }
            credentialStart.append(UInt32(owner.count))
        }

        // Customer ids and credential texts: the loyalty lookups.
        var byID = SlotTable(count: customers.count)
        for (index, customer) in customers.enumerated() {
            byID.upsert(hash: DirectoryHash.text(customer.id, seed: seed), entry: index) { customerText.equals(3 * $0, customer.id) }
        }
        var byCredentialText = SlotTable(count: credentialCount)
        // A credential may be an EPC (hex) or a card number; both readings of it are indexed. The readings
        // are listed first, in order, so each table is sized for what it holds and a later reading wins.
        var readings: [(tag: TagID, entry: Int)] = []
        readings.reserveCapacity(credentialCount * 2)
        var credential = 0
        for customer in customers {
            for text in customer.credentials {
                byCredentialText.upsert(hash: DirectoryHash.text(text, seed: seed), entry: credential) { credentialText.equals($0, text) }
                if let epc = TagID(hex: text), text.count >= 16 { readings.append((epc, credential << 1)) }
                if let card = TagID(cardNumber: text) { readings.append((card, credential << 1 | 1)) }
                credential += 1
            }
        }
        let short = readings.reduce(0) { $0 + ($1.tag.bitCount == 96 ? 1 : 0) }
        var by96BitTag = Key96Table(count: short)
        var byTag = SlotTable(count: readings.count - short, entriesBelow: credentialCount * 2)
        for (tag, entry) in readings {
            if tag.bitCount == 96, let words = ShortTag(tag) {
                by96BitTag.upsert(hash: DirectoryHash.tag(words, seed: seed), high: words.w0, low: UInt32(truncatingIfNeeded: words.w1 >> 32),
                                  value: owner[entry >> 1])
            } else {
                byTag.upsert(hash: DirectoryHash.tag(tag, seed: seed), entry: entry) { Self.reading($0, is: tag, in: credentialText) }
            }
        }
        readings = []
        self.customerText = customerText
        self.customerFlags = flags
        self.tiers = tiers
        self.credentialText = credentialText
        self.credentialStart = credentialStart
        self.credentialOwner = owner
        self.byID = byID
        self.byCredentialText = byCredentialText
        self.byTag = byTag
        self.by96BitTag = by96BitTag

        // Products.
        var names = TextArena(reservingBytes: products.reduce(0) { $0 + $1.name.utf8.count }, strings: products.count)
        var productCategory: [UInt32] = []
        productCategory.reserveCapacity(products.count)
        var categories: [String] = []
        var categoryIndex: [String: UInt32] = [:]
        var gtinValues: [UInt64] = []
        gtinValues.reserveCapacity(products.count)
        var gtinDigits: [UInt8] = []
        gtinDigits.reserveCapacity(products.count)
        var gtinTexts: [Int32: String] = [:]
        var byGTIN = SlotTable(count: products.count)
        for (index, product) in products.enumerated() {
            names.append(product.name)
            if let category = product.category {
                productCategory.append(categoryIndex[category] ?? {
                    categories.append(category)
                    categoryIndex[category] = UInt32(categories.count - 1)
                    return UInt32(categories.count - 1)
                }())
            } else {
                productCategory.append(.max)
            }
            let value = UInt64(product.gtin)
            gtinValues.append(value ?? 0)
            let utf8 = product.gtin.utf8
            if (1...19).contains(utf8.count), utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                gtinDigits.append(UInt8(utf8.count))
            } else {
                gtinDigits.append(0)
                gtinTexts[Int32(index)] = product.gtin
            }
            if let value {
                byGTIN.upsert(hash: DirectoryHash.integer(value, seed: seed), entry: index) { gtinValues[$0] == value }
            }
        }
        self.productNames = names
        self.productCategory = productCategory
        self.categories = categories
        self.gtinValues = gtinValues
        self.gtinDigits = gtinDigits
        self.gtinTexts = gtinTexts
        self.byGTIN = byGTIN
    }

    /// Whether index entry `entry` of `byTag` stands for `tag`.
    @inline(__always)
    private static func reading(_ entry: Int, is tag: TagID, in credentials: TextArena) -> Bool {
        credentials.withBytes(entry >> 1) { text in
            entry & 1 == 0 ? CredentialReading.isHex(tag, text) : CredentialReading.isText(tag, text)
        }
    }

    // MARK: Lookups

    /// The customer whose credential this is.
    @inline(__always)
    public func customer(credential: TagID) -> Int32? {
        let entry: Int?
        if credential.bitCount == 96 {
            // The usual fob: key and customer in one slot.
            let w0 = credential.leadingWord
            let w1 = credential.bits(at: 64, count: 64)
            let short = ShortTag(bitCount: 96, w0: w0, w1: w1)
            return by96BitTag.find(hash: DirectoryHash.tag(short, seed: seed), high: w0, low: UInt32(truncatingIfNeeded: w1 >> 32))
                .map { Int32(truncatingIfNeeded: $0) }
        } else if let short = ShortTag(credential) {
            // Every EPC up to 128 bits: its words are read once, for the hash and the check.
            entry = byTag.find(hash: DirectoryHash.tag(short, seed: seed)) { entry in
                credentialText.withBytes(entry >> 1) { text in
                    entry & 1 == 0 ? CredentialReading.isHex(short, text) : CredentialReading.isText(short, text)
                }
            }
        } else {
            entry = byTag.find(hash: DirectoryHash.tag(credential, seed: seed)) { Self.reading($0, is: credential, in: credentialText) }
        }
        return entry.map { Int32(truncatingIfNeeded: credentialOwner[$0 >> 1]) }
    }

    /// The customer with this customer id, loyalty number or card number.
    public func customer(loyaltyID: String) -> Customer? {
        customerIndex(loyaltyID: loyaltyID).map { customer(at: Int($0)) }
    }

    /// The index of the customer with this customer id, loyalty number or card number: of the
    /// customers whose id or one of whose credentials it is, the last one given.
    public func customerIndex(loyaltyID: String) -> Int32? {
        let hash = DirectoryHash.text(loyaltyID, seed: seed)
        let byID = customerIndex(id: loyaltyID, hash: hash)
        let byCredential = byCredentialText.find(hash: hash) { credentialText.equals($0, loyaltyID) }
            .map { Int32(truncatingIfNeeded: credentialOwner[$0]) }
        switch (byID, byCredential) {
        case let (id?, credential?): return max(id, credential)
        case let (id, credential): return id ?? credential
        }
    }

    /// The index of the customer with this customer id (the last one given, if it was given twice).
    public func customerIndex(id: String) -> Int32? {
        customerIndex(id: id, hash: DirectoryHash.text(id, seed: seed))
    }

    private func customerIndex(id: String, hash: UInt64) -> Int32? {
        byID.find(hash: hash) { customerText.equals(3 * $0, id) }.map { Int32(truncatingIfNeeded: $0) }
    }

    /// The product with this GTIN-14 value.
    @inline(__always)
    public func product(gtin: UInt64) -> Int32? {
        byGTIN.find(hash: DirectoryHash.integer(gtin, seed: seed)) { gtinValues[$0] == gtin }.map { Int32(truncatingIfNeeded: $0) }
    }

    // MARK: Fields by index

    /// Whether customer `index` opted in to in-store recognition.
    @inline(__always)
    public func recognitionConsent(of index: Int32) -> Bool { customerFlags[Int(index)] & (1 << 31) != 0 }

    /// Customer `index`'s id.
    public func id(of index: Int32) -> String { customerText.string(3 * Int(index)) }

    /// Customer `index`'s token.
    public func token(of index: Int32) -> String { customerText.string(3 * Int(index) + 1) }

    /// Customer `index`'s first name.
    public func firstName(of index: Int32) -> String { customerText.string(3 * Int(index) + 2) }

    /// Customer `index`'s tier.
    public func tier(of index: Int32) -> String { tiers[Int(customerFlags[Int(index)] & ~(1 << 31))] }

    /// Product `index`'s name.
    public func name(ofProduct index: Int32) -> String { productNames.string(Int(index)) }

    /// Product `index`'s category.
    public func category(ofProduct index: Int32) -> String? {
        let category = productCategory[Int(index)]
        return category == .max ? nil : categories[Int(category)]
    }

    /// Product `index`'s GTIN text, as it was given.
    public func gtin(ofProduct index: Int32) -> String {
        let digits = Int(gtinDigits[Int(index)])
        guard digits > 0 else { return gtinTexts[index] ?? "" }
        return GS1.padded(gtinValues[Int(index)], digits)
    }

    /// The customer at `position`, rebuilt as it was given.
    public func customer(at position: Int) -> Customer {
        let index = Int32(position)
        let credentials = (Int(credentialStart[position])..<Int(credentialStart[position + 1])).map(credentialText.string)
        return Customer(id: id(of: index), token: token(of: index), firstName: firstName(of: index), tier: tier(of: index),
                        recognitionConsent: recognitionConsent(of: index), credentials: credentials)
    }

    /// The product at `position`, rebuilt as it was given.
    public func product(at position: Int) -> Product {
        let index = Int32(position)
        return Product(gtin: gtin(ofProduct: index), name: name(ofProduct: index), category: category(ofProduct: index))
    }

    /// The bytes the directory's arrays have allocated: what 1M customers and 1M products cost in memory,
    /// short of the allocator's own overhead and the few strings of tiers and categories.
    public var allocatedBytes: Int {
        customerText.allocatedBytes + credentialText.allocatedBytes + productNames.allocatedBytes
            + (customerFlags.capacity + credentialStart.capacity + credentialOwner.capacity + productCategory.capacity) * MemoryLayout<UInt32>.stride
            + gtinValues.capacity * MemoryLayout<UInt64>.stride + gtinDigits.capacity
            + byTag.allocatedBytes + by96BitTag.allocatedBytes + byID.allocatedBytes + byCredentialText.allocatedBytes + byGTIN.allocatedBytes
    }
}
