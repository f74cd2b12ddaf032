import ArgumentParser
import CRMStore
import Foundation
import GatewayCore

/// `gateway consent CUSTOMER`: show or change a customer's consent, one purpose at a time.
struct ConsentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Show or change a customer's consent to recognition, profiling and marketing.",
        discussion: """
            Each purpose is separate. Without recognition consent the customer's tag or card is counted as an anonymous visitor, never linked to them; a running gateway applies a change within seconds. Objecting to profiling leaves them out of the next segmentation run. Every change is kept in consent_history with its time, the wording's version (--version) and the source. With no change, prints the current consent.
            """
    )

    /// `on` or `off`.
    enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on, off
        var granted: Bool { self == .on }
    }

    @Argument(help: ArgumentHelp("The customer id (the loyalty id).", valueName: "customer"))
    var customer: String

    @Option(name: .long, help: ArgumentHelp("In-store recognition (arrival and VIP alerts).", valueName: "on|off"))
    var recognition: Switch?

    @Option(name: .long, help: ArgumentHelp("Profiling for segmentation (RFM, CLV, tiers).", valueName: "on|off"))
    var profiling: Switch?

    @Option(name: .long, help: ArgumentHelp("Marketing.", valueName: "on|off"))
    var marketing: Switch?

    @Option(name: .long, help: ArgumentHelp("The version of the consent wording the customer agreed to.", valueName: "version"))
    var version: String?

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if version != nil, decisions.isEmpty { throw ValidationError("--version needs a change (--recognition, --profiling or --marketing)") }
    }

    private var decisions: [ConsentDecision] {
        [(ConsentPurpose.recognition, recognition), (.profiling, profiling), (.marketing, marketing)].compactMap { purpose, choice in
            choice.map { ConsentDecision(purpose: purpose, granted: $0.granted, version: version) }
        }
    }

    func run() throws {
        let config = try store.loadConfig()
        let database = try store.open(config, logger: store.logger(label: "gateway.consent"))
        let state = try apply(to: database)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var consent: [String: ConsentState] = [:]
            for (purpose, value) in state { consent[purpose.rawValue] = value }
            print(String(decoding: try encoder.encode(ConsentReport(customer: customer, consent: consent)), as: UTF8.self))
        } else {
            print("customer \(customer)")
            for purpose in ConsentPurpose.allCases {
                guard let value = state[purpose] else { continue }
                let name = purpose.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                var line = "  " + name + " " + (value.granted ? "on " : "off")
                if let at = value.at { line += "  since \(at)" }
                if let version = value.version { line += "  version \(version)" }
                print(line)
            }
        }
    }
}

extension ConsentCommand {
    /// Records the changes (if any) and returns the consent after them; not-found names the customer.
    fileprivate func apply(to database: CRMDatabase) throws -> [ConsentPurpose: ConsentState] {
        do {
            if decisions.isEmpty {
                guard let current = try database.consent(customerID: customer) else { throw CLIError("consent: no customer '\(customer)' in the store") }
                return current
            }
            return try database.recordConsent(customerID: customer, decisions, source: "cli")
        } catch let error as CRMStoreError {
            guard error.code == .notFound else { throw error }
            throw CLIError("consent: no customer '\(customer)' in the store")
        }
    }
}

/// `gateway consent --json`: the customer id and their consent by purpose.
private struct ConsentReport: Encodable {
    let customer: String
    let consent: [String: ConsentState]
}
