import Synchronization

/// Counters of one printer tap, readable from any thread: what passed through, what was read, what was dropped.
public final class ESCPOSTapStatistics: Sendable {
    private let bytesInCount = Atomic<UInt64>(0)
    private let bytesPrintedCount = Atomic<UInt64>(0)
    private let printerDropsCount = Atomic<UInt64>(0)
    private let transactionsCount = Atomic<UInt64>(0)
    private let nonSalesCount = Atomic<UInt64>(0)
    private let rejectedCount = Atomic<UInt64>(0)
    private let abandonedCount = Atomic<UInt64>(0)
    private let parser = Mutex(ESCPOSParser.Counters())

    /// A copy of the counters.
    public struct Snapshot: Sendable, Equatable {
        /// Bytes read from the POS.
        public var bytesIn: UInt64
        /// Bytes the printer took.
        public var bytesPrinted: UInt64
        /// Bytes not passed to the printer because its buffer was full (a slow, stuck or absent printer).
        public var printerDroppedBytes: UInt64
        /// Receipts published as transactions.
        public var transactions: UInt64
        /// Receipts without a total line: not sales (reports, copies, slips).
        public var nonSales: UInt64
        /// Receipts refused with an error (a total that does not read as money).
        public var rejectedReceipts: UInt64
        /// Receipts cut short by the input disconnecting.
        public var abandonedReceipts: UInt64
        /// The parser's counters: unknown commands, skipped payloads, truncated lines, oversize receipts.
        public var parser: ESCPOSParser.Counters
    }

    /// Creates zeroed counters.
    public init() {}

    /// The current values.
    public var snapshot: Snapshot {
        Snapshot(bytesIn: bytesInCount.load(ordering: .relaxed), bytesPrinted: bytesPrintedCount.load(ordering: .relaxed),
                 printerDroppedBytes: printerDropsCount.load(ordering: .relaxed), transactions: transactionsCount.load(ordering: .relaxed),
                 nonSales: nonSalesCount.load(ordering: .relaxed), rejectedReceipts: rejectedCount.load(ordering: .relaxed),
                 abandonedReceipts: abandonedCount.load(ordering: .relaxed), parser: parser.withLock { $0 })
    }

    func received(_ count: Int) { bytesInCount.add(UInt64(count), ordering: .relaxed) }
    func printed(_ count: Int) { bytesPrintedCount.add(UInt64(count), ordering: .relaxed) }
    func printerDropped(_ count: Int) { printerDropsCount.add(UInt64(count), ordering: .relaxed) }
    func transaction() { transactionsCount.add(1, ordering: .relaxed) }
    func nonSale() { nonSalesCount.add(1, ordering: .relaxed) }
    func rejected() { rejectedCount.add(1, ordering: .relaxed) }
    func abandoned() { abandonedCount.add(1, ordering: .relaxed) }
    func parserCounters(_ counters: ESCPOSParser.Counters) { parser.withLock { $0 = counters } }
}
