/// Splits a byte stream from an M100 reader into frames, resynchronising after garbage.
///
/// A frame is accepted only when its header, length, checksum and terminator all agree. When they
/// do not, the decoder drops one byte and scans for the next 0xBB, so one bad byte costs at most
/// the frame it hit. A header whose length field promises more bytes than have arrived is held,
/// unless a complete valid frame already follows it: then that header was noise, and the frame
/// behind it is delivered now instead of after the bogus length fills up.
public struct M100FrameDecoder: Sendable {
    /// Bytes dropped while resynchronising (garbage, false headers, broken frames).
    public private(set) var discardedBytes = 0
    /// Candidate frames rejected for a bad checksum or terminator.
    public private(set) var rejectedFrames = 0

    private var buffer: [UInt8] = []
    private var start = 0

    /// Creates an empty decoder.
    public init() {}

    /// Bytes received but not yet decoded or discarded.
    public var pendingBytes: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 4_096 || (start > 0 && start == buffer.count) {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Drops everything pending, e.g. after the port was reopened.
    public mutating func reset() {
        discardedBytes += pendingBytes
        buffer.removeAll(keepingCapacity: true)
        start = 0
    }

    /// The next complete valid frame, or `nil` until more bytes arrive.
    public mutating func next() -> M100Frame? {
        while true {
            guard let header = buffer[start...].firstIndex(of: M100Frame.header) else {
                drop(upTo: buffer.count)
                return nil
            }
            drop(upTo: header)
            guard let length = length(at: start) else { return nil }
            guard length <= M100Frame.maxPayload else {
                drop(upTo: start + 1)
                continue
            }
            let end = start + length + M100Frame.overhead
            guard end <= buffer.count else {
                if let later = completeFrame(after: start) {
                    drop(upTo: later)
                    continue
                }
                return nil
            }
            if let frame = try? M100Frame(validating: buffer[start..<end], length: length) {
                start = end
                return frame
            }
            rejectedFrames += 1
            drop(upTo: start + 1)
        }
    }

    private func length(at index: Int) -> Int? {
        guard buffer.count - index >= 5 else { return nil }
        return Int(buffer[index + 3]) << 8 | Int(buffer[index + 4])
    }

    /// The start of the first complete, valid frame after `index`, if one has fully arrived.
    private func completeFrame(after index: Int) -> Int? {
        var candidate = index + 1
        while let header = buffer[candidate...].firstIndex(of: M100Frame.header) {
            if let length = length(at: header), length <= M100Frame.maxPayload {
                let end = header + length + M100Frame.overhead
                if end <= buffer.count, (try? M100Frame(validating: buffer[header..<end], length: length)) != nil {
                    return header
                }
            }
            candidate = header + 1
        }
        return nil
    }

    private mutating func drop(upTo index: Int) {
        discardedBytes += index - start
        start = index
    }
}
