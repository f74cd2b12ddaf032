import Foundation

// The parts of Shopify's REST `Order` (the body of `orders/create` and `orders/paid` webhooks) the
// gateway reads, after Shopify's documented order resource. Payment details are not decoded.

/// Shopify `Order`.
struct ShopifyOrder: Decodable {
    var id: FlexibleID
    var orderNumber: FlexibleID?
    var name: String?
    var createdAt: TimeText
    var processedAt: TimeText?
    var cancelledAt: String?
    var test: Bool?
    var financialStatus: String?
    var currency: String
    var totalPrice: DecimalText
    var totalTax: DecimalText?
    var taxesIncluded: Bool?
    var locationID: FlexibleID?
    var userID: FlexibleID?
    var customer: Customer?
    var lineItems: [LineItem]
    var shippingLines: [ShippingLine]?
    var paymentGatewayNames: [String]?

    enum CodingKeys: String, CodingKey {
        case id, name, test, currency, customer
        case orderNumber = "order_number"
        case createdAt = "created_at"
        case processedAt = "processed_at"
        case cancelledAt = "cancelled_at"
        case financialStatus = "financial_status"
        case totalPrice = "total_price"
        case totalTax = "total_tax"
        case taxesIncluded = "taxes_included"
        case locationID = "location_id"
        case userID = "user_id"
        case lineItems = "line_items"
        case shippingLines = "shipping_lines"
        case paymentGatewayNames = "payment_gateway_names"
    }

    struct Customer: Decodable {
        var id: FlexibleID?
    }

    struct LineItem: Decodable {
        var id: FlexibleID?
        var title: String?
        var variantTitle: String?
        var sku: String?
        var barcode: String?
        var variantID: FlexibleID?
        var productID: FlexibleID?
        var quantity: WholeNumber
        var price: DecimalText
        var totalDiscount: DecimalText?
        var discountAllocations: [Allocation]?

        enum CodingKeys: String, CodingKey {
            case id, title, sku, barcode, quantity, price
            case variantTitle = "variant_title"
            case variantID = "variant_id"
            case productID = "product_id"
            case totalDiscount = "total_discount"
            case discountAllocations = "discount_allocations"
        }
    }

    struct Allocation: Decodable {
        var amount: DecimalText
    }

    struct ShippingLine: Decodable {
        var price: DecimalText
        var discountedPrice: DecimalText?

        enum CodingKeys: String, CodingKey {
            case price
            case discountedPrice = "discounted_price"
        }
    }
}
