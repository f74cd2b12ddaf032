import Bus
import CRMStore
import Foundation
import GatewayCore
import Logging
import Matching
import ServiceLifecycle

/// Publishes what other processes left in one of the store's outboxes (`customer.segment` changes of a
/// segmentation run, `customer.erased` tombstones of an erasure) through the pipeline, so the events
/// take the gateway's next seqs in order.
///
/// Exactly once, across restarts, when the journal is on: an entry is marked announced, with the bus
/// seq at that moment, *before* it is handed to the pipeline, and confirmed once its event is found in
/// the journal (the event carries the entry's UUID as `change`). After a crash, an announced but
/// unconfirmed entry is searched for in the journal from its seq on: found, it is confirmed; not found,
/// it never reached the bus and is announced again. The pipeline emits in order, so what a crash loses
/// is always the tail of a batch and re-announcing keeps the order. Without a journal there is nothing
/// to search, and an entry handed to the pipeline counts as published: a crash in that instant loses it
/// (at most once).
struct OutboxService<Entry: OutboxEntry>: Service {
    let outbox: Outbox<Entry>
    let pipeline: StorePipeline
    let journal: Journal?
    /// The publisher's last seq: an announced entry's event gets a higher one.
    let lastSeq: @Sendable () -> UInt64
    var interval: Duration = .seconds(1)
    /// Runs before waiting entries are handed over: the erasure outbox reloads the matcher's directory
    /// here, so no event after the tombstone carries the erased token.
    var beforeAnnouncing: (@Sendable () throws -> Void)?
    let logger: Logger

    func run() async throws {
        do {
            try recover()
        } catch {
            logger.error("\(Entry.topic.rawValue) outbox: cannot recover unconfirmed entries: \(error)")
        }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                try confirm()
                try drain()
            } catch {
                logger.warning("\(Entry.topic.rawValue) outbox: \(error)")
            }
            try? await Task.sleep(for: interval)
        }
        // What was published since the last tick is confirmed now rather than searched for at the next start.
        do {
            try confirm()
        } catch {
            logger.warning("\(Entry.topic.rawValue) outbox: \(error)")
        }
    }

    /// Settles the entries a previous run announced: confirmed if the journal has them, queued again if not.
    func recover() throws {
        let unconfirmed = try outbox.unconfirmed()
        guard !unconfirmed.isEmpty else { return }
        let found = journal == nil ? [:] : try search(for: unconfirmed)
        try outbox.confirm(found)
        let lost = unconfirmed.filter { found[$0.changeID] == nil }.map(\.id)
        try outbox.reopen(lost)
        logger.info("\(Entry.topic.rawValue) outbox recovered", metadata: ["published": "\(found.count)", "requeued": "\(lost.count)"])
    }

    /// Confirms announced entries whose events the journal now holds.
    func confirm() throws {
        guard journal != nil else { return }
        let unconfirmed = try outbox.unconfirmed()
        guard !unconfirmed.isEmpty else { return }
        try outbox.confirm(try search(for: unconfirmed))
    }

    /// Hands waiting entries to the pipeline, oldest first.
    func drain() throws {
        let waiting = try outbox.waiting()
        guard !waiting.isEmpty else { return }
        try beforeAnnouncing?()
        try outbox.markAnnounced(waiting.map(\.id), afterSeq: lastSeq())
        for entry in waiting {
            pipeline.announce(entry.event)
        }
        if journal == nil {
            // Nothing to confirm against: handed over is as published as it gets (seq unknown: 0).
            try outbox.confirm(Dictionary(uniqueKeysWithValues: waiting.map { ($0.changeID, 0) }))
        }
        logger.debug("\(Entry.topic.rawValue) announced", metadata: ["count": "\(waiting.count)"])
    }

    /// Finds the journal seq of each entry, reading from the earliest announcement on.
    private func search(for entries: [Entry]) throws -> [String: UInt64] {
        guard let journal else { return [:] }
        var wanted = Set(entries.map(\.changeID))
        var found: [String: UInt64] = [:]
        var next = (entries.compactMap(\.announcedAfter).min() ?? 0) + 1
        let last = journal.lastSeq
        let codec = EventCodec()
        let topic = Entry.topic.rawValue
        let marker = Array(topic.utf8)
        while next <= last, !wanted.isEmpty {
            let records = try journal.read(from: next, through: last, limit: 1_000)
            guard let final = records.last else { break }
            for (seq, body) in records where Self.contains(body, marker) {
                guard let event = try? codec.decode(topic: topic, body: body).payload,
                      let change = Entry.changeID(in: event), wanted.remove(change) != nil else { continue }
                found[change] = seq
            }
            next = final.0 + 1
        }
        return found
    }

    private static func contains(_ body: [UInt8], _ marker: [UInt8]) -> Bool {
        guard body.count >= marker.count else { return false }
        var index = 0
        while index + marker.count <= body.count {
            if body[index] == marker[0], body[index..<index + marker.count].elementsEqual(marker) { return true }
            index += 1
        }
        return false
    }
}

extension Gateway {
    /// The outbox publishers of `gateway run`: segment changes and erasure tombstones, whichever process wrote them.
    func outboxServices() -> [(service: any Service, name: String)] {
        let publisher = self.publisher
        let lastSeq: @Sendable () -> UInt64 = { publisher.statistics.lastSeq }
        return [
            (OutboxService(outbox: database.segmentOutbox, pipeline: pipeline, journal: publisher.journal, lastSeq: lastSeq, logger: logger),
             "segment-outbox"),
            (OutboxService(outbox: database.erasureOutbox, pipeline: pipeline, journal: publisher.journal, lastSeq: lastSeq,
                           beforeAnnouncing: { [database, pipeline] in pipeline.replace(directory: Directory(try database.loadMasterData())) },
                           logger: logger),
             "erasure-outbox"),
        ]
    }
}
