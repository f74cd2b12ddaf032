import Benchmark
import Bus
import GatewayCore

/// Encoding a `presence.enter` for an item, the most frequent event, as the publisher does.
func registerCodecBenchmarks() {
    let config = Benchmark.Configuration(scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 50)
    let payload = EventPayload.presenceEnter(Presence(
        zone: "floor", reader: "floor-1", antenna: 2, subject: .item, epc: "urn:epc:id:sgtin:0614141.812345.6789",
        gtin: "80614141123458", product: "Blue Scarf", rssi: -55.5))

    Benchmark("EventCodec encode presence.enter", configuration: config) { benchmark in
        let codec = EventCodec()
        var seq: UInt64 = 1
        for _ in benchmark.scaledIterations {
            let event = GatewayEvent(seq: seq, gateway: "gw-bench", store: "store-1", ts: Timestamp(microseconds: 1_800_000_000_000_000 + seq), payload: payload)
            blackHole(try? codec.encode(event))
            seq &+= 1
        }
    }

    Benchmark("EventCodec decode presence.enter", configuration: config) { benchmark in
        let codec = EventCodec()
        let event = GatewayEvent(seq: 1, gateway: "gw-bench", store: "store-1", ts: Timestamp(microseconds: 1_800_000_000_000_000), payload: payload)
        guard let (topic, body) = try? codec.encode(event) else { return benchmark.error("cannot encode the fixture") }
        for _ in benchmark.scaledIterations {
            blackHole(try? codec.decode(topic: topic, body: body))
        }
    }
}
