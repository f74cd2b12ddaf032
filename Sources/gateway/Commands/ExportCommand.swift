import ArgumentParser
import CRMStore
import Foundation
import GatewayCore

/// `gateway export CUSTOMER`: the access request, everything the store holds about one customer as one JSON object.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print everything the CRM store holds about a customer, as one JSON object.",
        discussion: """
            The customers row (every column), credentials, segment and tier history, and, by the customer's token, visits, presence and sales with their lines and tenders; the segment changes not yet published; and the rows of any other table with a customer_id or token column. Values keep their stored types. Nothing is changed.
            """
    )

    @Argument(help: ArgumentHelp("The customer id, as imported.", valueName: "customer"))
    var customer: String

    @Option(name: .long, help: ArgumentHelp("Write to FILE (created readable by its owner only) instead of standard output.", valueName: "file"))
    var out: String?

    @OptionGroup var store: StoreOptions

    func validate() throws {
        if customer.isEmpty { throw ValidationError("give a customer id") }
        if out?.isEmpty == true { throw ValidationError("--out needs a file name") }
    }

    func run() throws {
        let config = try store.loadConfig()
        let database = try store.open(config, logger: store.logger(label: "gateway.export"))
        let export = try database.export(customerID: customer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(export)
        data.append(UInt8(ascii: "\n"))
        if let out {
            try Self.writePrivately(data, to: out)
        } else {
            FileHandle.standardOutput.write(data)
        }
    }

    /// Writes `data` to `path` with mode 0600, through a temporary file renamed into place: the export is
    /// personal data, and a half-written file must never be mistaken for the answer.
    static func writePrivately(_ data: Data, to path: String) throws {
        do throws(FileSystem.Failure) {
            _ = try FileSystem.writePrivately(Array(data), to: path)
        } catch {
            throw CLIError("--out \(path): \(error.message)")
        }
    }
}
