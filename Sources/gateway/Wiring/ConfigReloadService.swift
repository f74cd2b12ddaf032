import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The log level every logger of this process follows; `SIGHUP` may change it while running.
enum LiveLogLevel {
    private static let level = Atomic<UInt8>(UInt8(Logger.Level.info.index))

    /// The level now.
    static var current: Logger.Level { Logger.Level.allCases[Int(level.load(ordering: .relaxed))] }

    /// Sets the level for every logger at once.
    static func set(_ new: Logger.Level) { level.store(UInt8(new.index), ordering: .relaxed) }
}

extension Logger.Level {
    fileprivate var index: Int { Logger.Level.allCases.firstIndex(of: self)! }
}

/// A log handler whose level is ``LiveLogLevel``, so a reload changes it for every logger.
struct LiveLevelLogHandler: LogHandler {
    var inner: StreamLogHandler

    var logLevel: Logger.Level {
        get { LiveLogLevel.current }
        set { LiveLogLevel.set(newValue) }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) { inner.log(event: event) }
}

/// Re-reads the config file on `SIGHUP`, as `systemctl reload` sends it.
///
/// A file that does not load is refused with its key path, and the gateway keeps running on the
/// config it has: a typo made on a live box must not stop the store. A file that loads has its
/// `log.level` applied at once (unless `--log-level` fixed it); any other section that changed is
/// named as taking effect at the next restart, since readers, rings and sockets are built at start.
struct ConfigReloadService: Service {
    let file: String
    /// The level given with `--log-level`, which a reload does not override.
    let fixedLogLevel: String?
    let logger: Logger

    func run() async throws {
        var running = try GatewayConfig.load(file: file)
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withGracefulShutdownHandler {
            for await _ in signals.cancelOnGracefulShutdown() {
                running = reload(over: running)
            }
        } onGracefulShutdown: {}
    }

    /// Loads the file again; returns what the gateway now runs with.
    func reload(over running: GatewayConfig) -> GatewayConfig {
        let loaded: GatewayConfig
        do {
            loaded = try GatewayConfig.load(file: file)
        } catch {
            logger.error("config reload refused, the running config is kept: \(file): \(error)")
            return running
        }
        var applied: [String] = []
        if fixedLogLevel == nil, loaded.logLevel != running.logLevel, let level = Logger.Level(rawValue: loaded.logLevel) {
            LiveLogLevel.set(level)
            applied.append("log.level \(loaded.logLevel)")
        }
        let restart = Self.changedSections(from: running, to: loaded)
        logger.notice("config reloaded from \(file)", metadata: [
            "applied": "\(applied.isEmpty ? "nothing" : applied.joined(separator: ", "))",
            "atNextRestart": "\(restart.isEmpty ? "nothing" : restart.joined(separator: ", "))",
        ])
        return loaded
    }

    /// The sections other than `log` whose settings differ.
    static func changedSections(from old: GatewayConfig, to new: GatewayConfig) -> [String] {
        let sections: [(String, (GatewayConfig) -> String)] = [
            ("gateway", { "\($0.gateway)" }), ("store", { "\($0.store)" }), ("sources", { "\($0.sources)" }),
            ("matching", { "\($0.matching)" }), ("bus", { "\($0.bus)" }), ("crm", { "\($0.crm)" }),
            ("dashboard", { "\($0.dashboard)" }), ("simulator", { "\($0.simulator)" }), ("pos", { "\($0.pos)" }),
            ("privacy", { "\($0.privacy)" }), ("segmentation", { "\($0.segmentation)" }),
        ]
        return sections.filter { $0.1(old) != $0.1(new) }.map(\.0)
    }
}
