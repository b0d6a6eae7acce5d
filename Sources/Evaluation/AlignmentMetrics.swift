import Foundation
import Interchange
import Training
import VLM

/// The alignment metrics of a policy against its reference (../shared/DESIGN.md): on held-out
/// expert pairs, preference accuracy (share with r_c > r_r) and reward margin (mean r_c − r_r),
/// with the rest of TRL's DPO metrics; and the per-token KL divergence on answers sampled from
/// the policy.
public enum AlignmentMetrics {
    /// Pair-weighted means of the DPO metrics over a set, in batches, without gradients.
    public static func dpo(_ trainer: DPOTrainer, pairs: [PreferencePair], references: [(chosen: Double, rejected: Double)],
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

    /// KL(policy ‖ reference) per token, estimated on answers sampled from the policy for the
    /// prompts: the mean over sampled tokens of log π(y) − log π_ref(y).
    public static func kl(_ trainer: DPOTrainer, prompts: [PreferencePair], sampling: SamplingSettings, batchSize: Int) throws -> Double {
        let terms = try klTerms(trainer, prompts: prompts, sampling: sampling, batchSize: batchSize)
        let tokens = terms.reduce(0) { $0 + $1.denominator }
        return tokens > 0 ? terms.reduce(0) { $0 + $1.numerator } / tokens : 0
    }

    /// The KL estimate's terms, one per prompt whose sampled answer is not empty: Σ log π(y) −
    /// log π_ref(y) over its tokens, and how many (the units a bootstrap resamples).
    public static func klTerms(_ trainer: DPOTrainer, prompts: [PreferencePair], sampling: SamplingSettings,
                               batchSize: Int) throws -> [(numerator: Double, denominator: Double)] {
        var terms: [(numerator: Double, denominator: Double)] = []
        // each batch its own seed, drawn from the given one: a batch that reused it would repeat
        // the previous batch's random numbers, and its answers to the same prompts
        var seeds = SeededGenerator(seed: sampling.seed)
        for start in stride(from: 0, to: prompts.count, by: max(batchSize, 1)) {
            let batch = Array(prompts[start..<min(prompts.count, start + max(batchSize, 1))])
            var settings = sampling
            settings.seed = seeds.next()
            let samples = try Generator.generate(trainer.policy, prompts: batch.map { GenerationPrompt(tokens: $0.prompt, images: $0.images) },
                                                 settings: settings, padToken: trainer.padToken)
            let sampled = zip(batch, samples).filter { !$0.1.isEmpty }.map { pair, answer in
                PreferencePair(prompt: pair.prompt, chosen: answer, rejected: [], images: pair.images, imageKeys: pair.imageKeys)
            }
            guard !sampled.isEmpty else { continue }
            let policy = try PairScorer.logProbs(trainer.policy, pairs: sampled, padToken: trainer.padToken)
            let reference = try trainer.referenceLogProbs(sampled)
            for (i, pair) in sampled.enumerated() {
                terms.append((policy[i].chosen - reference[i].chosen, Double(pair.chosen.count)))
            }
        }
        return terms
    }

    /// What a held-out evaluation during DPO reports: TRL's metrics, and `kl` when sampling is
    /// given.
    public static func heldOut(_ trainer: DPOTrainer, pairs: [PreferencePair], references: [(chosen: Double, rejected: Double)],
                               klSampling: SamplingSettings?, batchSize: Int) throws -> [String: Double] {
        var metrics = try dpo(trainer, pairs: pairs, references: references, batchSize: batchSize).trlNamed
        if let klSampling { metrics["kl"] = try kl(trainer, prompts: pairs, sampling: klSampling, batchSize: batchSize) }
        return metrics
    }

    /// A checkpoint's key metrics (the store's names) from a held-out evaluation's (TRL's names,
    /// `eval_` prefixed or not).
    public static func keyMetrics(_ evaluation: [String: Double]) -> [String: Double] {
        let names = ["rewards/accuracies": "preference_accuracy", "rewards/margins": "reward_margin", "kl": "kl"]
        var metrics: [String: Double] = [:]
        for (trl, key) in names { if let value = evaluation["eval_" + trl] ?? evaluation[trl] { metrics[key] = value } }
        return metrics
    }
}
