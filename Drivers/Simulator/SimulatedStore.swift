import EPC
import Foundation
import GatewayCore
import Logging

/// Who and what the simulated store holds, taken from the CRM's master data by the wiring.
public struct SimulatedCast: Sendable {
    /// A customer who may walk in.
    public struct Shopper: Sendable, Equatable {
        /// The CRM customer id, presented at the till as the loyalty id.
        public var customerID: String
        /// The loyalty tag EPC the customer carries, if any (card-only members are invisible to UHF readers).
        public var loyaltyTag: TagID?

        /// Creates a shopper.
        public init(customerID: String, loyaltyTag: TagID?) {
            self.customerID = customerID
            self.loyaltyTag = loyaltyTag
        }
    }

    /// A catalogue product that can be stocked.
    public struct Item: Sendable, Equatable {
        /// GTIN-14.
        public var gtin: String
        /// Shelf price.
        public var price: Decimal
        /// Receipt description.
        public var name: String

        /// Creates an item.
        public init(gtin: String, price: Decimal, name: String) {
            self.gtin = gtin
            self.price = price
            self.name = name
        }
    }

    /// The loyalty members.
    public var shoppers: [Shopper]
    /// The catalogue; only items under `companyPrefix` can be tagged.
    public var items: [Item]
    /// The store's GS1 company prefix, used to encode SGTIN-96 item tags.
    public var companyPrefix: String

    /// Creates a cast.
    public init(shoppers: [Shopper], items: [Item], companyPrefix: String) {
        self.shoppers = shoppers
        self.items = items
        self.companyPrefix = companyPrefix
    }
}

/// Where the simulator can be read: the reader name and antenna that cover each zone.
public struct SimulatedFloorPlan: Sendable {
    /// Zone name → (reader, antenna) pairs that see it.
    public var coverage: [String: [(reader: String, antenna: UInt16)]]
    /// The entrance zone.
    public var entrance: String
    /// The sales floor.
    public var floor: String
    /// The checkout.
    public var checkout: String
    /// The simulated POS feed's name.
    public var pos: String?
    /// The store id printed on receipts.
    public var storeID: String

    /// Creates a floor plan.
    public init(coverage: [String: [(reader: String, antenna: UInt16)]], entrance: String, floor: String, checkout: String,
                pos: String?, storeID: String) {
        self.coverage = coverage
        self.entrance = entrance
        self.floor = floor
        self.checkout = checkout
        self.pos = pos
        self.storeID = storeID
    }
}

/// The simulated store: shoppers walk in, browse, pick items, pay and leave, and the simulated
/// readers and POS report what they see.
///
/// It only makes raw observations (a tag near an antenna, a receipt at a till); the simulated
/// drivers deliver them through the same sinks and rings a real driver uses.
public final class SimulatedStore: Sendable {
    private let configuration: SimulatorConfig
    private let cast: SimulatedCast
    private let plan: SimulatedFloorPlan
    private let logger: Logger
    private let readStreams: [String: (AsyncStream<[Sighting]>, AsyncStream<[Sighting]>.Continuation)]
    private let posStream: (AsyncStream<PosTransaction>, AsyncStream<PosTransaction>.Continuation)

    /// A tag near an antenna at a moment.
    public struct Sighting: Sendable {
        /// The tag.
        public var tag: TagID
        /// The antenna.
        public var antenna: UInt16
        /// Signal strength in hundredths of a dBm.
        public var rssi: Int16
        /// When.
        public var time: Timestamp
    }

    /// Creates the store; `run()` sets it in motion.
    public init(configuration: SimulatorConfig, cast: SimulatedCast, plan: SimulatedFloorPlan, logger: Logger) {
        self.configuration = configuration
        self.cast = cast
        self.plan = plan
        self.logger = logger
        var streams: [String: (AsyncStream<[Sighting]>, AsyncStream<[Sighting]>.Continuation)] = [:]
        for reader in Set(plan.coverage.values.flatMap { $0.map(\.reader) }) {
            streams[reader] = AsyncStream.makeStream(of: [Sighting].self, bufferingPolicy: .bufferingNewest(256))
        }
        readStreams = streams
        posStream = AsyncStream.makeStream(of: PosTransaction.self, bufferingPolicy: .unbounded)
    }

    /// The simulated reader called `name`, to be run as a source.
    public func reader(named name: String) -> SimulatedReader? {
        readStreams[name].map { SimulatedReader(sightings: $0.0) }
    }

    /// The simulated POS, to be run as a source.
    public func pointOfSale() -> SimulatedPointOfSale { SimulatedPointOfSale(receipts: posStream.0) }

    /// Runs the store until cancelled.
    public func run() async throws {
        var world = World(configuration: configuration, cast: cast, plan: plan)
        logger.info("simulated store open", metadata: [
            "mode": "\(configuration.mode.rawValue)", "seed": "\(configuration.seed)",
            "shoppers": "\(cast.shoppers.count)", "items": "\(world.stockableCount)",
        ])
        if world.stockableCount == 0 {
            logger.warning("no catalogue item carries the company prefix \(cast.companyPrefix): the floor stays empty")
        }
        defer {
            for (_, stream) in readStreams { stream.1.finish() }
            posStream.1.finish()
        }
        var announcedDone = false
        if configuration.startDelay > .zero { try await Task.sleep(for: configuration.startDelay) }
        while !Task.isCancelled {
            let now = Timestamp.now()
            let step = world.step(now: now)
            for (reader, sightings) in step.sightings {
                readStreams[reader]?.1.yield(sightings)
            }
            for receipt in step.receipts { posStream.1.yield(receipt) }
            if world.scriptFinished, !announcedDone {
                announcedDone = true
                logger.info("scripted scenario complete")
            }
            try await Task.sleep(for: configuration.readInterval)
        }
    }
}

/// A simulated fixed reader: delivers the store's sightings for its antennas into its ring.
public struct SimulatedReader: ReadSource {
    let sightings: AsyncStream<[SimulatedStore.Sighting]>

    /// Runs until the store closes or the task is cancelled.
    public func run(into sink: ReadSink) async throws {
        sink.report(.connected, "simulated reader online")
        var batch: [TagRead] = []
        for await sightings in sightings {
            batch.removeAll(keepingCapacity: true)
            for s in sightings {
                batch.append(TagRead(tag: s.tag, kind: .epc, source: sink.source.index, antenna: s.antenna, rssi: s.rssi, timestamp: s.time))
            }
            sink.push(contentsOf: batch)
        }
        sink.report(.disconnected, "simulated reader stopped")
    }
}

/// A simulated till: delivers the store's receipts into its ring.
public struct SimulatedPointOfSale: TransactionSource {
    let receipts: AsyncStream<PosTransaction>

    /// Runs until the store closes or the task is cancelled.
    public func run(into sink: TransactionSink) async throws {
        sink.report(.connected, "simulated POS online")
        for await receipt in receipts { sink.push(receipt) }
        sink.report(.disconnected, "simulated POS stopped")
    }
}
