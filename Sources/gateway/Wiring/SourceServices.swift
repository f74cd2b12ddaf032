import GatewayCore
import Logging
import ServiceLifecycle

/// Runs a read-producing driver as a service: until graceful shutdown, and a failure is reported, never fatal.
struct ReadSourceService: Service {
    let source: any ReadSource
    let sink: ReadSink
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await source.run(into: sink) }
        } catch is CancellationError {
            // Shutdown.
        } catch {
            logger.error("source \(sink.source.name) failed: \(error)")
            sink.report(.error, "\(error)")
        }
        // A stopped producer must not leave a blocked push behind.
        sink.ring.close()
    }
}

/// Runs a POS driver as a service.
struct TransactionSourceService: Service {
    let source: any TransactionSource
    let sink: TransactionSink
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await source.run(into: sink) }
        } catch is CancellationError {
        } catch {
            logger.error("source \(sink.source.name) failed: \(error)")
            sink.report(.error, "\(error)")
        }
        sink.ring.close()
    }
}

/// Runs a long-lived task until graceful shutdown (the simulated store, watchers).
struct TaskService: Service {
    let name: String
    let body: @Sendable () async throws -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await body() }
        } catch is CancellationError {}
    }
}
