import ArgumentParser
import Bus
import Foundation
import GatewayCore

/// `gateway tail`: prints the bus, one event per line.
struct TailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print events from a gateway's bus, one JSON object per line.",
        discussion: "Example: gateway tail --topic vip.   (every VIP arrival as it happens)"
    )

    @Option(name: .long, help: ArgumentHelp("The bus to subscribe to.", valueName: "url"))
    var connect: String = "tcp://127.0.0.1:5556"

    @Option(name: .long, help: ArgumentHelp("Only topics starting with this prefix. Repeatable.", valueName: "prefix"))
    var topic: [String] = []

    @Option(name: .long, help: ArgumentHelp("Stop after this many events (0: never).", valueName: "n"))
    var count: Int = 0

    @Option(name: .long, help: ArgumentHelp("Subscribe over CURVE with the keys of `gateway keys generate --out DIR`: DIR/client.key, DIR/client.pub and DIR/server.pub.", valueName: "dir"))
    var curve: String?

    func validate() throws {
        if let problem = BusConfig.problem(endpoint: connect) { throw ValidationError("--connect \(connect): \(problem)") }
    }

    func run() throws {
        let socket = try ZMQSocket(.sub)
        try socket.setOption(ZMQOption.receiveHighWaterMark, 100_000)
        if let curve {
            do {
                try socket.makeCurveClient(BusCurveClient(directory: curve))
            } catch {
                throw CLIError("--curve \(curve): \(error)")
            }
        }
        for prefix in topic.isEmpty ? [""] : topic { try socket.subscribe(prefix) }
        try socket.connect(connect)
        var printed = 0
        while count == 0 || printed < count {
            guard let frames = try socket.receive(timeout: .seconds(1)) else { continue }
            guard frames.count == 2 else {
                FileHandle.standardError.write(Data("skipped a message of \(frames.count) frames\n".utf8))
                continue
            }
            // Unbuffered, so a pipe sees each event as it happens.
            FileHandle.standardOutput.write(Data(frames[1] + [UInt8(ascii: "\n")]))
            printed += 1
        }
        socket.close()
    }
}
