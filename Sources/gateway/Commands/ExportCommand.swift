import ArgumentParser
import CRMStore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw CLIError("--out \(path): cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return fsync(fd) == 0
        }
        let problem = written ? nil : String(cString: strerror(errno))
        close(fd)
        if let problem {
            unlink(temporary)
            throw CLIError("--out \(path): cannot write: \(problem)")
        }
        guard rename(temporary, path) == 0 else {
            let problem = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError("--out \(path): cannot replace it: \(problem)")
        }
    }
}
