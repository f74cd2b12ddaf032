#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LLRP
import NIOCore

/// One emulated reader connection: answers the client's requests, sends keepalives, streams
/// reports, and carries out injected faults. Runs on the connection's event loop.
final class EmulatedReaderHandler: ChannelInboundHandler {
    typealias InboundIn = [UInt8]
    typealias OutboundOut = ByteBuffer

    private let emulator: LLRPReaderEmulator
    private var index = -1
    private var keepaliveTimer: Scheduled<Void>?
    private var streamTimer: Scheduled<Void>?
    private var clientN = 1
    private var nextID: UInt32 = 10_000
    private var lastTick = NIODeadline.now()
    private var credit = 0.0
    private var antennaRotation = 0
    private static let streamTick = TimeAmount.milliseconds(2)

    init(emulator: LLRPReaderEmulator) { self.emulator = emulator }

    static func hostMicros() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
    }

    private func readerMicros() -> UInt64 {
        let offset = emulator.state.withLock { $0.clockOffsetMicros }
        return UInt64(max(0, Int64(Self.hostMicros()) + offset))
    }

    private func update(_ body: (inout LLRPReaderEmulator.Connection) -> Void) {
        let index = self.index
        emulator.state.withLock { s in
            guard s.connections.indices.contains(index) else { return }
            body(&s.connections[index])
        }
    }

    // MARK: Channel events

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let (index, refusal) = emulator.state.withLock { s -> (Int, UInt16?) in
            let index = s.connections.count
            let refusal = s.refusals.isEmpty ? nil : s.refusals.removeFirst()
            s.connections.append(.init(index: index, acceptedAt: .now, refusedWith: refusal))
            s.channels[index] = channel
            return (index, refusal)
        }
        self.index = index
        let event = ReaderEventNotificationData(
            timestamp: .utc(readerMicros()),
            connectionAttempt: .init(rawValue: refusal ?? 0))
        let bytes = LLRPMessage(id: takeID(), .readerEventNotification(event)).encode()
        let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)))
        if refusal != nil {
            // A refusing reader closes right after saying so.
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        keepaliveTimer?.cancel()
        streamTimer?.cancel()
        let index = self.index
        emulator.state.withLock { s in
            s.channels[index] = nil
            if s.connections.indices.contains(index) {
                s.connections[index].closed = true
                s.connections[index].closedAt = .now
            }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard let message = try? LLRPMessage.decode(bytes) else {
            reply(.errorMessage(LLRPStatus(code: .parameterError, errorDescription: "undecodable message")), id: 0, context: context)
            return
        }
        update {
            $0.requests.append(message.type)
            $0.requestIDs.append(message.id)
        }
        switch message.body {
        case .getReaderCapabilities:
            let configuration = emulator.state.withLock { $0.configuration }
            let capabilities = ReaderCapabilities(
                general: GeneralDeviceCapabilities(maxNumberOfAntennas: configuration.antennaCount, hasUTCClock: true,
                                                   deviceManufacturer: configuration.manufacturer, model: configuration.model,
                                                   firmwareVersion: configuration.firmware,
                                                   receiveSensitivities: [.init(index: 1, value: 0)],
                                                   antennaAirProtocols: (1...max(1, configuration.antennaCount)).map { .init(antennaID: $0, protocolIDs: [1]) }),
                llrp: LLRPCapabilities(maxPriorityLevelSupported: 1, maxROSpecs: 1, maxSpecsPerROSpec: 32),
                c1g2: C1G2LLRPCapabilities(supportsBlockWrite: true, maxSelectFiltersPerQuery: 2))
            reply(.getReaderCapabilitiesResponse(capabilities), id: message.id, context: context)
        case .setReaderConfig(_, let configuration):
            reply(.setReaderConfigResponse(.success), id: message.id, context: context)
            if let spec = configuration.keepaliveSpec {
                update { $0.keepaliveInterval = spec.intervalMilliseconds }
                keepaliveTimer?.cancel()
                if spec.triggerType == 1, spec.intervalMilliseconds > 0 {
                    scheduleKeepalive(every: .milliseconds(Int64(spec.intervalMilliseconds)), context: context)
                }
            }
        case .deleteROSpec(let id):
            let rejects = emulator.state.withLock { $0.configuration.rejectsDeleteAll }
            if id == 0, rejects {
                reply(.deleteROSpecResponse(LLRPStatus(code: .fieldError, errorDescription: "ROSpec id 0 is not supported",
                                                       fieldError: .init(fieldNumber: 0, errorCode: .fieldError))),
                      id: message.id, context: context)
            } else {
                update { if id == 0 || $0.roSpec?.id == id { $0.roSpec = nil } }
                reply(.deleteROSpecResponse(.success), id: message.id, context: context)
            }
        case .addROSpec(let spec):
            clientN = max(1, Int(spec.reportSpec?.n ?? 1))
            update { $0.roSpec = spec }
            reply(.addROSpecResponse(.success), id: message.id, context: context)
        case .enableROSpec:
            reply(.enableROSpecResponse(.success), id: message.id, context: context)
        case .startROSpec:
            reply(.startROSpecResponse(.success), id: message.id, context: context)
            update { $0.started = true }
            lastTick = .now()
            credit = 0
            scheduleStream(context: context)
        case .stopROSpec:
            streamTimer?.cancel()
            reply(.stopROSpecResponse(.success), id: message.id, context: context)
        case .keepaliveAck:
            update { $0.keepaliveAcks += 1 }
        case .closeConnection:
            update { $0.closeConnectionReceived = true }
            streamTimer?.cancel()
            keepaliveTimer?.cancel()
            let bytes = LLRPMessage(id: message.id, .closeConnectionResponse(.success)).encode()
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        default:
            reply(.errorMessage(LLRPStatus(code: .unsupportedMessage, errorDescription: "\(message.type) is not emulated")),
                  id: message.id, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let command = event as? EmulatorCommand else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch command {
        case .drop(let midReport):
            streamTimer?.cancel()
            keepaliveTimer?.cancel()
            guard midReport else {
                context.close(promise: nil)
                return
            }
            let stream = emulator.state.withLock { $0.stream } ?? LLRPReaderEmulator.Stream()
            let tags = allocate(4, stream: stream).tags
            let bytes = LLRPMessage(id: takeID(), .roAccessReport(report(tags: tags, stream: stream))).encode()
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes[..<(bytes.count / 2)]))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .vendorReport(let epc, let antenna, let impinjRSSI):
            write(LLRPReaderEmulator.vendorParameterReport(id: takeID(), epc: epc, antenna: antenna, firstSeen: readerMicros(),
                                                           impinjPeakRSSI: impinjRSSI), context: context)
        case .truncatedReport:
            let stream = emulator.state.withLock { $0.stream } ?? LLRPReaderEmulator.Stream()
            let tags = allocate(1, stream: stream).tags
            var bytes = LLRPMessage(id: takeID(), .roAccessReport(report(tags: tags, stream: stream))).encode()
            bytes.removeLast(5)
            Self.patchLength(&bytes, at: 2, value: bytes.count, width: 4)
            write(bytes, context: context)
        case .corruptHeader:
            write([0x04, 0x3D, 0, 0, 0, 4, 0, 0, 0, 1], context: context)
        case .raw(let bytes):
            write(bytes, context: context)
        }
    }

    // MARK: Keepalives and reports

    private func scheduleKeepalive(every interval: TimeAmount, context: ChannelHandlerContext) {
        keepaliveTimer = context.eventLoop.assumeIsolated().scheduleTask(in: interval) {
            guard context.channel.isActive else { return }
            if self.emulator.state.withLock({ $0.keepalivesEnabled }) {
                self.write(LLRPMessage(id: self.takeID(), .keepalive).encode(), context: context)
                self.update { $0.keepalivesSent += 1 }
            }
            self.scheduleKeepalive(every: interval, context: context)
        }
    }

    private func scheduleStream(context: ChannelHandlerContext) {
        streamTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.streamTick) {
            guard context.channel.isActive else { return }
            self.streamTick(context: context)
            self.scheduleStream(context: context)
        }
    }

    private func streamTick(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        let elapsed = Double((now - lastTick).nanoseconds) / 1e9
        lastTick = now
        guard let stream = emulator.state.withLock({ $0.stream }) else {
            credit = 0
            return
        }
        var due: Int
        if let rate = stream.readsPerSecond {
            credit = min(credit + rate * elapsed, max(rate, 1))
            due = Int(credit)
            credit -= Double(due)
        } else {
            due = context.channel.isWritable ? 2_048 : 0
        }
        guard due > 0 else { return }
        let (tags, serials) = allocate(due, stream: stream)
        guard !tags.isEmpty else { return }
        let perReport = max(1, stream.tagsPerReport ?? clientN)
        var buffer = context.channel.allocator.buffer(capacity: tags.count * 40)
        var start = 0
        while start < tags.count {
            let end = min(tags.count, start + perReport)
            buffer.writeBytes(LLRPMessage(id: takeID(), .roAccessReport(report(tags: Array(tags[start..<end]), stream: stream))).encode())
            start = end
        }
        let count = tags.count
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenSuccess {
            self.update { connection in
                connection.readsSent += count
                if let serials {
                    if let last = connection.serialsSent.last, last.upperBound &+ 1 == serials.lowerBound {
                        connection.serialsSent[connection.serialsSent.count - 1] = last.lowerBound...serials.upperBound
                    } else {
                        connection.serialsSent.append(serials)
                    }
                }
            }
        }
    }

    /// Takes the next `count` EPCs (within the stream's limit), with their serial range for sequential tags.
    private func allocate(_ count: Int, stream: LLRPReaderEmulator.Stream) -> (tags: [[UInt8]], serials: ClosedRange<UInt32>?) {
        emulator.state.withLock { s in
            var n = count
            if let limit = stream.limit { n = min(n, max(0, limit - s.streamedTotal)) }
            guard n > 0 else { return ([], nil) }
            s.streamedTotal += n
            switch stream.tags {
            case .sequential(let prefix):
                let first = s.nextSerial
                s.nextSerial &+= UInt32(n)
                let tags = (0..<UInt32(n)).map { i -> [UInt8] in
                    let serial = first &+ i
                    return Array(prefix.prefix(8)) + [UInt8(serial >> 24), UInt8(serial >> 16 & 0xFF), UInt8(serial >> 8 & 0xFF), UInt8(serial & 0xFF)]
                }
                return (tags, first...(first &+ UInt32(n - 1)))
            case .cycling(let epcs):
                guard !epcs.isEmpty else { return ([], nil) }
                var tags: [[UInt8]] = []
                for _ in 0..<n {
                    tags.append(epcs[s.cycleIndex % epcs.count])
                    s.cycleIndex += 1
                }
                return (tags, nil)
            }
        }
    }

    private func report(tags: [[UInt8]], stream: LLRPReaderEmulator.Stream) -> ROAccessReport {
        let time = readerMicros()
        return ROAccessReport(tagReports: tags.map { epc in
            let antenna = stream.antennas[antennaRotation % stream.antennas.count]
            antennaRotation &+= 1
            var custom: [LLRPCustomParameter] = []
            if let rssi = stream.impinjPeakRSSI {
                let raw = UInt16(bitPattern: rssi)
                custom.append(LLRPCustomParameter(vendorID: LLRPCustomParameter.impinjVendorID, subtype: LLRPCustomParameter.impinjPeakRSSISubtype,
                                                  payload: [UInt8(raw >> 8), UInt8(raw & 0xFF)]))
            }
            let encoded: TagReportData.EPC = epc.count == 12 ? .epc96(epc) : .data(bitCount: UInt16(epc.count * 8), bytes: epc)
            return TagReportData(epc: encoded, antennaID: antenna, peakRSSI: stream.peakRSSI, firstSeenUTC: time, custom: custom)
        })
    }

    // MARK: Plumbing

    private func takeID() -> UInt32 {
        defer { nextID &+= 1 }
        return nextID
    }

    private func reply(_ body: LLRPMessage.Body, id: UInt32, context: ChannelHandlerContext) {
        write(LLRPMessage(id: id, body).encode(), context: context)
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
    }

    static func patchLength(_ bytes: inout [UInt8], at offset: Int, value: Int, width: Int) {
        for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * (width - 1 - i))) }
    }
}

extension LLRPReaderEmulator {
    /// A report built by hand, because it carries what the codec's model drops on purpose: an
    /// unknown TLV inside the tag report, next to Zebra and Impinj custom parameters.
    public static func vendorParameterReport(id: UInt32, epc: [UInt8], antenna: UInt16, firstSeen: UInt64, impinjPeakRSSI: Int16) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func u32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func u64(_ v: UInt64) -> [UInt8] { u32(UInt32(v >> 32)) + u32(UInt32(v & 0xFFFF_FFFF)) }
        func tlv(_ type: UInt16, _ body: [UInt8]) -> [UInt8] { u16(type) + u16(UInt16(body.count + 4)) + body }

        var tag: [UInt8] = epc.count == 12 ? [0x8D] + epc : tlv(241, u16(UInt16(epc.count * 8)) + epc)
        tag += [0x81] + u16(antenna)
        tag += [0x86, UInt8(bitPattern: -61)]
        tag += [0x82] + u64(firstSeen)
        tag += tlv(1023, u32(LLRPCustomParameter.zebraVendorID) + u32(709) + [0x01, 0x02, 0x03, 0x04, 0x05])
        tag += tlv(1000, [0x09, 0x09, 0x09])
        tag += tlv(1023, u32(LLRPCustomParameter.impinjVendorID) + u32(LLRPCustomParameter.impinjPeakRSSISubtype) + u16(UInt16(bitPattern: impinjPeakRSSI)))
        var body = tlv(240, tag)
        body += tlv(1023, u32(LLRPCustomParameter.zebraVendorID) + u32(1) + [0xAA])
        var message = u16(1 << 10 | 61) + u32(0) + u32(id) + body
        EmulatedReaderHandler.patchLength(&message, at: 2, value: message.count, width: 4)
        return message
    }
}
