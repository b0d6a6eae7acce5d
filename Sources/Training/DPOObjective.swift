import Foundation
import Interchange
import Tensor
import VLM

/// DPO over a set of pairs with their reference log-probs (and a held-out set).
public final class DPOObjective: TrainingObjective {
    public let trainer: DPOTrainer
    let pairs: [PreferencePair]
    let references: [(chosen: Double, rejected: Double)]
    let evalPairs: [PreferencePair]
    let evalReferences: [(chosen: Double, rejected: Double)]
    /// How held-out answers are sampled from the policy for the KL estimate (nil: no KL).
    public var klSampling: SamplingSettings?

    public init(trainer: DPOTrainer, pairs: [PreferencePair], references: [(chosen: Double, rejected: Double)],
                evalPairs: [PreferencePair] = [], evalReferences: [(chosen: Double, rejected: Double)] = []) {
        precondition(references.count == pairs.count && evalReferences.count == evalPairs.count, "one reference per pair")
        self.trainer = trainer
        self.pairs = pairs
        self.references = references
        self.evalPairs = evalPairs
        self.evalReferences = evalReferences
    }

    public var updater: ParameterUpdater { trainer.updater }
    public var exampleCount: Int { pairs.count }

    public func step(_ indices: [Int], scale: Double, rng: inout SeededGenerator) throws -> BatchResult {
        let m = try trainer.lossAndGradients(indices.map { pairs[$0] }, reference: indices.map { references[$0] },
                                             backward: true, scale: scale, rng: &rng)
        return BatchResult(metrics: m.trlNamed, examples: m.pairs, tokens: m.tokens)
    }

    public func evaluate(batchSize: Int) throws -> [String: Double]? {
        guard !evalPairs.isEmpty else { return nil }
        var metrics = try Self.metrics(trainer, pairs: evalPairs, references: evalReferences, batchSize: batchSize).trlNamed
        if let klSampling { metrics["kl"] = try Self.kl(trainer, prompts: evalPairs, sampling: klSampling, batchSize: batchSize) }
        return metrics
    }

    /// KL(policy ‖ reference) per token, estimated on answers sampled from the policy for the
    /// held-out prompts: the mean over sampled tokens of log π(y) − log π_ref(y).
    public static func kl(_ trainer: DPOTrainer, prompts: [PreferencePair], sampling: SamplingSettings, batchSize: Int) throws -> Double {
        var total = 0.0, tokens = 0
        for start in stride(from: 0, to: prompts.count, by: max(batchSize, 1)) {
            let batch = Array(prompts[start..<min(prompts.count, start + max(batchSize, 1))])
            let samples = try Generator.generate(trainer.policy, prompts: batch.map { GenerationPrompt(tokens: $0.prompt, images: $0.images) },
                                                 settings: sampling, padToken: trainer.padToken)
            let sampled = zip(batch, samples).filter { !$0.1.isEmpty }.map { pair, answer in
                PreferencePair(prompt: pair.prompt, chosen: answer, rejected: [], images: pair.images, imageKeys: pair.imageKeys)
            }
            guard !sampled.isEmpty else { continue }
            let policy = try PairScorer.logProbs(trainer.policy, pairs: sampled, padToken: trainer.padToken)
            let reference = try trainer.referenceLogProbs(sampled)
            for (i, pair) in sampled.enumerated() {
                total += policy[i].chosen - reference[i].chosen
                tokens += pair.chosen.count
            }
        }
        return tokens > 0 ? total / Double(tokens) : 0
    }

    /// Pair-weighted means of the DPO metrics over a set, in batches, without gradients.
    public static func metrics(_ trainer: DPOTrainer, pairs: [PreferencePair], references: [(chosen: Double, rejected: Double)],
                               batchSize: Int) throws -> DPOMetrics {
        var total = DPOMetrics()
        var rng = SeededGenerator(seed: 0)
        for start in stride(from: 0, to: pairs.count, by: max(batchSize, 1)) {
            let range = start..<min(pairs.count, start + max(batchSize, 1))
            let m = try trainer.lossAndGradients(Array(pairs[range]), reference: Array(references[range]), backward: false, rng: &rng)
            let w = Double(m.pairs) / Double(pairs.count)
            total.loss += m.loss * w
            total.rewardsChosen += m.rewardsChosen * w
            total.rewardsRejected += m.rewardsRejected * w
            total.rewardsAccuracies += m.rewardsAccuracies * w
            total.rewardsMargins += m.rewardsMargins * w
            total.logpsChosen += m.logpsChosen * w
            total.logpsRejected += m.logpsRejected * w
            total.logitsChosen += m.logitsChosen * w
            total.logitsRejected += m.logitsRejected * w
            total.pairs += m.pairs
            total.tokens += m.tokens
        }
        return total
    }
}
