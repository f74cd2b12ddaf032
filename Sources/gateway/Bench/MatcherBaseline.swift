import GatewayCore
import Matching

/// The baseline for the matcher's memory and lookups: the directory as it was first written, the input
/// structs kept whole and indexed by standard dictionaries (`[TagID: Int32]` for both readings of every
/// credential, `[String: Int32]` for ids and credentials, `[UInt64: Int32]` for GTINs).
///
/// Measured in the same run as ``Directory``, so the memory saved and the lookup time paid or won are
/// a ratio of one machine at one moment.
struct DictionaryDirectory {
    let customers: [Directory.Customer]
    let products: [Directory.Product]
    let customerByCredential: [TagID: Int32]
    let customerByLoyaltyID: [String: Int32]
    let productByGTIN: [UInt64: Int32]

    init(customers: [Directory.Customer], products: [Directory.Product]) {
        self.customers = customers
        self.products = products
        var byCredential: [TagID: Int32] = [:]
        var byLoyalty: [String: Int32] = [:]
        byCredential.reserveCapacity(customers.count)
        byLoyalty.reserveCapacity(customers.count * 2)
        for (index, customer) in customers.enumerated() {
            byLoyalty[customer.id] = Int32(index)
            for credential in customer.credentials {
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

    func customer(credential: TagID) -> Int32? { customerByCredential[credential] }
    func product(gtin: UInt64) -> Int32? { productByGTIN[gtin] }
}
