import EPC
import GatewayCore
import Matching
#if canImport(Glibc)
import Glibc
#endif

// Instruction counts for `callgrind.sh`: runs one hot path COUNT times over a spread of inputs.
// Valgrind counts every instruction, so (Ir at 2×COUNT − Ir at COUNT) / COUNT is the cost of one
// operation with set-up and start-up cancelled out, the same on a loaded machine as on an idle one.
// (Valgrind 3.19 cannot run the whole gateway binary, so the paths are linked in here on their own.)

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[2]) else {
    print("usage: CallgrindHarness sgtin96|sgtin96-hex|uri-baseline|directory-hit|directory-miss|directory-gtin|dictionary-hit|dictionary-gtin COUNT")
    exit(2)
}

@inline(never) func keep<T>(_ value: T) { withExtendedLifetime(value) {} }

let gtin = "80614141123458"
let tags: [TagID] = (0..<1_024).map { i in
    TagID(bytes: try! SGTIN96(gtin14: gtin, companyPrefixDigits: 7, serial: UInt64(i) &* 2_654_435_761 % 274_877_906_943).bytes)!
}
let hexes = tags.map(\.hex)

func hex(_ value: UInt64, _ digits: Int) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}

/// A directory of `size` customers and products shaped as the bench's (and a CRM's) data.
func directory(size: Int) -> Directory {
    let customers = (0..<size).map { i -> Directory.Customer in
        let token: String = (hex(UInt64(i) &* 0x9E37_79B9_7F4A_7C15, 16) + hex(UInt64(i), 16)).lowercased()
        let credential: String = "E2801160600002" + hex(UInt64(i), 10)
        let tier = i % 50 == 0 ? "vip" : "regular"
        return Directory.Customer(id: "C\(i)", token: token, firstName: "Name\(i % 997)", tier: tier, recognitionConsent: i % 10 != 0,
                                  credentials: [credential])
    }
    let products = (0..<size).map { i in
        Directory.Product(gtin: String(10_000_000_000_000 + UInt64(i) * 7), name: "Product \(i)", category: "category \(i % 200)")
    }
    return Directory(customers: customers, products: products)
}

var checksum: UInt64 = 0
switch arguments[1] {
case "sgtin96":
    for i in 0..<count {
        let tag = tags[i & 1_023]
        if let sgtin = SGTIN96(high: tag.leadingWord, low: UInt32(truncatingIfNeeded: tag.bits(at: 64, count: 32))) {
            checksum &+= sgtin.gtinValue &+ sgtin.serial
        }
    }
case "sgtin96-hex":
    for i in 0..<count {
        if let sgtin = SGTIN96(hex: hexes[i & 1_023]) { checksum &+= sgtin.gtinValue &+ sgtin.serial }
    }
case "uri-baseline":
    for i in 0..<count {
        if case .tag(let tag)? = try? EPC.decode(hex: hexes[i & 1_023]),
           let identity = try? EPCIdentity(pureIdentityURI: tag.identity.pureIdentityURI),
           let value = identity.gtin14.flatMap({ UInt64($0) }), let serial = UInt64(identity.components[2]) {
            checksum &+= value &+ serial
        }
    }
case "directory-hit", "directory-miss", "directory-gtin":
    // 10k entries: enough to probe at random, small enough for valgrind.
    let size = 10_000
    let directory = directory(size: size)
    let credentials = (0..<1_024).map { TagID(hex: "E2801160600002" + hex(UInt64($0 &* 7_919 % size), 10))! }
    for i in 0..<count {
        switch arguments[1] {
        case "directory-hit": checksum &+= UInt64(directory.customer(credential: credentials[i & 1_023]) ?? 0)
        case "directory-miss": checksum &+= UInt64(directory.customer(credential: tags[i & 1_023]) ?? 0)
        default: checksum &+= UInt64(directory.product(gtin: 10_000_000_000_000 + UInt64(i &* 7_919 % size) * 7) ?? 0)
        }
    }
case "dictionary-hit", "dictionary-gtin":
    // The baseline: standard dictionaries keyed by TagID and by GTIN, as the directory was first written.
    let size = 10_000
    var byCredential: [TagID: Int32] = [:]
    var byGTIN: [UInt64: Int32] = [:]
    for i in 0..<size {
        byCredential[TagID(hex: "E2801160600002" + hex(UInt64(i), 10))!] = Int32(i)
        byGTIN[10_000_000_000_000 + UInt64(i) * 7] = Int32(i)
    }
    let credentials = (0..<1_024).map { TagID(hex: "E2801160600002" + hex(UInt64($0 &* 7_919 % size), 10))! }
    for i in 0..<count {
        if arguments[1] == "dictionary-hit" {
            checksum &+= UInt64(byCredential[credentials[i & 1_023]] ?? 0)
        } else {
            checksum &+= UInt64(byGTIN[10_000_000_000_000 + UInt64(i &* 7_919 % size) * 7] ?? 0)
        }
    }
default:
    print("unknown path \(arguments[1])")
    exit(2)
}
keep(checksum)
