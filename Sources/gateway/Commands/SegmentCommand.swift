import ArgumentParser
import CRMStore
import Foundation
import GatewayCore
import Logging
import Segmentation

/// `gateway segment`: RFM, lifetime value and tiers from the CRM store's purchases.
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Score customers (RFM, CLV), assign tiers, and queue customer.segment for the running gateway.",
        discussion: """
            Reads the purchases of customers who did not object to profiling, up to the as-of day, from the CRM store; fits BG/NBD and Gamma-Gamma; writes each customer's segment, scores, CLV and tier, the tier history, and the changes to publish. A running gateway publishes them as customer.segment and its matcher uses the new tiers within seconds. Settings: `segmentation:` in the config.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The evaluation day, YYYY-MM-DD (default: today, UTC); later purchases are ignored.", valueName: "date"))
    var asOf: String?

    @Option(name: .long, help: ArgumentHelp("The models' time unit: days or weeks (default: segmentation.timeUnit).", valueName: "unit"))
    var timeUnit: String?

    @Flag(name: .long, help: "Print one JSON object instead of the summary.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("How many customers to list by CLV.", valueName: "n"))
    var top = 10

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if let asOf, Day(iso: asOf) == nil { throw ValidationError("--as-of '\(asOf)' is not a date (YYYY-MM-DD)") }
        if let timeUnit, TimeUnit(rawValue: timeUnit) == nil { throw ValidationError("--time-unit '\(timeUnit)' is not days or weeks") }
        guard (0...1_000).contains(top) else { throw ValidationError("--top \(top) is out of range (0–1000)") }
    }

    /// The SQLite file of a `--db` URL; other schemes are refused by name.
    static func sqlitePath(_ url: String) throws -> String {
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw ValidationError("--db \(url): no file after sqlite:") }
            return path
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            throw ValidationError("--db \(url): PostgreSQL is not supported yet; use sqlite:PATH or a plain path")
        }
        if let colon = url.firstIndex(of: ":"), url[..<colon].allSatisfy({ $0.isLetter }), url[url.index(after: colon)...].hasPrefix("//") {
            throw ValidationError("--db \(url): '\(url[..<colon])' databases are not supported; use sqlite:PATH or a plain path")
        }
        return url
    }

    func run() throws {
        let config = try store.loadConfig()
        let logger = store.logger(label: "gateway.segment")
        let database = try store.open(config, logger: logger)
        let day = asOf.flatMap { Day(iso: $0) } ?? Day(Date())
        let job = SegmentationJob(database: database, settings: config.segmentation, logger: logger, topCount: top)
        let report = try job.run(asOf: day, unit: timeUnit.flatMap { TimeUnit(rawValue: $0) })
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            // A NaN log-likelihood cannot be JSON; it never comes from a successful fit.
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.summary(report))
        }
    }

    static func summary(_ report: SegmentationReport) -> String {
        var lines = ["segmentation as of \(report.asOf) (\(report.timeUnit)), run \(report.runID)",
                     "  \(report.customers) customers scored from \(report.purchases) purchases; \(report.excluded) objected to profiling and were left out"]
        if let bg = report.bgnbd {
            lines.append(String(format: "  BG/NBD       r %.4f  alpha %.4f  a %.4f  b %.4f  (log-likelihood %.2f)", bg.r, bg.alpha, bg.a, bg.b, bg.logLikelihood))
        }
        if let gg = report.gammaGamma {
            lines.append(String(format: "  Gamma-Gamma  p %.4f  q %.4f  v %.4f  (log-likelihood %.2f)", gg.p, gg.q, gg.v, gg.logLikelihood))
        }
        lines.append("  segments: " + report.segments.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines.append("  tiers:    " + report.tiers.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines.append("  \(report.tierChanges) tier changes, \(report.removed) segments removed, \(report.published) customer.segment events queued")
        if !report.topCustomers.isEmpty {
            lines.append("  top by CLV:")
            for customer in report.topCustomers {
                let name = customer.firstName ?? "-"
                let padded = name + String(repeating: " ", count: max(0, 12 - name.count))
                lines.append("    \(customer.token)  \(padded) \(String(format: "%10.2f", customer.clv))  \(customer.segment) / \(customer.tier)")
            }
        }
        for warning in report.warnings { lines.append("  warning: \(warning)") }
        return lines.joined(separator: "\n")
    }
}
