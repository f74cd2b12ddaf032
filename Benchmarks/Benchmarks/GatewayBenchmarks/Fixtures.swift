import EPC
import GatewayCore

/// Synthetic reads of the kind a retail store sees: SGTIN-96 item tags of one company prefix.
enum Fixtures {
    /// The GTIN the synthetic items carry (company prefix 0614141, 7 digits).
    static let gtin = "80614141123458"

    /// An SGTIN-96 tag of `gtin` with this serial.
    static func itemTag(serial: UInt64) -> TagID {
        // Setup only: the bytes array allocates.
        TagID(bytes: try! SGTIN96(gtin14: gtin, companyPrefixDigits: 7, serial: serial).bytes)!
    }

    /// A read of `tag` by reader 0, antenna 1.
    static func read(_ tag: TagID, at micros: UInt64 = 1_800_000_000_000_000) -> TagRead {
        TagRead(tag: tag, source: 0, antenna: 1, rssi: -5_500, timestamp: Timestamp(microseconds: micros))
    }
}

/// Reads a tag's bits in place for the general EPC decoder (the pipeline has its own, internal one).
struct TagIDBits: EPCBitSource {
    let tag: TagID
    var epcBitCount: Int { Int(tag.bitCount) }
    func epcBits(at offset: Int, count: Int) -> UInt64 { tag.bits(at: offset, count: count) }
}
