import ArgumentParser
import CRMStore
import Foundation
import GatewayCore

/// `gateway erase CUSTOMER`: the right to erasure.
struct EraseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase a customer: identity, credentials, consent, segments and movements; sales stay, anonymous.",
        discussion: """
            In one transaction: deletes the customer, their tags and cards, consent and its history, segments and tier history, and their raw presence; removes their token from visits and sales (kept for footfall and accounting); and queues a customer.erased tombstone carrying the token. The running gateway publishes it (at its next start if it is not running), and every subscriber — the dashboard, a central store in chain mode — forgets the token. docs/privacy.md says what remains and where.
            """
    )

    @Argument(help: ArgumentHelp("The customer id (the loyalty id).", valueName: "customer"))
    var customer: String

    @Flag(name: .long, help: "Print one JSON object with the counts.")
    var json = false

    @OptionGroup var store: StoreOptions

    func run() throws {
        let config = try store.loadConfig()
        let database = try store.open(config, logger: store.logger(label: "gateway.erase"))
        let report = try erase(in: database)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("erased customer \(customer) (token \(report.token))")
        print("  deleted: \(report.credentials) credentials, \(report.consentHistory) consent records, \(report.segmentation) segment rows, \(report.presence) presence rows")
        print("  anonymised: \(report.visits) visits, \(report.transactions) sales")
        print("  customer.erased queued for the running gateway to publish")
    }

    /// Erases, turning the store's not-found into a message that names the customer.
    private func erase(in database: CRMDatabase) throws -> ErasureReport {
        do {
            return try database.erase(customerID: customer)
        } catch {
            guard error.code == .notFound else { throw error }
            throw CLIError("erase: no customer '\(customer)' in the store (already erased, or never imported)")
        }
    }
}
