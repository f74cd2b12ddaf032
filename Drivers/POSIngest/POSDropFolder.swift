import Foundation
import GatewayCore
import Logging

/// A watched folder of POS export files (POSLog `*.xml`), ingested through the same path as HTTP.
///
/// A file is picked up once it is complete: its size and modification time were the same on two
/// polls in a row. Names starting with `.` are never picked up, so an exporter can also write
/// `.name.xml` (or `name.xml.tmp`) and rename it when done. After ingestion the file moves to
/// `done/`; a refused document moves to `failed/` with `<name>.reason.txt` beside it, as does a
/// parsed document some of whose transactions were rejected (the reason file lists them, the file
/// goes to `done/`). Nothing is deleted.
public struct POSDropFolder: Sendable {
    /// The watched folder.
    public let folder: String
    /// The source whose documents these are.
    public let source: POSSource
    /// The shared ingestion path.
    public let ingestor: POSIngestor
    /// The file extension picked up, without the dot.
    public let fileExtension: String
    /// The largest file accepted; larger ones go to `failed/`.
    public let maxBytes: Int
    /// Time between scans.
    public let poll: Duration
    let logger: Logger

    /// Creates a watcher.
    public init(folder: String, source: POSSource, ingestor: POSIngestor, fileExtension: String, maxBytes: Int, poll: Duration, logger: Logger) {
        self.folder = folder
        self.source = source
        self.ingestor = ingestor
        self.fileExtension = fileExtension
        self.maxBytes = maxBytes
        self.poll = poll
        self.logger = logger
    }

    /// Creates `folder`, `done/` and `failed/`.
    /// - Throws: ``POSIngestError`` `.storage` when they cannot be created.
    public func prepare() throws(POSIngestError) {
        for path in [folder, done, failed] {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw POSIngestError(.storage, "cannot create the drop folder \(path): \(error.localizedDescription)")
            }
        }
    }

    var done: String { (folder as NSString).appendingPathComponent("done") }
    var failed: String { (folder as NSString).appendingPathComponent("failed") }

    /// Scans until cancelled.
    public func run() async throws {
        try prepare()
        logger.info("POS source \(source.name): watching drop folder \(folder) for *.\(fileExtension)")
        var previous: [String: Stamp] = [:]
        while !Task.isCancelled {
            previous = await scan(previous: previous)
            try await Task.sleep(for: poll)
        }
    }

    /// Size and modification time of a file as seen by one scan.
    public struct Stamp: Sendable, Equatable {
        var size: UInt64
        var modified: Date
    }

    /// One scan: ingests the files that were already there, unchanged, on the previous scan.
    /// - Returns: the files seen now, to compare with on the next scan.
    public func scan(previous: [String: Stamp]) async -> [String: Stamp] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            logger.warning("POS source \(source.name): cannot list drop folder \(folder): \(error.localizedDescription)")
            return [:]
        }
        var current: [String: Stamp] = [:]
        for name in names.sorted() where !name.hasPrefix(".") && (name as NSString).pathExtension.lowercased() == fileExtension.lowercased() {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let size = (attributes[.size] as? NSNumber)?.uint64Value,
                  let modified = attributes[.modificationDate] as? Date else { continue }
            let stamp = Stamp(size: size, modified: modified)
            guard previous[name] == stamp else {
                current[name] = stamp
                continue
            }
            await ingest(name: name, path: path, size: size)
        }
        return current
    }

    private func ingest(name: String, path: String, size: UInt64) async {
        let origin = "drop folder file \(name)"
        guard size <= UInt64(maxBytes) else {
            let error = POSIngestError(.tooLarge, "file of \(size) bytes exceeds pos.maxBodyBytes (\(maxBytes))")
            ingestor.refused(error, for: source, origin: origin)
            move(name, to: failed, reason: error.message)
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            logger.warning("POS source \(source.name): cannot read \(path); will retry")
            return
        }
        do {
            let outcome = try await ingestor.ingest(POSRequest(headers: [:], body: [UInt8](data)), for: source, origin: origin)
            let summary = "\(outcome.accepted) accepted, \(outcome.duplicated) duplicated, \(outcome.rejected) rejected, \(outcome.ignored) ignored"
            move(name, to: done, reason: outcome.errors.isEmpty ? nil : ([summary] + outcome.errors).joined(separator: "\n"))
        } catch {
            // Storage failures are ours, not the file's: leave it to be picked up again.
            if error.code == .storage { return }
            move(name, to: failed, reason: "\(error.code): \(error.message)")
        }
    }

    /// Moves the file into `target`, never over an existing file; writes the reason beside it.
    private func move(_ name: String, to target: String, reason: String?) {
        var destinationName = name
        var attempt = 1
        while FileManager.default.fileExists(atPath: (target as NSString).appendingPathComponent(destinationName)) {
            attempt += 1
            let base = (name as NSString).deletingPathExtension
            destinationName = "\(base).\(attempt).\((name as NSString).pathExtension)"
        }
        let destination = (target as NSString).appendingPathComponent(destinationName)
        do {
            if let reason {
                try Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: destination + ".reason.txt"), options: .atomic)
            }
            try FileManager.default.moveItem(atPath: (folder as NSString).appendingPathComponent(name), toPath: destination)
            logger.info("POS source \(source.name): \(name) moved to \(destination)")
        } catch {
            logger.error("POS source \(source.name): cannot move \(name) to \(target): \(error.localizedDescription)")
            source.sink.report(.error, "drop folder: cannot move \(name) to \(target): \(error.localizedDescription)")
        }
    }
}
