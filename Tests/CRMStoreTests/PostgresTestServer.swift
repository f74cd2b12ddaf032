import Foundation
import Logging
import PostgresNIO

@testable import CRMStore

/// A throw-away PostgreSQL server for this test process, started on first use.
///
/// `initdb` into a temporary folder, then `postgres` on a free loopback port with durability off (a test
/// server need not survive a power cut). A small shell watchdog owns the server: when this process goes,
/// however it goes, the watchdog stops the server and deletes the folder, so no run leaves a server
/// behind. As root the server runs as the `postgres` user, since PostgreSQL refuses to run as root.
/// Each test gets its own database, so tests never see each other's rows.
actor PostgresTestServer {
    static let shared = PostgresTestServer()

    private struct Endpoint { var port: Int }
    private var endpoint: Task<Endpoint, any Error>?
    private let logger = Logger(label: "PostgresTestServer", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A new, empty database on the shared server.
    func freshDatabase() async throws -> PostgresLocation {
        let port = try await started().port
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await Self.withConnection(port: port, database: "postgres", logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        return PostgresLocation(host: "127.0.0.1", port: port, username: Self.user, password: nil, database: name, tls: .disable)
    }

    private func started() async throws -> Endpoint {
        if let endpoint { return try await endpoint.value }
        let task = Task { try await Self.start(logger: logger) }
        endpoint = task
        return try await task.value
    }

    private static let user = "gateway"

    private static func start(logger: Logger) async throws -> Endpoint {
        let bin = try binaries()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-pg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let asPostgres = getuid() == 0
        if asPostgres {
            guard let account = getpwnam("postgres") else {
                throw TestServerError("running as root, and there is no `postgres` user to run PostgreSQL as (install the postgresql package: make deps)")
            }
            guard chown(folder, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw TestServerError("cannot hand \(folder) to the postgres user: errno \(errno)")
            }
        }
        func command(_ words: [String]) -> [String] { asPostgres ? ["runuser", "-u", "postgres", "--"] + words : words }

        let initdb = try await run(command(["\(bin)/initdb", "-D", "\(folder)/data", "-U", user, "--auth=trust", "-E", "UTF8",
                                            "--no-sync", "--no-instructions"]))
        guard initdb.status == 0 else { throw TestServerError("initdb failed (\(initdb.status)): \(initdb.output)") }

        // The kernel's free port can be taken before postgres binds it; a few tries make that harmless.
        var lastError = ""
        for _ in 0..<5 {
            let port = try freePort()
            let server = "'\(bin)/postgres' -D '\(folder)/data' -p \(port) -k '\(folder)' -c listen_addresses=127.0.0.1 "
                + "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            // `/proc/PID` rather than `kill -0`: as the postgres user, `kill -0` on root's process fails even while it runs.
            let watchdog = """
                \(server) >'\(folder)/server.log' 2>&1 & pg=$!
                while [ -d /proc/\(getpid()) ] && kill -0 $pg 2>/dev/null; do sleep 1; done
                kill -INT $pg 2>/dev/null; wait $pg; rm -rf '\(folder)'
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = asPostgres ? ["-c", "exec runuser -u postgres -- /bin/sh -c \"$0\"", watchdog] : ["-c", watchdog]
            // Not our stdout: a watchdog outliving the test process must not hold the test runner's pipe open.
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, process.isRunning {
                do {
                    try await withConnection(port: port, database: "postgres", logger: logger) { connection in
                        try await connection.query("SELECT 1", logger: logger)
                    }
                    return Endpoint(port: port)
                } catch {
                    lastError = String(reflecting: error)
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            lastError += " — server log: " + ((try? String(contentsOfFile: "\(folder)/server.log", encoding: .utf8)) ?? "none")
        }
        throw TestServerError("PostgreSQL did not start: \(lastError)")
    }

    private static func withConnection(port: Int, database: String, logger: Logger,
                                       _ body: @Sendable (PostgresConnection) async throws -> Void) async throws {
        let configuration = PostgresConnection.Configuration(host: "127.0.0.1", port: port, username: user, password: nil,
                                                             database: database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await body(connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// The folder with `initdb` and `postgres`: Debian keeps them per major version, off the PATH.
    private static func binaries() throws -> String {
        let debian = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: debian)) ?? []).compactMap(Int.init).sorted()
        if let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(debian)/\(newest)/bin/initdb") {
            return "\(debian)/\(newest)/bin"
        }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where
            FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return String(folder)
        }
        throw TestServerError("no PostgreSQL server binaries (initdb) found: install the postgresql package (make deps)")
    }

    /// Runs a command to its end without holding a cooperative thread while it runs.
    private static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (status, output)
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError("socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw TestServerError("bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Why the throw-away server could not be had.
struct TestServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
