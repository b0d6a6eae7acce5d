import Foundation
import Interchange
import Tensor
import Training
import VLM

/// An optimizer step of full fine-tuning (DPO or SFT), timed in steady state and set against
/// the machine's sgemm rate: the engine's side of bench/dpo_vs_trl.sh and bench/sft_vs_trl.sh.
/// The step is the run's own (`TrainingObjective.step`, then the updater). For DPO the
/// reference log-probs are computed first, untimed, and the reference released, as a run does
/// once they are cached. The first `warmupSteps` steps are not timed; the timed steps'
/// products are recorded by shape, so the step's floating-point work is counted rather than
/// estimated, and replayed alone to show what those shapes allow.
public struct TrainingStepBenchmark {
    public enum Method: Sendable {
        /// Against this reference model folder.
        case dpo(reference: URL)
        /// Examples of one image packed into one sequence when asked.
        case sft(packByImage: Bool)
    }

    public var method: Method
    public var model: URL
    public var data: URL
    public var batchSize: Int
    public var steps: Int
    public var warmupSteps = 2
    public var freezeVision: Bool

    public init(_ method: Method, model: URL, data: URL, batchSize: Int, steps: Int, freezeVision: Bool) {
        self.method = method
        self.model = model
        self.data = data
        self.batchSize = batchSize
        self.steps = steps
        self.freezeVision = freezeVision
    }

    /// Named figures in a fixed order (seconds, GFLOP, GFLOP/s, MiB, shares in 0…1).
    public func run(progress: (String) -> Void = { _ in }) throws -> [(String, Double)] {
        let processor = try ModelFolder.processor(model)
        let needed = batchSize * (warmupSteps + steps)
        func enough(_ count: Int, _ what: String) throws {
            guard count >= needed else {
                throw InputError(file: data.path, "\(count) \(what); \(warmupSteps + steps) steps of \(batchSize) need \(needed)")
            }
        }
        let policy = try ModelFolder.load(model).trainable(freezing: freezeVision ? [.vision] : [])
        let objective: TrainingObjective
        var examples = 0
        switch method {
        case .dpo(let reference):
            let pairs = try PreferenceDataset.pairs(data, processor: processor)
            try enough(pairs.count, "pairs")
            let used = Array(pairs[0..<needed])
            let trainer = try DPOTrainer(policy: policy, adapters: nil, reference: .folder(reference), settings: DPOSettings(),
                                         padToken: processor.padToken)
            progress("reference log-probs of \(needed) pairs")
            let references = try stride(from: 0, to: needed, by: batchSize).flatMap { try trainer.referenceLogProbs(Array(used[$0..<($0 + batchSize)])) }
            trainer.releaseReference()
            objective = DPOObjective(trainer: trainer, pairs: used, references: references)
            examples = needed
        case .sft(let pack):
            let read = try SupervisedDataset.examples(data, processor: processor)
            let sequences = pack ? SupervisedExample.sharingImagePrefixes(read, imageToken: try ModelFolder.shape(model).imageTokenId) : read
            try enough(sequences.count, pack ? "sequences packed by image" : "examples")
            let used = Array(sequences[0..<needed])
            objective = try SFTObjective(model: policy, adapters: nil, examples: used, padToken: processor.padToken)
            // a packed sequence holds one example a branch
            examples = used.reduce(0) { $0 + max(1, $1.branchStarts.count) }
        }
        var rng = SeededGenerator(seed: 7)
        func step(_ i: Int) throws -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try objective.step(Array((i * batchSize)..<((i + 1) * batchSize)), scale: 1, rng: &rng)
            _ = try objective.updater.apply(lr: 1e-6)
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        for i in 0..<warmupSteps {
            progress("warm-up step \(i + 1) of \(warmupSteps)")
            _ = try step(i)
        }
        let (times, recording) = try GemmRecording.record {
            try (warmupSteps..<(warmupSteps + steps)).map { i -> Double in
                progress("timed step \(i - warmupSteps + 1) of \(steps)")
                return try step(i)
            }
        }
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2], mean = times.reduce(0, +) / Double(times.count)
        let perStep = Double(examples) / Double(needed / batchSize)
        return [
            ("threads", Double(Parallel.threads)), ("parameters", Double(policy.parameters.count)), ("examples_per_step", perStep),
            ("step_seconds_median", median), ("step_seconds_mean", mean), ("step_seconds_min", sorted[0]),
            ("steps_per_second", 1 / median), ("examples_per_second", perStep / median),
        ] + GemmRate.figures(recording, passes: steps, seconds: median, progress: progress)
    }
}
