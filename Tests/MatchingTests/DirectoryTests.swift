import EPC
import GatewayCore
import Testing
@testable import Matching

/// The directory as it was first written (the input structs kept, standard dictionaries over them):
/// the compact directory must answer every lookup exactly as this does.
private struct ReferenceDirectory {
    let customerByCredential: [TagID: Int32]
    let customerByLoyaltyID: [String: Int32]
    let customerByID: [String: Int32]
    let productByGTIN: [UInt64: Int32]

    init(customers: [Directory.Customer], products: [Directory.Product]) {
        var byCredential: [TagID: Int32] = [:]
        var byLoyalty: [String: Int32] = [:]
        var byID: [String: Int32] = [:]
        for (index, customer) in customers.enumerated() {
            byLoyalty[customer.id] = Int32(index)
            byID[customer.id] = Int32(index)
            for credential in customer.credentials {
                if let epc = TagID(hex: credential), credential.count >= 16 { byCredential[epc] = Int32(index) }
                if let card = TagID(cardNumber: credential) { byCredential[card] = Int32(index) }
                byLoyalty[credential] = Int32(index)
            }
        }
        customerByCredential = byCredential
        customerByLoyaltyID = byLoyalty
        customerByID = byID
        var byGTIN: [UInt64: Int32] = [:]
        for (index, product) in products.enumerated() {
            if let value = UInt64(product.gtin) { byGTIN[value] = Int32(index) }
        }
        productByGTIN = byGTIN
    }
}

/// SplitMix64, so every run draws the same cases.
private struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Directory")
struct DirectoryTests {
    /// Credentials that collide in every way the indexes must get right: shared by two customers, one
    /// customer's hex reading equal to another's card number, short hex (not an EPC), too long for a
    /// tag, not hex at all, and texts equal only under Unicode canonical equivalence.
    fileprivate static func awkwardCustomers(_ random: inout Seeded) -> [Directory.Customer] {
        func hex(_ bytes: Int) -> String {
            (0..<bytes).map { _ in String(UInt8.random(in: 0...255, using: &random), radix: 16, uppercase: Bool.random(using: &random)) }
                .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        }
        var customers: [Directory.Customer] = []
        var pool: [String] = []
        for i in 0..<3_000 {
            var credentials: [String] = []
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                let credential: String
                switch Int.random(in: 0..<10, using: &random) {
                case 0 where !pool.isEmpty: credential = pool.randomElement(using: &random)! // shared with someone else
                case 1: credential = hex(Int.random(in: 1...7, using: &random)) // hex, but under 16 digits: a card number only
                case 2: credential = hex(Int.random(in: 33...40, using: &random)) // too long to be a card number's bytes
                case 3: credential = "4142434445464748" // "ABCDEFGH" in hex: equal to the card reading of the next one
                case 4: credential = "ABCDEFGH"
                case 5: credential = "CARD-\(Int.random(in: 0..<500, using: &random))"
                case 6: credential = Bool.random(using: &random) ? "Andr\u{E9}-\(i % 7)" : "Andre\u{301}-\(i % 7)"
                default: credential = hex(12)
                }
                credentials.append(credential)
                pool.append(credential)
            }
            // Ids repeat now and then, and some are another customer's credential.
            let id: String
            switch Int.random(in: 0..<20, using: &random) {
            case 0: id = "C\(Int.random(in: 0..<i + 1, using: &random))"
            case 1 where !pool.isEmpty: id = pool.randomElement(using: &random)!
            case 2: id = "\u{212A}-\(i % 5)" // KELVIN SIGN: canonically equal to "K-…"
            case 3: id = "K-\(i % 5)"
            default: id = "C\(i)"
            }
            customers.append(.init(id: id, token: hex(16).lowercased(), firstName: i % 3 == 0 ? "Zo\u{EB}" : "Name\(i)",
                                   tier: ["vip", "regular", "gold", ""][i % 4], recognitionConsent: i % 5 != 0, credentials: credentials))
        }
        return customers
    }

    fileprivate static func awkwardProducts(_ random: inout Seeded) -> [Directory.Product] {
        (0..<2_000).map { i in
            let gtin: String
            switch i % 9 {
            case 0: gtin = "000000\(i)" // leading zeros
            case 1: gtin = "+\(i)" // parses as a number, is not digits
            case 2: gtin = "ABC\(i)" // not a number
            case 3: gtin = "\(10_000_000_000_000 + UInt64(i / 2))" // duplicates
            case 4: gtin = ""
            case 5: gtin = "99999999999999999999" // 20 digits: past UInt64
            case 6: gtin = "18446744073709551615" // UInt64.max, 20 digits
            default: gtin = String(10_000_000_000_000 + UInt64.random(in: 0..<1_000, using: &random))
            }
            return Directory.Product(gtin: gtin, name: i % 4 == 0 ? "Écharpe bleue n°\(i)" : "Product \(i)",
                                     category: i % 3 == 0 ? nil : ["scarves", "", "hats"][i % 3])
        }
    }

    @Test("answers every lookup as dictionaries over the input structs would, collisions and duplicates included")
    func matchesTheDictionaryReference() throws {
        var random = Seeded(state: 10)
        let customers = Self.awkwardCustomers(&random)
        let products = Self.awkwardProducts(&random)
        let directory = Directory(customers: customers, products: products)
        let reference = ReferenceDirectory(customers: customers, products: products)

        #expect(directory.customerCount == customers.count)
        #expect(Array(directory.customers) == customers)
        #expect(Array(directory.products) == products)

        var tags = Array(reference.customerByCredential.keys)
        tags += (0..<500).map { _ in TagID(bytes: (0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })! }
        tags += [TagID(), TagID(hex: "4142434445464748")!, TagID(cardNumber: "ABCDEFGH")!, TagID(bytes: [0x41, 0x42], bitCount: 12)!]
        for tag in tags {
            #expect(directory.customer(credential: tag) == reference.customerByCredential[tag], "credential \(tag.hex)/\(tag.bitCount)")
        }

        var texts = Array(reference.customerByLoyaltyID.keys) + customers.map(\.id)
        texts += ["", "C", "K-1", "\u{212A}-1", "Andre\u{301}-3", "Andr\u{E9}-3", "nobody", "4142434445464748", "abcdefgh"]
        for text in texts {
            #expect(directory.customerIndex(loyaltyID: text) == reference.customerByLoyaltyID[text], "loyalty id \(text)")
            #expect(directory.customer(loyaltyID: text) == reference.customerByLoyaltyID[text].map { customers[Int($0)] })
            #expect(directory.customerIndex(id: text) == reference.customerByID[text], "customer id \(text)")
        }

        var gtins = Array(reference.productByGTIN.keys) + [0, 1, .max, 10_000_000_000_000]
        gtins += (0..<500).map { _ in UInt64.random(in: 10_000_000_000_000..<10_000_000_002_000, using: &random) }
        for gtin in gtins {
            #expect(directory.product(gtin: gtin) == reference.productByGTIN[gtin], "gtin \(gtin)")
        }

        for index in customers.indices {
            let i = Int32(index)
            #expect(directory.recognitionConsent(of: i) == customers[index].recognitionConsent)
            #expect(directory.token(of: i) == customers[index].token && directory.tier(of: i) == customers[index].tier)
        }
        for index in products.indices {
            #expect(directory.name(ofProduct: Int32(index)) == products[index].name)
            #expect(directory.category(ofProduct: Int32(index)) == products[index].category)
            #expect(directory.gtin(ofProduct: Int32(index)) == products[index].gtin)
        }
    }

    @Test("an empty directory finds nothing")
    func empty() {
        let directory = Directory()
        #expect(directory.customers.isEmpty && directory.products.isEmpty)
        #expect(directory.customer(credential: TagID(hex: "E28011606000020000000001")!) == nil)
        #expect(directory.customer(credential: TagID()) == nil)
        #expect(directory.customerIndex(loyaltyID: "") == nil)
        #expect(directory.product(gtin: 0) == nil)
    }

    @Test("holds 100k customers and 100k products in under 200 bytes a pair (the 200 MiB budget for 1M + 1M)")
    func footprint() {
        // The shape of the bench's data and of a real CRM: 32-digit tokens, a 96-bit EPC per customer.
        let count = 100_000
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: digits - text.count) + text
        }
        let customers = (0..<count).map { i -> Directory.Customer in
            let token: String = hex(UInt64(i) &* 0x9E37_79B9_7F4A_7C15, 16) + hex(UInt64(i), 16)
            let credential: String = "E2801160600002" + hex(UInt64(i), 10)
            let tier = i % 50 == 0 ? "vip" : "regular"
            return Directory.Customer(id: "C\(i)", token: token, firstName: "Name\(i % 997)", tier: tier, recognitionConsent: i % 10 != 0,
                                      credentials: [credential])
        }
        let products = (0..<count).map { i in
            Directory.Product(gtin: String(10_000_000_000_000 + UInt64(i) * 7), name: "Product \(i)", category: "category \(i % 200)")
        }
        let directory = Directory(customers: customers, products: products)
        #expect(directory.allocatedBytes < 200 * count, "\(directory.allocatedBytes / count) bytes per customer and product")
        // Every customer is still found by their credential and every product by its GTIN.
        #expect((0..<count).allSatisfy { directory.customer(credential: TagID(hex: customers[$0].credentials[0])!) == Int32($0) })
        #expect((0..<count).allSatisfy { directory.product(gtin: 10_000_000_000_000 + UInt64($0) * 7) == Int32($0) })
    }
}
