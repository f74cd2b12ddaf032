import ArgumentParser
import CRMStore
import Foundation
import GatewayCore
import Logging

/// `gateway import customers|products FILE.csv`: loads master data into the CRM store.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load customers, products or purchase history from CSV into the CRM store.",
        discussion: """
            customers: customer_id,first_name,last_name,email,tier,credentials,recognition_consent[,profiling_consent,marketing_consent,consent_version,consent_at]
              credentials: tag EPCs in hex or card numbers, separated by ';'. consent: yes or no.
              profiling_consent (optional): no = the customer objected to profiling; empty = segmentation.profilingDefault.
              marketing_consent (optional): empty = unchanged (no for a new customer).
              consent_version, consent_at (optional): the wording's version and the RFC 3339 time of the line's consent; a changed consent is kept in consent_history.
            products:  gtin,name,price,currency,category
            transactions: customer_id,date,amount[,receipt,currency,gtin,quantity,description]
              date: YYYY-MM-DD. amount: decimal with '.', negative for a return. Lines sharing a receipt and date are one sale.
              Unknown customer ids are created without recognition consent. Importing the same file again adds nothing.

            Good lines are imported (an existing id is updated); each bad line is reported with its line number and column, and the command exits 1 when any line was rejected. A running gateway picks the changes up within seconds.
            """,
        subcommands: [Customers.self, Products.self, Transactions.self]
    )

    /// What every import needs: the file, the database, the config for defaults.
    struct Common: ParsableArguments {
        @Argument(help: ArgumentHelp("The CSV file, with a header row.", valueName: "file"))
        var file: String

        @Option(name: .long, help: ArgumentHelp("The CRM store's SQLite file (default: crm.db from the config).", valueName: "path"))
        var db: String?

        @OptionGroup var options: ConfigOptions

        /// The config, or the defaults when the default config file is absent and --db was given.
        func config() throws -> GatewayConfig {
            if db != nil, options.config == "Config/gateway.yaml", !FileManager.default.fileExists(atPath: options.config) {
                return GatewayConfig()
            }
            return try options.load()
        }

        func run(_ body: (CSVImporter, GatewayConfig) throws -> ImportSummary) throws {
            let config = try config()
            let logger = makeLogger(label: "gateway.import", level: options.logLevel ?? "warning")
            guard FileManager.default.isReadableFile(atPath: file) else { throw CLIError("\(file): no such file or not readable") }
            let database = try CRMDatabase(path: db ?? config.crm.db, logger: logger)
            let summary = try body(CSVImporter(database: database, logger: logger), config)
            for error in summary.errors { FileHandle.standardError.write(Data("\(error)\n".utf8)) }
            if summary.unreportedErrors > 0 {
                FileHandle.standardError.write(Data("… and \(summary.unreportedErrors) more problems\n".utf8))
            }
            print(summary)
            if summary.rejected > 0 { throw ExitCode(1) }
        }
    }

    struct Customers: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import loyalty members.")
        @OptionGroup var common: Common

        func run() throws {
            try common.run { importer, config in
                try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
                let tokenizer = try CustomerTokenizer.load(file: config.privacy.tokenKeyFile ?? config.dataPath("token.key"))
                return try importer.importCustomers(file: common.file, tokenizer: tokenizer,
                                                    profilingDefault: config.segmentation.profilingDefault) { rows in
                    FileHandle.standardError.write(Data("\(common.file): \(rows) lines…\n".utf8))
                }
            }
        }
    }

    struct Products: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import the product catalogue.")
        @OptionGroup var common: Common

        func run() throws {
            try common.run { importer, _ in
                try importer.importProducts(file: common.file) { rows in
                    FileHandle.standardError.write(Data("\(common.file): \(rows) lines…\n".utf8))
                }
            }
        }
    }

    struct Transactions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Import past sales for segmentation.")
        @OptionGroup var common: Common

        func run() throws {
            try common.run { importer, config in
                try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
                let tokenizer = try CustomerTokenizer.load(file: config.privacy.tokenKeyFile ?? config.dataPath("token.key"))
                return try importer.importTransactions(file: common.file, tokenizer: tokenizer,
                                                       profilingDefault: config.segmentation.profilingDefault) { rows in
                    FileHandle.standardError.write(Data("\(common.file): \(rows) lines…\n".utf8))
                }
            }
        }
    }
}
