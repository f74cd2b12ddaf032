import Foundation
import GatewayCore
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Journal {
    /// Deletes the oldest segments while the journal is over its byte budget or they are past the
    /// maximum age, and marks the current segment for rotation once it has been open long enough.
    ///
    /// Runs on the commit thread (and once at open), never on the appending thread: deleting a
    /// large file can take a while. The segment being written is never deleted.
    func retireSegments() {
        let now = Date().timeIntervalSince1970
        let maxAgeSeconds = maxAge.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        let retired = state.withLock { (state: inout State) -> [(segment: Segment, reason: String)] in
            if let maxAgeSeconds, state.fd >= 0, let current = state.segments.last,
               now - current.openedAt >= maxAgeSeconds / Double(Self.ageSlices) {
                state.rotateByAge = true
            }
            var retired: [(segment: Segment, reason: String)] = []
            var total = bytes.load(ordering: .relaxed)
            while state.segments.count > 1 {
                let candidate = state.segments[0]
                let reason: String
                if total > Int64(maxBytes) {
                    reason = "the journal holds \(total) bytes, over its budget of \(maxBytes)"
                } else if let maxAgeSeconds, now - candidate.lastWrite > maxAgeSeconds {
                    reason = "its newest record is older than \(Int(maxAgeSeconds)) s"
                } else {
                    break
                }
                state.segments.removeFirst()
                total -= candidate.size
                bytes.subtract(candidate.size, ordering: .relaxed)
                retired.append((candidate, reason))
            }
            if !retired.isEmpty { oldest.store(state.segments.first?.firstSeq ?? 0, ordering: .releasing) }
            return retired
        }
        for (segment, reason) in retired {
            // A reader that opened the file already keeps reading it; one that had not yet skips it.
            if unlink(segment.path) != 0 && errno != ENOENT {
                logger.error("journal could not delete a retired segment", metadata: [
                    "journal.segment": "\(segment.path)", "error": "\(FileSystem.lastError)",
                ])
                continue
            }
            logger.info("journal retired a segment: \(reason)", metadata: [
                "journal.segment": "\(segment.path)", "journal.segmentFirstSeq": "\(segment.firstSeq)", "journal.bytes": "\(segment.size)",
                "journal.firstSeq": "\(firstSeq)",
            ])
        }
    }
}
