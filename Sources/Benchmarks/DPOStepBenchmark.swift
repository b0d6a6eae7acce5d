import Foundation
import Interchange
import Tensor
import Training
import VLM

/// A DPO optimizer step of full fine-tuning, timed in steady state and set against the
/// machine's sgemm rate: the engine's side of bench/dpo_vs_trl.sh. The reference log-probs
/// are computed first (untimed, the reference then released, as a run does once they are
/// cached); the first `warmupSteps` steps are not timed; the timed steps' products are recorded
/// by shape, so the step's floating-point work is counted rather than estimated, and replayed
/// alone to show what those shapes allow.
public struct DPOStepBenchmark {
    public var policy: URL
    public var reference: URL
    public var data: URL
    public var batchSize: Int
    public var steps: Int
    public var warmupSteps = 2
    public var freezeVision: Bool

    public init(policy: URL, reference: URL, data: URL, batchSize: Int, steps: Int, freezeVision: Bool) {
        self.policy = policy
        self.reference = reference
        self.data = data
        self.batchSize = batchSize
        self.steps = steps
        self.freezeVision = freezeVision
    }

    /// Named figures in a fixed order (seconds, GFLOP, GFLOP/s, MiB, shares in 0…1).
    public func run(progress: (String) -> Void = { _ in }) throws -> [(String, Double)] {
        let processor = try ModelFolder.processor(policy)
        let pairs = try PreferenceDataset.pairs(data, processor: processor)
        let needed = batchSize * (warmupSteps + steps)
        guard pairs.count >= needed else {
            throw InputError(file: data.path, "\(pairs.count) pairs; \(warmupSteps + steps) steps of \(batchSize) need \(needed)")
        }
        let model = try ModelFolder.load(policy).trainable(freezing: freezeVision ? [.vision] : [])
        let trainer = try DPOTrainer(policy: model, adapters: nil, reference: .folder(reference), settings: DPOSettings(),
                                     padToken: processor.padToken)
        let batches = (0..<(warmupSteps + steps)).map { Array(pairs[($0 * batchSize)..<(($0 + 1) * batchSize)]) }
        progress("reference log-probs of \(needed) pairs")
        let references = try batches.map { try trainer.referenceLogProbs($0) }
        trainer.releaseReference()
        var rng = SeededGenerator(seed: 7)
        func step(_ i: Int) throws -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try trainer.lossAndGradients(batches[i], reference: references[i], backward: true, rng: &rng)
            _ = try trainer.updater.apply(lr: 1e-6)
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
        let peakRSS = peakRSSMiB()
        progress("sgemm on large squares, then the step's products alone")
        let peak = GemmRate.peakGflops()
        let replay = GemmRate.replayGflops(recording, callsDividedBy: steps)
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2], mean = times.reduce(0, +) / Double(times.count)
        let gflop = recording.flop / Double(steps) / 1e9
        let threads = Double(Parallel.threads)
        return [
            ("threads", threads), ("parameters", Double(model.parameters.count)), ("pairs_per_step", Double(batchSize)),
            ("step_seconds_median", median), ("step_seconds_mean", mean), ("step_seconds_min", sorted[0]),
            ("steps_per_second", 1 / median), ("pairs_per_second", Double(batchSize) / median),
            ("gemm_gflop_per_step", gflop), ("gflops", gflop / median),
            ("gemm_share_of_step", recording.seconds / threads / Double(steps) / median),
            ("gemm_gflops_while_in_gemm", recording.flop / (recording.seconds / threads) / 1e9),
            ("sgemm_peak_gflops", peak), ("share_of_sgemm_peak", gflop / median / peak),
            ("same_products_alone_gflops", replay), ("share_of_same_products_alone", gflop / median / replay),
            ("peak_rss_mib", peakRSS),
        ]
    }
}
