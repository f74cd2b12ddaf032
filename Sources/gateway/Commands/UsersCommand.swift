import ArgumentParser
import CRMStore
import Dashboard
import Foundation
import Logging

/// `gateway users`: staff who may sign in to the dashboard.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage the dashboard's staff users.",
        subcommands: [Add.self]
    )

    /// `gateway users add NAME`: creates a user, or sets a new password for an existing one.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add",
            abstract: "Add a staff user (or reset their password).",
            discussion: """
                Prompts for the password on a terminal; otherwise reads it from the first line of standard input:
                  echo 'a long passphrase' | gateway users add anna
                Only a bcrypt hash is stored, in the CRM store. A running gateway accepts the user at once.
                """
        )

        @Argument(help: "The sign-in name.")
        var name: String

        @Option(name: .long, help: ArgumentHelp("The CRM store's SQLite file.", valueName: "path"))
        var db: String = ".gateway/crm.sqlite"

        func validate() throws {
            if let problem = StaffUserName.problem(name) { throw ValidationError("'\(name)' \(problem)") }
        }

        func run() throws {
            let password = try readPassword()
            guard password.count >= 8 else { throw CLIError("the password must be at least 8 characters") }
            let logger = Logger(label: "gateway.users", factory: { _ in SwiftLogNoOpLogHandler() })
            let database = try CRMDatabase(path: db, logger: logger)
            let created = try database.saveStaffUser(name: name, passwordHash: PasswordHasher.hash(password))
            print(created ? "added \(name)" : "changed the password of \(name)")
        }

        private func readPassword() throws -> String {
            if isatty(STDIN_FILENO) == 1 {
                guard let first = getpass("Password for \(name): ").map({ String(cString: $0) }),
                      let second = getpass("Again: ").map({ String(cString: $0) }) else {
                    throw CLIError("cannot read the password")
                }
                guard first == second else { throw CLIError("the passwords differ") }
                return first
            }
            guard let line = readLine(strippingNewline: true) else { throw CLIError("no password on standard input") }
            return line
        }
    }
}
