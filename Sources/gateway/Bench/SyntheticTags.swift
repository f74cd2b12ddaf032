import EPC
import GatewayCore

/// SGTIN-96 item tags made from a serial at reader speed, without the heap.
///
/// `TagID` has no public way to set bits, and building one from bytes goes through a generic
/// collection initialiser (slow enough to make the synthetic reader, not the gateway, the
/// bottleneck). So the bench builds one template tag properly and patches the serial into its two
/// leading words in place. ``init()`` proves the patch against the proper initialiser and falls
/// back to it if `TagID`'s layout ever changes.
struct SyntheticTags {
    /// The company prefix of every synthetic item.
    static let companyPrefix = "0614141"
    /// Their GTIN-14.
    static let gtin = "80614141123458"
    /// The largest SGTIN-96 serial (38 bits).
    static let maxSerial: UInt64 = (1 << 38) - 1

    private let template: TagID
    private let patchable: Bool

    init() {
        template = Self.slowTag(serial: 0)
        var patchable = MemoryLayout<TagID>.size >= 24
        if patchable {
            for serial: UInt64 in [0, 1, 0xFFFF_FFFF, 0x1_0000_0000, 123_456_789_012, Self.maxSerial] {
                if Self.patch(template, serial: serial) != Self.slowTag(serial: serial) { patchable = false }
            }
        }
        self.patchable = patchable
    }

    /// The tag with this serial (taken modulo 2^38).
    @inline(__always)
    func tag(serial: UInt64) -> TagID {
        patchable ? Self.patch(template, serial: serial & Self.maxSerial) : Self.slowTag(serial: serial & Self.maxSerial)
    }

    /// The serial of a pure-identity URI `urn:epc:id:sgtin:CP.IR.SERIAL`; `nil` for anything else.
    static func serial(ofPureIdentityURI uri: String) -> UInt64? {
        guard let dot = uri.utf8.lastIndex(of: UInt8(ascii: ".")) else { return nil }
        return UInt64(uri[uri.utf8.index(after: dot)...])
    }

    private static func slowTag(serial: UInt64) -> TagID {
        TagID(bytes: try! SGTIN96(gtin14: gtin, companyPrefixDigits: companyPrefix.count, serial: serial).bytes)!
    }

    /// Writes the serial into the template: its top 6 bits end word 0 (bits 58–63), its low 32 bits start word 1.
    /// `TagID` stores `bitCount` and then eight big-endian words, so word 0 is at offset 8.
    private static func patch(_ template: TagID, serial: UInt64) -> TagID {
        var tag = template
        withUnsafeMutableBytes(of: &tag) { raw in
            let w0 = raw.load(fromByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: (w0 & ~0x3F) | (serial >> 32), toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: (serial & 0xFFFF_FFFF) << 32, toByteOffset: 16, as: UInt64.self)
        }
        return tag
    }
}
