import NIOCore

/// Splits a TCP byte stream into whole LLRP messages (header included) by the length in each header.
///
/// Both ends of a connection use it: the driver, and tools that play the reader side. A header announcing fewer than 10 bytes or more than the frame limit means the stream is
/// corrupt or out of step; nothing after it can be trusted, so the decoder fails and the session
/// restarts the connection rather than guess where the next frame begins.
public final class LLRPFrameDecoder: ByteToMessageDecoder {
    /// One whole message, header included, ready for ``LLRPMessage/decode(_:)``.
    public typealias InboundOut = [UInt8]

    private let maxFrameLength: Int

    /// Creates a decoder that rejects frames longer than `maxFrameLength` bytes.
    public init(maxFrameLength: Int = 16 << 20) { self.maxFrameLength = maxFrameLength }

    /// Emits every whole frame in `buffer`.
    public func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= LLRPMessageHeader.size,
              let word = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt32.self)
        else { return .needMoreData }
        guard length >= UInt32(LLRPMessageHeader.size), length <= UInt32(clamping: maxFrameLength) else {
            let type = LLRPMessageType(rawValue: word & 0x3FF)
            throw LLRPError(.malformedFrame, "a frame header (\(type)) announces \(length) bytes, outside 10…\(maxFrameLength)")
        }
        guard buffer.readableBytes >= Int(length), let bytes = buffer.readBytes(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(bytes))
        return .continue
    }

    /// Emits what is left at end of stream; a partial frame then is an ``LLRPError/Code/truncated`` error.
    public func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let announced = buffer.readableBytes >= 6 ? buffer.getInteger(at: buffer.readerIndex + 2, as: UInt32.self).map { " of \($0)" } ?? "" : ""
            let count = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: count)
            throw LLRPError(.truncated, "the connection closed \(count)\(announced) bytes into a frame")
        }
        return .needMoreData
    }
}
