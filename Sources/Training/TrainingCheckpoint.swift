import Foundation
import Interchange
import Tensor
import VLM

/// Everything a run needs to continue exactly where it stopped: trainable values, AdamW
/// moments, step, data order and position, the RNG, and the metrics so far.
public struct TrainingProgress: Sendable, Codable, Equatable {
    public var step = 0
    /// The example order of the current epoch and how far into it the run is.
    public var order: [Int] = []
    public var cursor = 0
    public var epoch = 0
    public var rng: SeededGenerator
    public var adamStep = 0

    public init(seed: UInt64) { rng = SeededGenerator(seed: seed) }
}

/// Checkpoints under `<run>/checkpoints/step-N/`. Each is written whole into a hidden staging
/// folder, synced to the disk and renamed into place before `latest` names it, and the one
/// `latest` names is never deleted or rewritten: a kill or a power cut at any moment leaves the
/// previous checkpoint whole and named.
public enum TrainingCheckpoint {
    static let latestName = "latest"

    public static func save(
        run: URL, progress: TrainingProgress, trainable: ParameterSet, optimizer: AdamW.State, keep: Int = 2
    ) throws {
        let fm = FileManager.default
        let root = run.appendingPathComponent("checkpoints")
        let name = "step-\(progress.step)"
        let dir = root.appendingPathComponent(name)
        // a stop right after a save or a resume: that very state is on disk already, whole
        if latest(in: root) == name, fm.fileExists(atPath: dir.path) { return }
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        let staging = root.appendingPathComponent(".\(name).partial-\(UUID().uuidString)")
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        do {
            let files = ["trainable.safetensors", "optimizer.safetensors", "progress.json"].map { staging.appendingPathComponent($0) }
            try SafetensorsWriter.write([("values", trainable.values)], to: files[0])
            try SafetensorsWriter.write([("m", optimizer.m), ("v", optimizer.v)], to: files[1])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(progress).write(to: files[2])
            for file in files + [staging] { try DurableFiles.sync(file) }
            TestPause.pass(.checkpointStaged)
            // a step-N that latest does not name is a leftover of an interrupted save
            try? fm.removeItem(at: dir)
            try fm.moveItem(at: staging, to: dir)
            try DurableFiles.sync(root)
            TestPause.pass(.checkpointMoved)
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
        // the pointer moves only once the checkpoint is whole
        try DurableFiles.write(Data(name.utf8), to: root.appendingPathComponent(latestName))
        TestPause.pass(.checkpointNamed)
        let others = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        for leftover in others where leftover.hasPrefix(".step-") { try? fm.removeItem(at: root.appendingPathComponent(leftover)) }
        let steps = others.compactMap { $0.hasPrefix("step-") ? Int($0.dropFirst(5)) : nil }.sorted()
        for old in steps.dropLast(keep) where old != progress.step {
            try? fm.removeItem(at: root.appendingPathComponent("step-\(old)"))
        }
    }

    /// The checkpoint `latest` names, if any.
    static func latest(in root: URL) -> String? {
        (try? String(contentsOf: root.appendingPathComponent(latestName), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Restores the latest checkpoint of a run into `trainable` and returns its progress and
    /// optimizer state; nil when the run has none.
    public static func load(run: URL, trainable: ParameterSet) throws -> (TrainingProgress, AdamW.State)? {
        let root = run.appendingPathComponent("checkpoints")
        guard let pointer = latest(in: root) else { return nil }
        let dir = root.appendingPathComponent(pointer)
        let values = try SafetensorsFile(path: dir.appendingPathComponent("trainable.safetensors").path).tensor("values")
        guard values.count == trainable.count else {
            throw TrainingError("\(dir.path): the checkpoint holds \(values.count) trainable values, the model \(trainable.count)")
        }
        trainable.values.copy(from: values)
        let moments = try SafetensorsFile(path: dir.appendingPathComponent("optimizer.safetensors").path)
        var state = AdamW.State(count: trainable.count)
        for (name, moment) in [("m", state.m), ("v", state.v)] {
            let saved = try moments.tensor(name)
            guard saved.count == trainable.count else {
                throw TrainingError("\(dir.path): the optimizer's \(name) holds \(saved.count) values, the model \(trainable.count) trainable ones")
            }
            moment.copy(from: saved)
        }
        let progressURL = dir.appendingPathComponent("progress.json")
        let progress: TrainingProgress
        do { progress = try JSONDecoder().decode(TrainingProgress.self, from: Data(contentsOf: progressURL)) } catch {
            throw TrainingError("\(progressURL.path): not a run's progress: \((error as? DecodingError)?.reason ?? "\(error)")")
        }
        state.step = progress.adamStep
        return (progress, state)
    }
}
