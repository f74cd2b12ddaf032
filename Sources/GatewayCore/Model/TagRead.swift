/// One sighting of a tag or card by a reader: the unit that flows through the rings.
///
/// Trivially copyable and heap-free, so the hot path never allocates per read.
public struct TagRead: Sendable, BitwiseCopyable {
    /// What kind of identifier a reader reported.
    public enum Kind: UInt8, Sendable, BitwiseCopyable {
        /// An RFID EPC, as read from a UHF tag's EPC memory bank.
        case epc
        /// A card or badge number, as typed by a keyboard-wedge reader.
        case card
    }

    /// The identifier read.
    public var tag: TagID
    /// What kind of identifier it is.
    public var kind: Kind
    /// Index of the source (reader) in the gateway's source table.
    public var source: UInt16
    /// The antenna port that saw it (1-based; 0 when the reader has none).
    public var antenna: UInt16
    /// Peak signal strength in hundredths of a dBm (`Int16.min` when unknown).
    public var rssi: Int16
    /// When it was seen, in microseconds since the Unix epoch.
    public var timestamp: Timestamp

    /// Creates a read.
    public init(tag: TagID, kind: Kind = .epc, source: UInt16, antenna: UInt16, rssi: Int16 = .min, timestamp: Timestamp) {
        self.tag = tag
        self.kind = kind
        self.source = source
        self.antenna = antenna
        self.rssi = rssi
        self.timestamp = timestamp
    }
}
