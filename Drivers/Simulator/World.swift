import EPC
import Foundation
import GatewayCore

/// The state of the simulated store, advanced one read interval at a time. Pure and seeded: the
/// same seed and the same steps give the same shoppers, baskets and receipts.
struct World {
    enum Phase { case entering, browsing, paying, leaving }

    struct Agent {
        var shopper: SimulatedCast.Shopper?
        var phase: Phase
        var phaseEnds: Timestamp
        var basket: [(tag: TagID, item: SimulatedCast.Item)]
        var wishlist: [SimulatedCast.Item]
        var dwell: Duration
        var foreignTag: TagID?
    }

    struct Step {
        var sightings: [String: [SimulatedStore.Sighting]] = [:]
        var receipts: [PosTransaction] = []
    }

    private let configuration: SimulatorConfig
    private let cast: SimulatedCast
    private let plan: SimulatedFloorPlan
    private var random: SeededGenerator
    private let stockable: [SimulatedCast.Item]
    private let prefixDigits: Int
    private var shelf: [(tag: TagID, item: SimulatedCast.Item)] = []
    private var agents: [Agent] = []
    private var nextSerial: UInt64
    private var nextArrival: Timestamp?
    private var scriptIndex = 0
    private var receiptNumber: Int
    private var antennaTurn = 0

    init(configuration: SimulatorConfig, cast: SimulatedCast, plan: SimulatedFloorPlan) {
        self.configuration = configuration
        self.cast = cast
        self.plan = plan
        random = SeededGenerator(seed: configuration.seed)
        prefixDigits = cast.companyPrefix.count
        stockable = cast.items.filter { $0.gtin.count == 14 && $0.gtin.dropFirst().hasPrefix(cast.companyPrefix) }
        nextSerial = 1_000 + configuration.seed % 1_000
        // Receipt numbers start from the time of day so a restarted demo never repeats a sale's key.
        let secondsToday = Int(Date().timeIntervalSince1970) % 86_400
        receiptNumber = secondsToday * 10
        for _ in 0..<min(configuration.shelfItems, stockable.isEmpty ? 0 : configuration.shelfItems) {
            if let item = stockable.randomElement(using: &random), let tag = makeTag(item) { shelf.append((tag, item)) }
        }
    }

    var stockableCount: Int { stockable.count }

    var scriptFinished: Bool {
        configuration.mode == .scripted && scriptIndex >= configuration.script.count && agents.isEmpty
    }

    mutating func step(now: Timestamp) -> Step {
        var step = Step()
        admit(now: now)
        var remaining: [Agent] = []
        for var agent in agents {
            if now >= agent.phaseEnds, !advance(&agent, now: now, step: &step) { continue }
            let zone = zone(of: agent.phase)
            if let tag = agent.shopper?.loyaltyTag { see(tag, in: zone, at: now, step: &step) }
            if let tag = agent.foreignTag { see(tag, in: zone, at: now, step: &step) }
            for (tag, _) in agent.basket { see(tag, in: zone, at: now, step: &step) }
            remaining.append(agent)
        }
        agents = remaining
        for (tag, _) in shelf { see(tag, in: plan.floor, at: now, step: &step) }
        return step
    }

    /// Lets the next shopper in: the next scripted visit once the store is empty, or a random arrival.
    private mutating func admit(now: Timestamp) {
        switch configuration.mode {
        case .scripted:
            guard agents.isEmpty, scriptIndex < configuration.script.count else { return }
            let visit = configuration.script[scriptIndex]
            scriptIndex += 1
            let shopper = visit.customer.map { id in cast.shoppers.first { $0.customerID == id } ?? .init(customerID: id, loyaltyTag: nil) }
            let wishlist = visit.buy.compactMap { gtin in cast.items.first { $0.gtin == gtin } }
            agents.append(Agent(shopper: shopper, phase: .entering, phaseEnds: now.adding(milliseconds: scaled(.seconds(1))),
                                basket: [], wishlist: wishlist, dwell: visit.dwell, foreignTag: nil))
        case .continuous:
            guard let due = nextArrival else {
                nextArrival = now.adding(milliseconds: interarrival())
                return
            }
            guard now >= due else { return }
            nextArrival = now.adding(milliseconds: interarrival())
            let member = !cast.shoppers.isEmpty && Double.random(in: 0..<1, using: &random) >= configuration.anonymousRate
            let shopper = member ? cast.shoppers.randomElement(using: &random) : nil
            let picks = stockable.isEmpty ? 0 : Int.random(in: 0...3, using: &random)
            let wishlist = (0..<picks).compactMap { _ in stockable.randomElement(using: &random) }
            let foreign = Double.random(in: 0..<1, using: &random) < configuration.foreignTagRate ? foreignTag() : nil
            let dwell = Duration.milliseconds(Int64.random(in: 4_000...12_000, using: &random))
            agents.append(Agent(shopper: shopper, phase: .entering, phaseEnds: now.adding(milliseconds: scaled(.milliseconds(1_500))),
                                basket: [], wishlist: wishlist, dwell: dwell, foreignTag: foreign))
        }
    }

    /// Moves an agent to its next phase; `false` when it has left the store.
    private mutating func advance(_ agent: inout Agent, now: Timestamp, step: inout Step) -> Bool {
        switch agent.phase {
        case .entering:
            agent.phase = .browsing
            agent.phaseEnds = now.adding(milliseconds: scaled(agent.dwell))
            for item in agent.wishlist {
                // Take it off the shelf when stocked there, else from the back room.
                if let index = shelf.firstIndex(where: { $0.item.gtin == item.gtin }) {
                    agent.basket.append(shelf.remove(at: index))
                    if let tag = makeTag(item) { shelf.append((tag, item)) }
                } else if let tag = makeTag(item) {
                    agent.basket.append((tag, item))
                }
            }
        case .browsing:
            agent.phase = .paying
            agent.phaseEnds = now.adding(milliseconds: scaled(.seconds(1)))
        case .paying:
            if !agent.basket.isEmpty { step.receipts.append(receipt(for: agent, at: now)) }
            agent.phase = .leaving
            agent.phaseEnds = now.adding(milliseconds: scaled(.seconds(1)))
        case .leaving:
            return false
        }
        return true
    }

    private func zone(of phase: Phase) -> String {
        switch phase {
        case .entering, .leaving: plan.entrance
        case .browsing: plan.floor
        case .paying: plan.checkout
        }
    }

    private mutating func see(_ tag: TagID, in zone: String, at now: Timestamp, step: inout Step) {
        guard let coverage = plan.coverage[zone], !coverage.isEmpty else { return }
        antennaTurn &+= 1
        let (reader, antenna) = coverage[antennaTurn % coverage.count]
        let rssi = Int16(Int.random(in: -7_000 ... -4_000, using: &random))
        step.sightings[reader, default: []].append(.init(tag: tag, antenna: antenna, rssi: rssi, time: now))
    }

    private mutating func receipt(for agent: Agent, at now: Timestamp) -> PosTransaction {
        receiptNumber += 1
        var lines: [PosTransaction.Line] = []
        var subtotal = Decimal(0)
        for (number, (_, item)) in agent.basket.enumerated() {
            lines.append(.init(number: number + 1, gtin: item.gtin, description: item.name, quantity: 1, unitPrice: item.price, amount: item.price))
            subtotal += item.price
        }
        let tax = Self.roundCents(subtotal * configuration.taxRate)
        let total = subtotal + tax
        let tender = Bool.random(using: &random) ? "CreditDebit" : "Cash"
        let day = String(now.rfc3339.prefix(10))
        return PosTransaction(storeID: plan.storeID, workstationID: "1", sequenceNumber: String(receiptNumber), businessDay: day,
                              endedAt: now, operatorID: "sim", currency: configuration.currency, lines: lines,
                              tenders: [.init(type: tender, amount: total)], total: total, tax: tax, loyaltyID: agent.shopper?.customerID)
    }

    private mutating func makeTag(_ item: SimulatedCast.Item) -> TagID? {
        nextSerial += 1
        guard let sgtin = try? SGTIN96(gtin14: item.gtin, companyPrefixDigits: prefixDigits, serial: nextSerial) else { return nil }
        return TagID(bytes: sgtin.bytes)
    }

    /// A tag from another company (prefix 0012345): what a customer's jacket bought elsewhere carries.
    private mutating func foreignTag() -> TagID? {
        nextSerial += 1
        let prefix = CompanyPrefix(value: 12_345, digits: 7)
        guard let sgtin = try? SGTIN96(filter: 1, companyPrefix: prefix, itemReference: 100_001, serial: nextSerial) else { return nil }
        return TagID(bytes: sgtin.bytes)
    }

    private mutating func interarrival() -> Int64 {
        // Exponential gaps: arrivals as a Poisson process.
        let u = Double.random(in: Double.ulpOfOne..<1, using: &random)
        return Int64(-log(u) * 60_000 / configuration.shoppersPerMinute / configuration.speed)
    }

    private func scaled(_ duration: Duration) -> Int64 {
        Int64(Double(duration.milliseconds) / configuration.speed)
    }

    private static func roundCents(_ value: Decimal) -> Decimal {
        var input = value
        var output = Decimal()
        NSDecimalRound(&output, &input, 2, .plain)
        return output
    }
}
