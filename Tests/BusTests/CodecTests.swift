import Foundation
import GatewayCore
import Testing

@testable import Bus

@Suite("EventCodec")
struct CodecTests {
    private let common: Set<String> = ["v", "seq", "gateway", "store", "type", "ts"]

    /// The payload fields each type puts on the wire, next to the common ones.
    private func payloadFields(_ type: EventType) -> Set<String> {
        switch type {
        case .presenceEnter, .presenceExit:
            ["zone", "reader", "antenna", "subject", "token", "visit", "epc", "gtin", "product", "rssi", "dwellMs", "visitEnd"]
        case .customerArrival, .vipArrival:
            ["token", "visit", "zone", "reader", "firstName", "tier"]
        case .posTransaction:
            ["source", "key", "posStore", "workstation", "sequenceNumber", "businessDay", "endedAt", "operatorId", "currency", "lines",
             "tenders", "total", "tax", "token"]
        case .basketLink:
            ["transaction", "zone", "matched", "unmatched"]
        case .customerSegment:
            ["token", "segment", "tier"]
        case .customerErased:
            ["token"]
        case .readerStatus:
            ["reader", "state", "message", "reads", "drops"]
        }
    }

    private func jsonObject(_ body: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

    @Test("every payload type round-trips with its topic and exact field names", arguments: everyPayload)
    func roundTrip(payload: EventPayload) throws {
        let codec = EventCodec()
        let event = GatewayEvent(seq: 42, gateway: "gw-1", store: "store-1", ts: fixedTime, payload: payload)
        let (topic, body) = try codec.encode(event)
        #expect(topic == payload.type.rawValue)

        let object = try jsonObject(body)
        #expect(Set(object.keys) == common.union(payloadFields(payload.type)))
        #expect(object["v"] as? Int == 1)
        #expect(object["seq"] as? Int == 42)
        #expect(object["gateway"] as? String == "gw-1")
        #expect(object["store"] as? String == "store-1")
        #expect(object["type"] as? String == topic)
        #expect(object["ts"] as? String == "2026-11-23T06:02:48.123Z")

        #expect(try codec.decode(topic: topic, body: body) == event)
        #expect(try codec.decode(topic: Array(topic.utf8), body: body) == event)
    }

    @Test("every event type has a sample")
    func samplesCoverEveryType() {
        #expect(Set(everyPayload.map(\.type)) == Set(EventType.allCases))
    }

    @Test("vip.arrival carries exactly what staff may see")
    func vipArrivalFields() throws {
        let event = GatewayEvent(seq: 7, gateway: "gw-1", store: "store-1", ts: fixedTime,
                                 payload: .vipArrival(Arrival(token: "tok", visit: "v-9", zone: "entrance", reader: "door", firstName: "Ana", tier: "vip")))
        let object = try jsonObject(try EventCodec().encode(event).body)
        #expect(object["token"] as? String == "tok")
        #expect(object["visit"] as? String == "v-9")
        #expect(object["zone"] as? String == "entrance")
        #expect(object["reader"] as? String == "door")
        #expect(object["firstName"] as? String == "Ana")
        #expect(object["tier"] as? String == "vip")
    }

    @Test("amounts are JSON numbers and survive exactly")
    func decimalsAreNumbers() throws {
        let payload = try #require(everyPayload.first { $0.type == .posTransaction })
        let event = GatewayEvent(seq: 1, gateway: "gw-1", store: "store-1", ts: fixedTime, payload: payload)
        let codec = EventCodec()
        let (topic, body) = try codec.encode(event)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains("\"total\":29.99"))
        #expect(text.contains("\"tax\":4.79"))
        #expect(text.contains("\"unitPrice\":19.99"))
        #expect(text.contains("\"quantity\":1.5"))
        #expect(text.contains("\"endedAt\":\"2026-11-23T06:02:48.123Z\""))
        // Slashes in keys stay readable.
        #expect(text.contains("\"key\":\"S1/T2/2026-11-23/42\""))
        let decoded = try codec.decode(topic: topic, body: body)
        guard case .posTransaction(let transaction) = decoded.payload else {
            Issue.record("decoded \(decoded.type)")
            return
        }
        #expect(transaction.total == Decimal(string: "29.99"))
        #expect(transaction.lines.first?.unitPrice == Decimal(string: "19.99"))
    }

    private func body(_ fields: String) -> [UInt8] {
        Array("{\"v\":1,\"seq\":5,\"gateway\":\"gw-1\",\"store\":\"store-1\",\"ts\":\"2026-11-23T06:02:48.123Z\",\(fields)}".utf8)
    }

    @Test("garbage is a codec error")
    func rejectsGarbage() {
        let codec = EventCodec()
        for garbage in [Array("not json".utf8), [], [0xFF, 0xFE, 0x00], Array("[1,2,3]".utf8), Array("{}".utf8)] {
            let error = #expect(throws: BusError.self) { try codec.decode(topic: "reader.status", body: garbage) }
            #expect(error?.code == .codec)
        }
    }

    @Test("a missing or mistyped field is a codec error naming it")
    func rejectsMissingField() {
        let codec = EventCodec()
        let missing = #expect(throws: BusError.self) {
            try codec.decode(topic: "customer.erased", body: body("\"type\":\"customer.erased\""))
        }
        #expect(missing?.code == .codec)
        #expect(missing?.message.contains("token") == true)
        let mistyped = #expect(throws: BusError.self) {
            try codec.decode(topic: "customer.erased", body: Array("{\"v\":1,\"seq\":\"five\",\"gateway\":\"g\",\"store\":\"s\",\"type\":\"customer.erased\",\"ts\":\"2026-11-23T06:02:48.123Z\",\"token\":\"t\"}".utf8))
        }
        #expect(mistyped?.code == .codec)
        #expect(mistyped?.message.contains("seq") == true)
    }

    @Test("an unknown type is unknownType")
    func rejectsUnknownType() {
        let error = #expect(throws: BusError.self) {
            try EventCodec().decode(topic: "alien.landing", body: body("\"type\":\"alien.landing\""))
        }
        #expect(error?.code == .unknownType)
        #expect(error?.message.contains("alien.landing") == true)
    }

    @Test("a body whose type differs from its topic is topicMismatch")
    func rejectsTopicMismatch() {
        let error = #expect(throws: BusError.self) {
            try EventCodec().decode(topic: "vip.arrival", body: body("\"type\":\"customer.erased\",\"token\":\"t\""))
        }
        #expect(error?.code == .topicMismatch)
    }

    @Test("another schema version is schemaVersion")
    func rejectsOtherVersion() {
        let text = "{\"v\":2,\"seq\":5,\"gateway\":\"gw-1\",\"store\":\"s\",\"type\":\"customer.erased\",\"ts\":\"2026-11-23T06:02:48.123Z\",\"token\":\"t\"}"
        let error = #expect(throws: BusError.self) { try EventCodec().decode(topic: "customer.erased", body: Array(text.utf8)) }
        #expect(error?.code == .schemaVersion)
    }

    @Test("a tender's own type field is not mistaken for the event type")
    func nestedTypeIsOrdinaryField() throws {
        let payload = try #require(everyPayload.first { $0.type == .posTransaction })
        let codec = EventCodec()
        let (_, body) = try codec.encode(GatewayEvent(seq: 1, gateway: "g", store: "s", ts: fixedTime, payload: payload))
        var object = try jsonObject(body)
        object["tenders"] = [["type": 5, "amount": 1]]
        let broken = try JSONSerialization.data(withJSONObject: object)
        let error = #expect(throws: BusError.self) { try codec.decode(topic: "pos.transaction", body: Array(broken)) }
        #expect(error?.code == .codec)
    }

    @Test("a value JSON cannot carry is refused with a codec error")
    func rejectsNaN() {
        let event = GatewayEvent(seq: 1, gateway: "g", store: "s", ts: fixedTime,
                                 payload: .presenceEnter(Presence(zone: "z", reader: "r", antenna: 1, subject: .tag, rssi: .nan)))
        let error = #expect(throws: BusError.self) { try EventCodec().encode(event) }
        #expect(error?.code == .codec)
    }
}

@Suite("CRC32")
struct CRC32Tests {
    @Test("matches the standard check value")
    func checkValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("6789".utf8), continuing: CRC32.checksum(Array("12345".utf8))) == 0xCBF4_3926)
    }

    /// The textbook bit-by-bit CRC, as the reference for the sliced one.
    private func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    @Test("eight bytes at a time gives the bit-by-bit result at every length and alignment, and when continued")
    func slicedMatchesReference() {
        var state: UInt64 = 0x5EED
        let bytes = (0..<300).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        for start in 0..<9 {
            for end in start...bytes.count where (end - start) < 40 || end % 7 == 0 {
                let slice = bytes[start..<end]
                #expect(CRC32.checksum(slice) == reference(slice), "bytes \(start)..<\(end)")
            }
        }
        let split = 123
        #expect(CRC32.checksum(bytes[split...], continuing: CRC32.checksum(bytes[..<split])) == reference(bytes[...]))
    }
}
