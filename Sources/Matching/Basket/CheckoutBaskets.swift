import Foundation
import GatewayCore

/// What the checkout zones have seen, kept so a sale can be linked to the tagged items at its till.
///
/// A sale reaches the pipeline after the items were read, sometimes after they left the zone, so
/// sightings outlive presence: an item that left a checkout is kept for the look-back window.
struct CheckoutBaskets {
    /// One tagged item seen at a checkout.
    struct Sighting {
        var gtin: UInt64
        var firstSeen: Timestamp
        /// `nil` while the item is still in the zone.
        var lastSeen: Timestamp?
    }

    /// A sale's items sorted into what was paid for and what was not.
    struct Link {
        /// Tags matched to sale lines, with their GTINs, in the order they were seen.
        var matched: [(tag: TagID, gtin: UInt64)]
        /// Tags seen in the window that no sale line accounts for.
        var unmatched: [(tag: TagID, gtin: UInt64)]
        /// Numbers of the sale lines with units no tag accounted for.
        var untaggedLines: [Int]
    }

    private var zones: [UInt16: [TagID: Sighting]] = [:]
    private let keep: UInt64

    /// Keeps items that left a checkout for `keep` (the look-back plus the slack).
    init(keep: Duration) {
        self.keep = UInt64(max(0, keep.milliseconds)) * 1_000
    }

    /// Number of sightings held, for statistics.
    var count: Int { zones.values.reduce(0) { $0 + $1.count } }

    mutating func entered(_ tag: TagID, gtin: UInt64, zone: UInt16, at time: Timestamp) {
        zones[zone, default: [:]][tag] = Sighting(gtin: gtin, firstSeen: time, lastSeen: nil)
    }

    mutating func left(_ tag: TagID, zone: UInt16, lastSeen: Timestamp) {
        zones[zone]?[tag]?.lastSeen = lastSeen
    }

    /// Links the sale lines to the items seen in `zone` between `from` and `to`, and forgets the
    /// matched ones: an item is paid for once.
    ///
    /// Each sale unit with a GTIN claims one item of that GTIN, earliest seen first. Returns,
    /// voided lines and fractional quantities (weighed goods carry no item tag) claim nothing.
    mutating func link(lines: [PosTransaction.Line], zone: UInt16, from: Timestamp, to: Timestamp) -> Link {
        let seen = (zones[zone] ?? [:])
            .filter { $0.value.firstSeen <= to && ($0.value.lastSeen.map { $0 >= from } ?? true) }
            .sorted { ($0.value.firstSeen, $0.key.hex) < ($1.value.firstSeen, $1.key.hex) }
        var wanted: [UInt64: [(line: Int, units: Int)]] = [:]
        var untagged: [Int: Int] = [:]
        for line in lines where line.kind == .sale && line.quantity > 0 {
            var whole = line.quantity
            var rounded = Decimal()
            NSDecimalRound(&rounded, &whole, 0, .down)
            guard rounded == line.quantity, let gtin = line.gtin.flatMap(UInt64.init) else {
                untagged[line.number] = 1
                continue
            }
            let units = NSDecimalNumber(decimal: rounded).intValue
            wanted[gtin, default: []].append((line.number, units))
            untagged[line.number] = units
        }
        var link = Link(matched: [], unmatched: [], untaggedLines: [])
        for (tag, sighting) in seen {
            guard var claims = wanted[sighting.gtin], let index = claims.firstIndex(where: { $0.units > 0 }) else {
                link.unmatched.append((tag, sighting.gtin))
                continue
            }
            claims[index].units -= 1
            wanted[sighting.gtin] = claims
            untagged[claims[index].line, default: 0] -= 1
            link.matched.append((tag, sighting.gtin))
            zones[zone]?.removeValue(forKey: tag)
        }
        link.untaggedLines = untagged.filter { $0.value > 0 }.keys.sorted()
        return link
    }

    /// Forgets items that left their checkout longer ago than the keep time.
    mutating func prune(now: Timestamp) {
        guard now.microseconds > keep else { return }
        let cutoff = Timestamp(microseconds: now.microseconds - keep)
        for zone in zones.keys {
            zones[zone] = zones[zone]?.filter { $0.value.lastSeen.map { $0 >= cutoff } ?? true }
        }
    }
}

/// Item tags linked to a sale: their later sightings are never linked to the buyer or to another basket.
///
/// Expiry walks the oldest sales first and stops at the first one still kept, so pruning costs what
/// it removes, not the size of the set: the pipeline thread never pauses over a month of sales.
struct SoldItems {
    private var soldAt: [TagID: Timestamp] = [:]
    private var order: [(tag: TagID, time: Timestamp)] = []
    private var head = 0
    private let retention: UInt64

    init(retention: Duration) {
        self.retention = UInt64(max(0, retention.milliseconds)) * 1_000
    }

    var count: Int { soldAt.count }

    func contains(_ tag: TagID) -> Bool { soldAt[tag] != nil }

    mutating func insert(_ tag: TagID, at time: Timestamp) {
        soldAt[tag] = time
        order.append((tag, time))
    }

    mutating func prune(now: Timestamp) {
        guard now.microseconds > retention else { return }
        let cutoff = Timestamp(microseconds: now.microseconds - retention)
        while head < order.count, order[head].time < cutoff {
            let (tag, time) = order[head]
            // A tag sold again later has a newer entry further on; only the latest sale counts.
            if soldAt[tag] == time { soldAt.removeValue(forKey: tag) }
            head += 1
        }
        if head > 1_024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
