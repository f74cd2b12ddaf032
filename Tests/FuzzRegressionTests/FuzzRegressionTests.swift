import Foundation
import FuzzEntryPoints
import Testing

/// Replays every seed and every input a fuzz run once crashed or hung on through the same entry
/// points the libFuzzer targets use (`Fuzz/`): a fixed parser stays fixed.
@Suite struct FuzzRegressionTests {
    /// `Fuzz/` in the source tree, found from this file so the test runs from any working directory.
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    /// The files of `Fuzz/<kind>/<target>/`, sorted; none when the folder does not exist.
    static func inputs(_ kind: String, _ target: String) -> [URL] {
        let folder = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appendingPathComponent($0) }
    }

    @Test("every fuzz target has a seed corpus", arguments: FuzzEntryPoints.targets.keys.sorted())
    func seeded(target: String) {
        #expect(!Self.inputs("Corpus", target).isEmpty, "Fuzz/Corpus/\(target) has no seeds")
    }

    @Test("every regression folder names a fuzz target")
    func regressionFoldersAreTargets() throws {
        let folder = Self.fuzzDirectory.appendingPathComponent("Regressions")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }
        for name in names {
            #expect(FuzzEntryPoints.targets[name] != nil, "Fuzz/Regressions/\(name) is not a fuzz target")
        }
    }

    @Test("corpus and regression inputs run through their parser without a crash or a hang",
          arguments: FuzzEntryPoints.targets.keys.sorted())
    func replay(target: String) throws {
        let entry = try #require(FuzzEntryPoints.targets[target])
        for file in Self.inputs("Corpus", target) + Self.inputs("Regressions", target) {
            let bytes = try [UInt8](Data(contentsOf: file))
            let started = ContinuousClock.now
            entry(bytes)
            // libFuzzer's hang limit in `make fuzz` is 10 s; on a loaded machine a seed may take longer than usual, not that long.
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(10), "\(target)/\(file.lastPathComponent) took \(elapsed)")
        }
    }
}
