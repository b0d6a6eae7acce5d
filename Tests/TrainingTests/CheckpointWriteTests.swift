import Foundation
import Interchange
import Tensor
import TestSupport
import Testing
import VLM
@testable import Training

/// What `TrainingCheckpoint.save` leaves on disk when a run stops right after a save, or is
/// killed in the middle of one.
@Suite(.timeLimit(.minutes(10))) struct CheckpointWriteTests {
    static func state(step: Int, value: Float) -> (TrainingProgress, ParameterSet, AdamW.State) {
        let parameters = ParameterSet([.init("w", [3])])
        parameters.values.copy(from: Tensor(shape: [3], values: [value, value + 1, value + 2]))
        var progress = TrainingProgress(seed: 1)
        progress.step = step
        return (progress, parameters, AdamW.State(count: 3))
    }

    /// A stop right after a save (or a resume) saves the same step: the checkpoint `latest`
    /// names is left as it is, never deleted to be written again.
    @Test func savingTheSameStepAgainLeavesTheNamedCheckpointAlone() throws {
        let run = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let (progress, parameters, optimizer) = Self.state(step: 3, value: 1)
        try TrainingCheckpoint.save(run: run, progress: progress, trainable: parameters, optimizer: optimizer)
        let file = run.appendingPathComponent("checkpoints/step-3/trainable.safetensors")
        let before = try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int
        try TrainingCheckpoint.save(run: run, progress: progress, trainable: parameters, optimizer: optimizer)
        let after = try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int
        #expect(before != nil && before == after, "the named checkpoint was rewritten")
        let loaded = ParameterSet([.init("w", [3])])
        let (restored, _) = try #require(try TrainingCheckpoint.load(run: run, trainable: loaded))
        #expect(restored.step == 3 && loaded.values.array == [1, 2, 3])
    }

    /// A save killed half-way leaves a hidden staging folder (and maybe a step folder `latest`
    /// does not name): loading reads the last whole checkpoint, and the next save clears them.
    @Test func anInterruptedSaveLeavesTheLastWholeCheckpointNamed() throws {
        let run = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let (first, parameters, optimizer) = Self.state(step: 2, value: 5)
        try TrainingCheckpoint.save(run: run, progress: first, trainable: parameters, optimizer: optimizer)
        let root = run.appendingPathComponent("checkpoints")
        // what a kill during the save of step 4 leaves: a partial staging folder and a half step folder
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".step-4.partial-X"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("step-4"), withIntermediateDirectories: true)
        try Data("half".utf8).write(to: root.appendingPathComponent("step-4/trainable.safetensors"))
        let loaded = ParameterSet([.init("w", [3])])
        let (restored, _) = try #require(try TrainingCheckpoint.load(run: run, trainable: loaded))
        #expect(restored.step == 2 && loaded.values.array == [5, 6, 7])

        let (second, newer, moments) = Self.state(step: 4, value: 9)
        try TrainingCheckpoint.save(run: run, progress: second, trainable: newer, optimizer: moments)
        #expect(try TrainingCheckpoint.load(run: run, trainable: loaded)?.0.step == 4 && loaded.values.array == [9, 10, 11])
        let left = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        #expect(left == ["latest", "step-2", "step-4"], "\(left)")
    }

    /// A checkpoint of another model (or a damaged one) is refused naming what does not fit.
    @Test func aCheckpointOfOtherSizesIsRefused() throws {
        let run = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let (progress, parameters, optimizer) = Self.state(step: 1, value: 0)
        try TrainingCheckpoint.save(run: run, progress: progress, trainable: parameters, optimizer: optimizer)
        let bigger = ParameterSet([.init("w", [4])])
        #expect { _ = try TrainingCheckpoint.load(run: run, trainable: bigger) } throws: { "\($0)".contains("holds 3 trainable values, the model 4") }
        let moments = run.appendingPathComponent("checkpoints/step-1/optimizer.safetensors")
        try SafetensorsWriter.write([("m", Tensor(shape: [2])), ("v", Tensor(shape: [2]))], to: moments)
        #expect { _ = try TrainingCheckpoint.load(run: run, trainable: parameters) } throws: { "\($0)".contains("the optimizer's m holds 2 values") }
    }

    /// A damaged progress file, and a run folder whose settings file is not one, are errors that
    /// name the file.
    @Test func damagedRunFilesAreNamed() throws {
        let run = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let (progress, parameters, optimizer) = Self.state(step: 1, value: 0)
        try TrainingCheckpoint.save(run: run, progress: progress, trainable: parameters, optimizer: optimizer)
        let file = run.appendingPathComponent("checkpoints/step-1/progress.json")
        try Data(#"{"step": "one"#.utf8).write(to: file)
        #expect { _ = try TrainingCheckpoint.load(run: run, trainable: parameters) } throws: {
            "\($0)".hasPrefix(file.path + ": not a run's progress")
        }
    }
}
