import Foundation

// The parts of Square's webhook event and Order object the gateway reads, after Square's documented
// shapes (Webhooks "event payload", Orders API `Order`, `OrderLineItem`, `OrderReturn`, `Tender`).
// Fields not listed are not decoded at all; in particular a tender's `card_details` (card brand,
// last 4, fingerprint) never enters memory as a value of ours.

/// A Square event notification: `{merchant_id, type, event_id, created_at, data: {type, id, object}}`.
struct SquareEvent: Decodable {
    var type: String
    var eventID: String
    var merchantID: String?
    var data: EventData?

    enum CodingKeys: String, CodingKey {
        case type, data
        case eventID = "event_id"
        case merchantID = "merchant_id"
    }

    struct EventData: Decodable {
        var type: String?
        var id: String?
        var object: EventObject?
    }

    /// `order` is a full Order; Square's own order events carry only `order_created`/`order_updated`
    /// summaries (id, state, version), which are recognised but hold no lines.
    struct EventObject: Decodable {
        var order: SquareOrder?
        var orderCreated: OrderSummary?
        var orderUpdated: OrderSummary?

        enum CodingKeys: String, CodingKey {
            case order
            case orderCreated = "order_created"
            case orderUpdated = "order_updated"
        }
    }

    /// `OrderCreated` / `OrderUpdated`: enough to fetch the order and, with the location and creation
    /// time, to know its transaction key before fetching it.
    struct OrderSummary: Decodable {
        var orderID: String?
        var state: String?
        var locationID: String?
        /// Kept as text: it only serves the expected key, so an odd value must not refuse the event.
        var createdAt: String?

        enum CodingKeys: String, CodingKey {
            case state
            case orderID = "order_id"
            case locationID = "location_id"
            case createdAt = "created_at"
        }
    }
}

/// The Orders API's `RetrieveOrder` answer: `{"order": {…}}`.
struct SquareRetrievedOrder: Decodable {
    var order: SquareOrder
}

/// Square `Money`: an amount in the currency's smallest unit.
struct SquareMoney: Decodable {
    var amount: WholeNumber
    var currency: String
}

/// Square `Order`.
struct SquareOrder: Decodable {
    var id: String
    var locationID: String
    var customerID: String?
    var state: String
    var createdAt: TimeText
    var updatedAt: TimeText?
    var closedAt: TimeText?
    var lineItems: [LineItem]?
    var returns: [Return]?
    var tenders: [Tender]?
    var totalMoney: SquareMoney?
    var totalTaxMoney: SquareMoney?
    var totalDiscountMoney: SquareMoney?
    var totalTipMoney: SquareMoney?
    var totalServiceChargeMoney: SquareMoney?
    var netAmounts: Amounts?

    enum CodingKeys: String, CodingKey {
        case id, state, returns, tenders
        case locationID = "location_id"
        case customerID = "customer_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case closedAt = "closed_at"
        case lineItems = "line_items"
        case totalMoney = "total_money"
        case totalTaxMoney = "total_tax_money"
        case totalDiscountMoney = "total_discount_money"
        case totalTipMoney = "total_tip_money"
        case totalServiceChargeMoney = "total_service_charge_money"
        case netAmounts = "net_amounts"
    }

    /// `OrderLineItem`; `OrderReturnLineItem` has the same fields under other names for its amounts.
    struct LineItem: Decodable {
        var uid: String?
        var name: String?
        var variationName: String?
        var quantity: DecimalText
        var catalogObjectID: String?
        var basePriceMoney: SquareMoney?
        var grossMoney: SquareMoney?
        var totalTaxMoney: SquareMoney?
        var totalDiscountMoney: SquareMoney?
        var totalMoney: SquareMoney?

        enum CodingKeys: String, CodingKey {
            case uid, name, quantity
            case variationName = "variation_name"
            case catalogObjectID = "catalog_object_id"
            case basePriceMoney = "base_price_money"
            case grossSalesMoney = "gross_sales_money"
            case grossReturnMoney = "gross_return_money"
            case totalTaxMoney = "total_tax_money"
            case totalDiscountMoney = "total_discount_money"
            case totalMoney = "total_money"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            uid = try c.decodeIfPresent(String.self, forKey: .uid)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            variationName = try c.decodeIfPresent(String.self, forKey: .variationName)
            quantity = try c.decode(DecimalText.self, forKey: .quantity)
            catalogObjectID = try c.decodeIfPresent(String.self, forKey: .catalogObjectID)
            basePriceMoney = try c.decodeIfPresent(SquareMoney.self, forKey: .basePriceMoney)
            grossMoney = try c.decodeIfPresent(SquareMoney.self, forKey: .grossSalesMoney)
                ?? c.decodeIfPresent(SquareMoney.self, forKey: .grossReturnMoney)
            totalTaxMoney = try c.decodeIfPresent(SquareMoney.self, forKey: .totalTaxMoney)
            totalDiscountMoney = try c.decodeIfPresent(SquareMoney.self, forKey: .totalDiscountMoney)
            totalMoney = try c.decodeIfPresent(SquareMoney.self, forKey: .totalMoney)
        }
    }

    /// `OrderReturn`: items taken back within this order (an exchange).
    struct Return: Decodable {
        var returnLineItems: [LineItem]?

        enum CodingKeys: String, CodingKey {
            case returnLineItems = "return_line_items"
        }
    }

    /// `Tender`: only the type and amount are read.
    struct Tender: Decodable {
        var type: String
        var amountMoney: SquareMoney?

        enum CodingKeys: String, CodingKey {
            case type
            case amountMoney = "amount_money"
        }
    }

    /// `OrderMoneyAmounts`.
    struct Amounts: Decodable {
        var totalMoney: SquareMoney?
        var taxMoney: SquareMoney?

        enum CodingKeys: String, CodingKey {
            case totalMoney = "total_money"
            case taxMoney = "tax_money"
        }
    }
}
