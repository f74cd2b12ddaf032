import Benchmark
import EPC
import GatewayCore

/// SGTIN-96 → GTIN + serial: the pipeline's register fast path from the read's bits and from hex text,
/// the general TDS decoder, and hex → pure-identity URI → parsed back as the baseline (issue #6).
func registerEPCBenchmarks() {
    let config = Benchmark.Configuration(scalingFactor: .mega, maxDuration: .seconds(2), maxIterations: 20)
    // A spread of serials so the branch predictor cannot learn one value.
    let tags = (0..<1_024).map { Fixtures.itemTag(serial: UInt64($0) &* 2_654_435_761 % 274_877_906_943) }
    let hexes = tags.map(\.hex)

    Benchmark("SGTIN-96 decode, fast path", configuration: config) { benchmark in
        var i = 0
        for _ in benchmark.scaledIterations {
            let tag = tags[i & 1_023]
            let sgtin = SGTIN96(high: tag.leadingWord, low: UInt32(truncatingIfNeeded: tag.bits(at: 64, count: 32)))
            blackHole(sgtin?.gtinValue)
            blackHole(sgtin?.serial)
            i &+= 1
        }
    }

    Benchmark("SGTIN-96 hex decode, fast path", configuration: config) { benchmark in
        var i = 0
        for _ in benchmark.scaledIterations {
            let sgtin = SGTIN96(hex: hexes[i & 1_023])
            blackHole(sgtin?.gtinValue)
            blackHole(sgtin?.serial)
            i &+= 1
        }
    }

    Benchmark("SGTIN-96 decode, general decoder", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 50)) { benchmark in
        var i = 0
        for _ in benchmark.scaledIterations {
            let epc = try? EPC.decode(TagIDBits(tag: tags[i & 1_023]))
            if case .tag(let tag)? = epc { blackHole(tag.identity.gtin14) }
            i &+= 1
        }
    }

    Benchmark("Baseline: SGTIN-96 decode through URI strings", configuration: .init(scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 50)) { benchmark in
        var i = 0
        for _ in benchmark.scaledIterations {
            if case .tag(let tag)? = try? EPC.decode(hex: hexes[i & 1_023]),
               let identity = try? EPCIdentity(pureIdentityURI: tag.identity.pureIdentityURI) {
                blackHole(identity.gtin14.flatMap { UInt64($0) })
                blackHole(UInt64(identity.components[2]))
            }
            i &+= 1
        }
    }
}
