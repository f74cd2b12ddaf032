import GRDB
import GatewayCore

/// A `customer.segment` change a segmentation run wrote and the running gateway has yet to publish.
public struct SegmentChange: OutboxEntry, Equatable {
    /// Its position in the outbox: changes are published in this order.
    public var id: Int64
    /// A UUID carried on the bus as `change`, so the journal can tell whether it was published.
    public var changeID: String
    /// The customer's token.
    public var token: String
    /// The new segment; empty when the customer is no longer segmented.
    public var segment: String
    /// The tier after the change.
    public var tier: String
    /// The tier before, when it changed.
    public var previousTier: String?
    /// The bus seq when it was handed to the pipeline; `nil` while waiting.
    public var announcedAfter: UInt64?

    /// The event payload.
    public var payload: CustomerSegment {
        CustomerSegment(token: token, segment: segment, tier: tier, previousTier: previousTier, change: changeID)
    }

    /// The event to publish.
    public var event: EventPayload { .customerSegment(payload) }

    /// `customer.segment`.
    public static var topic: EventType { .customerSegment }

    /// The change id of a `customer.segment`.
    public static func changeID(in event: EventPayload) -> String? {
        guard case .customerSegment(let segment) = event else { return nil }
        return segment.change
    }
}

extension CRMDatabase {
    /// The outbox of `customer.segment` changes: written by ``SegmentationJob`` in its transaction,
    /// drained by the running gateway.
    public var segmentOutbox: Outbox<SegmentChange> {
        Outbox(database: self, table: "segment_outbox",
               columns: "id, change_id, token, segment, tier, previous_tier, announced_after", decode: { row in
                   let after: Int64? = row[6]
                   return SegmentChange(id: row[0], changeID: row[1], token: row[2], segment: row[3], tier: row[4], previousTier: row[5],
                                        announcedAfter: after.map { UInt64(clamping: $0) })
               }, what: "segment")
    }
}
