import Foundation
import Histogram

/// The bench's figures as flat, dotted keys (`ring.single_ops_per_s`, …), in the order they were measured.
struct BenchReport {
    /// One figure with its unit and, where the issue sets one, its target.
    struct Figure {
        var key: String
        var value: Double
        var unit: String
        /// e.g. `≥ 50M`; empty when there is no target.
        var target: String
        /// `nil` without a target.
        var met: Bool?
    }

    private(set) var figures: [Figure] = []

    mutating func add(_ key: String, _ value: Double, _ unit: String, atLeast floor: Double? = nil, atMost ceiling: Double? = nil) {
        var target = ""
        var met: Bool?
        if let floor {
            target = "≥ \(Self.format(floor))"
            met = value >= floor
        } else if let ceiling {
            target = "≤ \(Self.format(ceiling))"
            met = value <= ceiling
        }
        figures.append(Figure(key: key, value: value, unit: unit, target: target, met: met))
    }

    /// p50, p99, p99.9 and max of a nanosecond histogram, in microseconds.
    mutating func addLatency(_ prefix: String, _ histogram: Histogram<UInt64>?, p99Target: Double? = nil) {
        let h = histogram
        func micros(_ percentile: Double) -> Double {
            guard let h, h.totalCount > 0 else { return 0 }
            return Double(h.valueAtPercentile(percentile)) / 1_000
        }
        add("\(prefix).p50", micros(50), "µs")
        add("\(prefix).p99", micros(99), "µs", atMost: p99Target)
        add("\(prefix).p99_9", micros(99.9), "µs")
        add("\(prefix).max", h.map { $0.totalCount > 0 ? Double($0.maxRecorded) / 1_000 : 0 } ?? 0, "µs")
        add("\(prefix).samples", Double(h?.totalCount ?? 0), "events")
    }

    /// One JSON object; a figure that is not a finite number is `null`, so a consumer sees it failed.
    func json() throws -> String {
        var object: [String: Any] = [:]
        for figure in figures { object[figure.key] = figure.value.isFinite ? figure.value : NSNull() }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// A table for people: figure, value, unit, target and whether it was met.
    func table() -> String {
        let width = (figures.map(\.key.count).max() ?? 10) + 2
        var lines = ["\("figure".padding(toLength: width, withPad: " ", startingAt: 0))\("value".leftPadded(14))  unit      target      met"]
        for figure in figures {
            let met = figure.met.map { $0 ? "yes" : "NO" } ?? ""
            lines.append(figure.key.padding(toLength: width, withPad: " ", startingAt: 0) + Self.format(figure.value).leftPadded(14) + "  "
                + figure.unit.padding(toLength: 10, withPad: " ", startingAt: 0) + figure.target.padding(toLength: 12, withPad: " ", startingAt: 0) + met)
        }
        return lines.joined(separator: "\n")
    }

    /// 1.23M, 456k, 12.3 — three significant digits.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        let magnitude = abs(value)
        if magnitude >= 1e9 { return String(format: "%.3gG", value / 1e9) }
        if magnitude >= 1e6 { return String(format: "%.3gM", value / 1e6) }
        if magnitude >= 1e4 { return String(format: "%.3gk", value / 1e3) }
        if magnitude >= 100 || value == value.rounded() { return String(format: "%.0f", value) }
        return String(format: "%.3g", value)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
