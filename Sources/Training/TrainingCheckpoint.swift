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

/// Checkpoints under `<run>/checkpoints/step-N/`, each complete before `latest` names it: a
/// kill at any moment leaves the previous checkpoint intact and named.
public enum TrainingCheckpoint {
    static let latestName = "latest"

    public static func save(
        run: URL, progress: TrainingProgress, trainable: ParameterSet, optimizer: AdamW.State, keep: Int = 2
    ) throws {
        let fm = FileManager.default
        let root = run.appendingPathComponent("checkpoints")
        let name = "step-\(progress.step)"
        let dir = root.appendingPathComponent(name)
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        try SafetensorsWriter.write([("values", trainable.values)], to: dir.appendingPathComponent("trainable.safetensors"))
        try SafetensorsWriter.write([("m", optimizer.m), ("v", optimizer.v)], to: dir.appendingPathComponent("optimizer.safetensors"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(progress).write(to: dir.appendingPathComponent("progress.json"), options: .atomic)
        // the pointer moves only once the checkpoint is whole
        try Data(name.utf8).write(to: root.appendingPathComponent(latestName), options: .atomic)
        let others = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        let steps = others.compactMap { $0.hasPrefix("step-") ? Int($0.dropFirst(5)) : nil }.sorted()
        for old in steps.dropLast(keep) where old != progress.step {
            try? fm.removeItem(at: root.appendingPathComponent("step-\(old)"))
        }
    }

    /// Restores the latest checkpoint of a run into `trainable` and returns its progress and
    /// optimizer state; nil when the run has none.
    public static func load(run: URL, trainable: ParameterSet) throws -> (TrainingProgress, AdamW.State)? {
        let root = run.appendingPathComponent("checkpoints")
        guard let pointer = try? String(contentsOf: root.appendingPathComponent(latestName), encoding: .utf8) else { return nil }
        let dir = root.appendingPathComponent(pointer.trimmingCharacters(in: .whitespacesAndNewlines))
        let values = try SafetensorsFile(path: dir.appendingPathComponent("trainable.safetensors").path).tensor("values")
        guard values.count == trainable.count else {
            throw TrainingError("\(dir.path): the checkpoint holds \(values.count) trainable values, the model \(trainable.count)")
        }
        trainable.values.copy(from: values)
        let moments = try SafetensorsFile(path: dir.appendingPathComponent("optimizer.safetensors").path)
        var state = AdamW.State(count: trainable.count)
        state.m.copy(from: try moments.tensor("m"))
        state.v.copy(from: try moments.tensor("v"))
        let progress = try JSONDecoder().decode(TrainingProgress.self, from: Data(contentsOf: dir.appendingPathComponent("progress.json")))
        state.step = progress.adamStep
        return (progress, state)
    }
}
