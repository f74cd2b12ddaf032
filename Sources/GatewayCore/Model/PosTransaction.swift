import Foundation

/// A completed sale (or return) as a POS feed reported it, before enrichment.
///
/// Card data never reaches this type: parsers drop primary account numbers before building it.
public struct PosTransaction: Sendable, Codable, Equatable {
    /// One line of the receipt.
    public struct Line: Sendable, Codable, Equatable {
        /// Whether the line sold, returned or voided an item.
        public enum Kind: String, Sendable, Codable {
            /// A sale line.
            case sale
            /// A return: the quantity went back to the store.
            case `return`
            /// A line the cashier cancelled; kept for audit, not counted in totals.
            case voided
        }
        /// Position on the receipt (1-based).
        public var number: Int
        /// What the line did.
        public var kind: Kind
        /// GTIN-14 of the item, when the POS scanned a barcode.
        public var gtin: String?
        /// The POS's own item id, when there is no GTIN.
        public var itemID: String?
        /// The description printed on the receipt.
        public var description: String?
        /// Quantity; fractional for weighed goods.
        public var quantity: Decimal
        /// Price of one unit.
        public var unitPrice: Decimal
        /// Line amount after quantity, before discounts.
        public var amount: Decimal
        /// Discount applied to the line.
        public var discount: Decimal

        /// Creates a line.
        public init(number: Int, kind: Kind = .sale, gtin: String? = nil, itemID: String? = nil, description: String? = nil,
                    quantity: Decimal, unitPrice: Decimal, amount: Decimal, discount: Decimal = 0) {
            self.number = number
            self.kind = kind
            self.gtin = gtin
            self.itemID = itemID
            self.description = description
            self.quantity = quantity
            self.unitPrice = unitPrice
            self.amount = amount
            self.discount = discount
        }
    }

    /// A payment.
    public struct Tender: Sendable, Codable, Equatable {
        /// The tender type as the POS names it (`Cash`, `CreditDebit`, …).
        public var type: String
        /// Amount tendered.
        public var amount: Decimal

        /// Creates a tender.
        public init(type: String, amount: Decimal) {
            self.type = type
            self.amount = amount
        }
    }

    /// The store the POS belongs to.
    public var storeID: String
    /// The till.
    public var workstationID: String
    /// The POS's transaction sequence number.
    public var sequenceNumber: String
    /// The business day, `YYYY-MM-DD`.
    public var businessDay: String
    /// When the transaction ended.
    public var endedAt: Timestamp
    /// The cashier, when known.
    public var operatorID: String?
    /// ISO 4217 currency code.
    public var currency: String
    /// The receipt lines.
    public var lines: [Line]
    /// The payments.
    public var tenders: [Tender]
    /// Grand total.
    public var total: Decimal
    /// Tax included in the total.
    public var tax: Decimal
    /// The loyalty or customer id presented at the till, when any.
    public var loyaltyID: String?
    /// When the transaction began, when the POS reports it; the basket link looks for items from then.
    public var startedAt: Timestamp?
    /// How far the figures can be trusted: `low` for transactions read off a receipt (the ESC/POS tap).
    public var confidence: Confidence
    /// Problems found while parsing that did not stop the transaction, e.g. `totals-mismatch`.
    public var flags: [String]

    /// How a transaction was obtained.
    public enum Confidence: String, Sendable, Codable {
        /// From the POS's own data (POSLog, webhooks).
        case exact
        /// Reconstructed from printed receipt text.
        case low
    }

    /// Creates a transaction.
    public init(storeID: String, workstationID: String, sequenceNumber: String, businessDay: String, endedAt: Timestamp,
                operatorID: String? = nil, currency: String, lines: [Line], tenders: [Tender], total: Decimal, tax: Decimal = 0,
                loyaltyID: String? = nil, startedAt: Timestamp? = nil, confidence: Confidence = .exact, flags: [String] = []) {
        self.storeID = storeID
        self.workstationID = workstationID
        self.sequenceNumber = sequenceNumber
        self.businessDay = businessDay
        self.endedAt = endedAt
        self.operatorID = operatorID
        self.currency = currency
        self.lines = lines
        self.tenders = tenders
        self.total = total
        self.tax = tax
        self.loyaltyID = loyaltyID
        self.startedAt = startedAt
        self.confidence = confidence
        self.flags = flags
    }

    /// The idempotency key a POS guarantees unique: store, workstation, sequence number, business day.
    public var key: String { "\(storeID)/\(workstationID)/\(businessDay)/\(sequenceNumber)" }

    /// Settled once this transaction's events are kept (see ``DeliveryAck``); set by the POS input on
    /// the last transaction of a document it waits for. Not part of the transaction's data: never encoded.
    public var ack: DeliveryAck?

    private enum CodingKeys: String, CodingKey {
        case storeID, workstationID, sequenceNumber, businessDay, endedAt, operatorID, currency, lines, tenders, total, tax
        case loyaltyID, startedAt, confidence, flags
    }
}

extension Timestamp: Codable {
    /// Decodes from an RFC 3339 string.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(text) is not an RFC 3339 time"))
        }
        self = value
    }

    /// Encodes as RFC 3339 UTC with milliseconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}
