import Testing

@testable import Bus

@Suite("ZMQSocket")
struct ZMQSocketTests {
    @Test("multipart messages arrive whole and in order")
    func multipart() throws {
        let name = "inproc://zmq-socket-test-multipart"
        let server = try ZMQSocket(.pair)
        defer { server.close() }
        try server.bind(name)
        let client = try ZMQSocket(.pair)
        defer { client.close() }
        try client.connect(name)

        #expect(try client.send([Array("topic".utf8), [], [1, 2, 3]]))
        #expect(try client.send([[9]], dontWait: false))
        #expect(try server.receive(timeout: .seconds(5)) == [Array("topic".utf8), [], [1, 2, 3]])
        #expect(try server.receive(timeout: .seconds(5)) == [[9]])
        #expect(try server.receiveNow() == nil)
    }

    @Test("receive gives up after its timeout")
    func timeout() throws {
        let socket = try ZMQSocket(.pull)
        defer { socket.close() }
        try socket.bind("inproc://zmq-socket-test-timeout")
        let start = ContinuousClock.now
        #expect(try socket.receive(timeout: .milliseconds(50)) == nil)
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(45))
        #expect(waited < .seconds(2))
    }

    @Test("a full socket refuses instead of blocking")
    func refusesWhenFull() throws {
        let sender = try ZMQSocket(.push)
        defer { sender.close() }
        try sender.setOption(ZMQOption.sendHighWaterMark, 2)
        try sender.bind("inproc://zmq-socket-test-full")
        let receiver = try ZMQSocket(.pull)
        defer { receiver.close() }
        try receiver.setOption(ZMQOption.receiveHighWaterMark, 2)
        try receiver.connect("inproc://zmq-socket-test-full")
        var accepted = 0
        while try sender.send([[1], [2]]) {
            accepted += 1
            try #require(accepted < 1_000)
        }
        #expect(accepted >= 2)
        #expect(try receiver.receive(timeout: .seconds(5)) == [[1], [2]])
    }

    @Test("options read back; failures are typed")
    func optionsAndErrors() throws {
        let socket = try ZMQSocket(.pub)
        try socket.setOption(ZMQOption.sendHighWaterMark, 1_234)
        #expect(try socket.option(ZMQOption.sendHighWaterMark) == 1_234)
        let badBind = #expect(throws: BusError.self) { try socket.bind("tcp://127.0.0.1:notaport") }
        #expect(badBind?.code == .bind)
        #expect(badBind?.message.contains("tcp://127.0.0.1:notaport") == true)
        let badConnect = #expect(throws: BusError.self) { try socket.connect("nonsense://x") }
        #expect(badConnect?.code == .connect)
        try socket.bind("tcp://127.0.0.1:*")
        #expect(socket.lastEndpoint?.hasPrefix("tcp://127.0.0.1:") == true)
        socket.close(linger: .zero)
        #expect(socket.isClosed)
        let closed = #expect(throws: BusError.self) { try socket.send([[1]]) }
        #expect(closed?.code == .socket)
        socket.close()
        #expect(!ZMQContext.libraryVersion.isEmpty)
    }
}
