import GatewayCore

/// Turns decoded tag reports into the gateway's `TagRead`s.
struct ReadConversion {
    let source: UInt16
    let clockToleranceMicros: UInt64

    /// What one report produced.
    struct Result {
        /// Tags whose EPC cannot be held (empty, or longer than 512 bits).
        var unsupported = 0
        /// Reads whose reader time was plausible and kept.
        var plausible = 0
        /// Reads stamped with host time because their reader time was implausible.
        var implausible = 0
        /// The first implausible reader time seen, if any.
        var implausibleReaderTime: UInt64?
    }

    /// Appends one read per tag report to `reads`.
    /// - Parameter hostNow: receive time, used when the reader's time is absent or implausible.
    func convert(_ report: ROAccessReport, hostNow: Timestamp, into reads: inout [TagRead]) -> Result {
        var result = Result()
        reads.reserveCapacity(reads.count + report.tagReports.count)
        for tag in report.tagReports {
            let epc = tag.epc
            guard epc.bitCount > 0, let id = TagID(bytes: epc.bytes, bitCount: epc.bitCount) else {
                result.unsupported += 1
                continue
            }
            var timestamp = hostNow
            if let readerTime = tag.firstSeenUTC ?? tag.lastSeenUTC {
                let distance = readerTime > hostNow.microseconds ? readerTime - hostNow.microseconds : hostNow.microseconds - readerTime
                if distance <= clockToleranceMicros {
                    timestamp = Timestamp(microseconds: readerTime)
                    result.plausible += 1
                } else {
                    result.implausible += 1
                    if result.implausibleReaderTime == nil { result.implausibleReaderTime = readerTime }
                }
            }
            let rssi = tag.impinjPeakRSSI ?? tag.peakRSSI.map { Int16($0) * 100 } ?? .min
            reads.append(TagRead(tag: id, kind: .epc, source: source, antenna: tag.antennaID ?? 0, rssi: rssi, timestamp: timestamp))
        }
        return result
    }
}
