import Foundation

/// The serial ports a USB reader may be on, for `gateway doctor`.
public enum SerialPortList {
    /// `/dev/ttyUSB*` (CH340, CP210x, FTDI), `/dev/ttyACM*` (CDC-ACM), and the stable `/dev/serial/by-id/*` links, sorted.
    public static func ports() -> [String] {
        let files = FileManager.default
        let devices = ((try? files.contentsOfDirectory(atPath: "/dev")) ?? [])
            .filter { $0.hasPrefix("ttyUSB") || $0.hasPrefix("ttyACM") }
            .map { "/dev/\($0)" }
        let links = ((try? files.contentsOfDirectory(atPath: "/dev/serial/by-id")) ?? []).map { "/dev/serial/by-id/\($0)" }
        return devices.sorted { ($0.count, $0) < ($1.count, $1) } + links.sorted()
    }
}
