import ArgumentParser
import CRMStore
import Foundation
import GatewayCore

/// `gateway purge`: the retention purge, once, now: what the store's ingest does at start and hourly.
struct PurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete presence, visits and sales older than their retention, once.",
        discussion: """
            Ages come from crm.retention in the config (presence 7d, visits 365d, sales kept) unless a flag gives one; 0s keeps that table. Visits count from their end (their start when they never ended); sales from ended_at, and their lines and tenders go with them. Everything is deleted in one transaction. A running gateway does the same hourly by itself.
            """
    )

    @Option(name: .long, help: ArgumentHelp("How long raw presence rows are kept (e.g. 7d, 12h); 0s keeps them.", valueName: "duration"))
    var presence: String?

    @Option(name: .long, help: ArgumentHelp("How long visits are kept after they end (e.g. 365d); 0s keeps them.", valueName: "duration"))
    var visits: String?

    @Option(name: .long, help: ArgumentHelp("How long sales are kept (e.g. 3650d); 0s keeps them.", valueName: "duration"))
    var transactions: String?

    @Flag(name: .long, help: "Count what is due without deleting anything.")
    var dryRun = false

    @Flag(name: .long, help: "Print one JSON object {\"presence\":N,\"visits\":N,\"transactions\":N} instead of one line per table.")
    var json = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        _ = try overrides()
    }

    func run() throws {
        let config = try store.loadConfig()
        var retention = config.crm.retention
        let given = try overrides()
        if let presence = given.presence { retention.presence = presence }
        if let visits = given.visits { retention.visits = visits }
        if let transactions = given.transactions { retention.transactions = transactions }
        let database = try store.open(config, logger: store.logger(label: "gateway.purge"))
        let due = retention.cutoffs()
        let report = try database.purge(presenceBefore: due.presence, visitsBefore: due.visits, transactionsBefore: due.transactions,
                                        dryRun: dryRun)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let verb = dryRun ? "due" : "removed"
        for (table, count, age) in [("presence", report.presence, retention.presence), ("visits", report.visits, retention.visits),
                                    ("transactions", report.transactions, retention.transactions)] {
            let rule = age.map { "older than \(Self.describe($0))" } ?? "kept for ever"
            print("\(table): \(count) \(verb) (\(rule))")
        }
    }

    /// The ages the flags give: `.some(nil)` for `0s` (keep), `nil` for a flag not given.
    private func overrides() throws -> (presence: Duration??, visits: Duration??, transactions: Duration??) {
        (try presence.map { try CRMConfig.Retention.Table.presence.age($0, flag: "--presence") },
         try visits.map { try CRMConfig.Retention.Table.visits.age($0, flag: "--visits") },
         try transactions.map { try CRMConfig.Retention.Table.transactions.age($0, flag: "--transactions") })
    }

    /// `7d`, `12h`, `90m` or `45s`: the largest whole unit, as a config would say it.
    static func describe(_ age: Duration) -> String {
        let seconds = age.components.seconds
        guard age.components.attoseconds == 0, seconds > 0 else { return "\(age.milliseconds)ms" }
        for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}

extension CRMConfig.Retention.Table {
    /// A retention flag's value as this table's age, checked as `crm.retention` checks it; `nil` for `0s` (keep for ever).
    func age(_ text: String, flag: String) throws -> Duration? {
        guard let value = Duration(configText: text.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("\(flag) \(text): not a duration (use a number and a unit: ms, s, m, h, d)")
        }
        if let problem = CRMConfig.Retention.problem(value, for: self) {
            throw ValidationError("\(flag) \(text): \(problem)")
        }
        return value == .zero ? nil : value
    }
}
