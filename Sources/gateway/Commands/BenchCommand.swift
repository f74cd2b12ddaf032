import ArgumentParser
import CRMStore
import Foundation
import GatewayCore
import Logging

/// `gateway bench`: the hot paths and the whole read → event path measured on this machine, each beside its baseline.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the ring, EPC decode, matcher and the end-to-end read → subscriber path on this machine.",
        discussion: """
            Synthetic readers (no network, no config file) push SGTIN-96 reads through the real rings, pipeline, \
            journal (in a temporary directory) and ZeroMQ publisher (on a free loopback port) to a subscriber on \
            another thread, at 10k reads/s, 100k reads/s and unbounded, and unbounded with 90% duplicates. \
            In-process figures for the ring, the SGTIN-96 fast path, the matcher (1M customers and 1M products), \
            the event codec and the store ingest into SQLite run with their baselines in the same run. \
            Progress goes to standard error.
            """
    )

    @Flag(name: .long, help: "A shorter run (under a minute): fewer items per micro-benchmark and 3-second load phases.")
    var quick = false

    @Flag(name: .long, help: "Print one JSON object of flat, dotted keys instead of the table.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Seconds each end-to-end load phase runs (default 10, 3 with --quick).", valueName: "seconds"))
    var phaseSeconds: Int?

    @Option(name: .long, help: ArgumentHelp("Synthetic readers, each with its own ring and thread.", valueName: "count"))
    var readers: Int = 2

    @Option(name: .long, help: ArgumentHelp("Also write the JSON object to this file (the table still goes to standard output).", valueName: "path"))
    var jsonOut: String?

    @Option(name: .long, help: ArgumentHelp("Run only these parts (repeatable): \(BenchSection.allCases.map(\.rawValue).joined(separator: ", ")); all by default. For profiling one path.", valueName: "part"))
    var only: [BenchSection] = []

    @Option(name: .long, help: ArgumentHelp("Also measure ingest into this store: postgres://… (or sqlite:PATH); repeatable. A scratch SQLite file is always measured.", valueName: "url"))
    var store: [String] = []

    func validate() throws {
        if let phaseSeconds, !(1...600).contains(phaseSeconds) {
            throw ValidationError("--phase-seconds: \(phaseSeconds) is out of range (1–600)")
        }
        guard (1...16).contains(readers) else { throw ValidationError("--readers: \(readers) is out of range (1–16)") }
    }

    func run() async throws {
        let began = monotonicNanos()
        var logger = Logger(label: "gateway.bench")
        logger.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["GATEWAY_BENCH_LOG"] ?? "") ?? .warning
        let micro = MicroBench(ringItems: quick ? 10_000_000 : 50_000_000, decodes: quick ? 10_000_000 : 50_000_000, directorySize: 1_000_000)
        var report = BenchReport()
        func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }

        let sections = only.isEmpty ? Set(BenchSection.allCases) : Set(only)

        if sections.contains(.ring) {
            progress("ring (reader thread → pipeline thread)")
            let single = await micro.ringThroughput(batch: 1)
            let batched = await micro.ringThroughput(batch: 64)
            let mutex = micro.mutexBaselineThroughput()
            report.add("ring.single_ops_per_s", single, "reads/s", atLeast: 50e6)
            report.add("ring.batched_ops_per_s", batched, "reads/s", atLeast: 250e6)
            report.add("ring.mutex_baseline_ops_per_s", mutex, "reads/s")
            report.add("ring.single_vs_mutex", single / mutex, "×", atLeast: 50)
        }

        if sections.contains(.epc) {
            progress("SGTIN-96 decode")
            let fast = micro.sgtin96FastPath()
            let hex = micro.sgtin96HexFastPath()
            let uri = micro.sgtin96URIBaseline()
            report.add("epc.sgtin96_decode_ns", fast.nanos, "ns", atMost: 50)
            report.add("epc.sgtin96_allocs_per_read", fast.allocationsPerRead ?? .nan, "allocs", atMost: 0)
            report.add("epc.sgtin96_hex_decode_ns", hex.nanos, "ns", atMost: 50)
            report.add("epc.sgtin96_hex_allocs_per_read", hex.allocationsPerRead ?? .nan, "allocs", atMost: 0)
            report.add("epc.uri_baseline_decode_ns", uri.nanos, "ns")
            report.add("epc.uri_baseline_allocs_per_read", uri.allocationsPerRead ?? .nan, "allocs")
            report.add("epc.uri_baseline_vs_hex", uri.nanos / hex.nanos, "×")
            report.add("epc.general_decode_ns", micro.sgtin96GeneralNanos(), "ns")
        }

        if sections.contains(.codec) {
            progress("event encoding and decoding")
            let codec = micro.codec()
            report.add("codec.encode_presence_us", codec.encode.micros, "µs")
            report.add("codec.encode_allocs_per_event", codec.encode.allocations ?? .nan, "allocs")
            report.add("codec.decode_presence_us", codec.decode.micros, "µs")
            report.add("codec.decode_allocs_per_event", codec.decode.allocations ?? .nan, "allocs")
            report.add("codec.foundation_encode_presence_us", codec.foundationEncode.micros, "µs")
            report.add("codec.foundation_encode_allocs_per_event", codec.foundationEncode.allocations ?? .nan, "allocs")
            report.add("codec.foundation_decode_presence_us", codec.foundationDecode.micros, "µs")
            report.add("codec.foundation_decode_allocs_per_event", codec.foundationDecode.allocations ?? .nan, "allocs")
            report.add("codec.encode_vs_foundation", codec.foundationEncode.micros / codec.encode.micros, "×")
            report.add("codec.decode_vs_foundation", codec.foundationDecode.micros / codec.decode.micros, "×")
        }

        if sections.contains(.matcher) {
            progress("matcher with 1M customers and 1M products, and its dictionary baseline")
            let matcher = micro.matcher()
            report.add("matcher.rss_mib_1m_1m", matcher.residentMiB, "MiB", atMost: 200)
            report.add("matcher.allocated_mib_1m_1m", matcher.allocatedMiB, "MiB")
            report.add("matcher.build_s", matcher.buildSeconds, "s")
            report.add("matcher.lookup_ns_p50", matcher.credentialP50, "ns", atMost: 150)
            report.add("matcher.miss_lookup_ns_p50", matcher.missP50, "ns", atMost: 150)
            report.add("matcher.product_lookup_ns_p50", matcher.gtinP50, "ns", atMost: 150)
            report.add("matcher.baseline_rss_mib_1m_1m", matcher.baselineResidentMiB, "MiB")
            report.add("matcher.baseline_build_s", matcher.baselineBuildSeconds, "s")
            report.add("matcher.baseline_lookup_ns_p50", matcher.baselineCredentialP50, "ns")
            report.add("matcher.baseline_product_lookup_ns_p50", matcher.baselineGtinP50, "ns")
            report.add("matcher.baseline_vs_rss", matcher.baselineResidentMiB / matcher.residentMiB, "×")
        }

        if sections.contains(.store) {
            try await storeFigures(into: &report, logger: logger, progress: progress)
        }

        if sections.contains(.e2e) {
            let seconds = Duration.seconds(phaseSeconds ?? (quick ? 3 : 10))
            let e2e = EndToEndBench(logger: logger)
            let phases = [
                EndToEndPhase(offeredRate: 10_000, duplicateShare: 0, duration: seconds, readers: readers, name: "at_10k"),
                EndToEndPhase(offeredRate: 100_000, duplicateShare: 0, duration: seconds, readers: readers, name: "at_100k"),
                EndToEndPhase(offeredRate: nil, duplicateShare: 0, duration: seconds, readers: readers, name: "unbounded"),
                EndToEndPhase(offeredRate: nil, duplicateShare: 0.9, duration: seconds, readers: readers, name: "unbounded_90pct_dup"),
            ]
            var drops: UInt64 = 0
            for phase in phases {
                progress("end to end, \(phase.name), \(seconds)")
                let result = try await e2e.run(phase)
                drops += result.drops
                let prefix = "e2e.\(phase.name)"
                report.add("\(prefix).reads_in_per_s", result.readsPerSecond, "reads/s")
                report.add("\(prefix).enter_events_per_s", result.uniqueEventsPerSecond, "events/s")
                report.add("\(prefix).events_out_per_s", result.eventsPerSecond, "events/s")
                report.add("\(prefix).cpu_cores", result.cpuCores, "cores")
                report.add("\(prefix).rss_mib", result.residentMiB, "MiB")
                report.add("\(prefix).drops", Double(result.drops), "")
                report.add("\(prefix).presence_capacity", Double(phase.presenceCapacity), "pairs")
                switch phase.name {
                case "at_10k": report.addLatency("latency_us.at_10k", result.latency, p99Target: 250)
                case "at_100k": report.addLatency("latency_us.at_100k", result.latency, p99Target: 1_000)
                case "unbounded": report.add("e2e.unique_events_per_s", result.uniqueEventsPerSecond, "events/s", atLeast: 250_000)
                default: report.add("e2e.raw_reads_per_s_90pct_dup", result.readsPerSecond, "reads/s", atLeast: 1_000_000)
                }
            }
            report.add("drops", Double(drops), "", atMost: 0)
        }
        report.add("bench.seconds", Double(monotonicNanos() - began) / 1e9, "s")

        if let jsonOut {
            do {
                try Data((try report.json() + "\n").utf8).write(to: URL(fileURLWithPath: jsonOut))
            } catch {
                throw CLIError("--json-out \(jsonOut): \(error.localizedDescription)")
            }
        }
        print(json ? try report.json() : report.table())
    }
}

/// The parts of `gateway bench`, for `--only`.
enum BenchSection: String, CaseIterable, ExpressibleByArgument {
    case ring, epc, codec, matcher, store, e2e
}
