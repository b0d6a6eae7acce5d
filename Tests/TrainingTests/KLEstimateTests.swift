import Evaluation
import Foundation
import JSON
import Testing
import VLM
import Training

/// The KL estimate (AlignmentMetrics.klTerms and its bootstrap interval) against the exact
/// per-token KL of two tiny models, computed by enumerating every answer they can give.
///
/// Answers are at most 3 tokens over a vocabulary of 8: token 6 stops, token 7 is the image
/// placeholder, which generation never samples. The exact value is
/// KL = Σ_y π(y) (log π(y) − log π_ref(y)) / Σ_y π(y) |y| over the 259 answers y (stopped, or cut
/// at 3 tokens), what Σ (log-ratios) / Σ (tokens) over many sampled answers converges to.
@Suite(.timeLimit(.minutes(10))) struct KLEstimateTests {
    static let stop: Int32 = 6, image: Int32 = 7, maxTokens = 3
    static let prompt: [Int32] = [1, 2, 3, 4]

    /// A random decoder whose image placeholder has no probability after any context, so that
    /// sampling, which never draws it, draws from the model's own distribution: dimension 0 of
    /// the residual stream is a constant 8 (every embedding holds 8 there and no layer writes to
    /// it), so it stays positive through the final RMSNorm, and the placeholder's lm_head row is
    /// −200 along it and 0 elsewhere (the other rows are 0 along it).
    static func model(seed: UInt64) throws -> Idefics3Model {
        let json = try JSONValue(parsing: """
            {"model_type": "idefics3", "image_token_id": 7, "scale_factor": 1, "tie_word_embeddings": false,
             "vision_config": {"hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                               "image_size": 8, "patch_size": 4},
             "text_config": {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
                             "num_key_value_heads": 2, "vocab_size": 8, "initializer_range": 0.3}}
            """)
        let model = Idefics3Model.initialize(try Idefics3Config(json: json, file: "kl-model"), seed: seed)
        let p = model.parameters, d = model.config.text.hiddenSize, vocab = model.config.text.vocabSize
        let embed = p["model.text_model.embed_tokens.weight"], head = p["lm_head.weight"]
        for token in 0..<vocab { embed[token * d] = 8 }
        for layer in 0..<model.config.text.layers {
            for name in ["self_attn.o_proj", "mlp.down_proj"] {
                let w = p["model.text_model.layers.\(layer).\(name).weight"], inputs = w.count / d
                for j in 0..<inputs { w[j] = 0 }  // row 0: what the layer adds to dimension 0
            }
        }
        for token in 0..<vocab { head[token * d] = 0 }
        for j in 0..<d { head[Int(image) * d + j] = j == 0 ? -200 : 0 }
        return model
    }

    /// Every answer: a stop token after 0–2 others, or 3 tokens without a stop.
    static func answers() -> [[Int32]] {
        let words = (0..<image).filter { $0 != stop }
        var complete: [[Int32]] = [], open: [[Int32]] = [[]]
        for length in 1...maxTokens {
            complete += open.map { $0 + [stop] }
            open = open.flatMap { prefix in words.map { prefix + [$0] } }
            if length == maxTokens { complete += open }
        }
        return complete
    }

    @Test func estimateConvergesToTheExactKLAndItsIntervalsHaveTheSpreadOfTheEstimates() throws {
        let policy = try Self.model(seed: 1), reference = try Self.model(seed: 2)
        let trainer = try DPOTrainer(policy: policy, adapters: nil, reference: .model(reference), settings: DPOSettings())

        let answers = Self.answers()
        #expect(answers.count == 1 + 6 + 36 + 6 * 6 * 6)
        let scored = answers.map { PreferencePair(prompt: Self.prompt, chosen: $0, rejected: [], images: nil) }
        let lp = try PairScorer.logProbs(policy, pairs: scored, padToken: 0), lr = try PairScorer.logProbs(reference, pairs: scored, padToken: 0)
        let probability = lp.map { exp($0.chosen) }
        // the answers cover the policy's whole distribution: the placeholder takes nothing
        #expect(abs(probability.reduce(0, +) - 1) < 1e-6, "answers hold \(probability.reduce(0, +)) of the probability")
        let divergence = zip(probability, zip(lp, lr)).reduce(0) { $0 + $1.0 * ($1.1.0.chosen - $1.1.1.chosen) }
        let length = zip(probability, answers).reduce(0) { $0 + $1.0 * Double($1.1.count) }
        let exact = divergence / length
        #expect(exact > 0.05, "the two models should differ: exact KL \(exact) per token")

        // 40 seeds of 200 sampled answers each, in two batches of 100 (which must not repeat
        // each other's random numbers)
        let prompts = [PreferencePair](repeating: PreferencePair(prompt: Self.prompt, chosen: [], rejected: [], images: nil), count: 200)
        var estimates: [Double] = [], errors: [Double] = [], halfWidths: [Double] = [], covered = 0
        for seed in 0..<40 {
            let sampling = SamplingSettings(temperature: 1, seed: UInt64(seed), maxNewTokens: Self.maxTokens, stopTokens: [Self.stop])
            let units = try AlignmentMetrics.klTerms(trainer, prompts: prompts, sampling: sampling, batchSize: 100)
            #expect(units.count == prompts.count && units.allSatisfy { $0.denominator >= 1 && $0.denominator <= 3 })
            let interval = Bootstrap.ratio(units, seed: UInt64(seed))
            // the ratio estimator's delta-method standard error, from the units alone
            let tokens = units.reduce(0) { $0 + $1.denominator }, estimate = units.reduce(0) { $0 + $1.numerator } / tokens
            let residuals = units.reduce(0) { $0 + pow($1.numerator - estimate * $1.denominator, 2) }
            let n = Double(units.count)
            estimates.append(estimate)
            errors.append((residuals * n / (n - 1)).squareRoot() / tokens)
            halfWidths.append((interval.upper - interval.lower) / 2)
            if interval.lower <= exact && exact <= interval.upper { covered += 1 }
            #expect(abs(interval.estimate - estimate) < 1e-12)
            #expect(abs(try AlignmentMetrics.kl(trainer, prompts: prompts, sampling: sampling, batchSize: 100) - estimate) < 1e-12)
        }
        let mean = estimates.reduce(0, +) / 40
        let spread = (estimates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 39).squareRoot()
        // unbiased: the mean of 40 estimates within 4 of its standard errors (spread / √40)
        #expect(abs(mean - exact) <= 4 * spread / 40.0.squareRoot(), "mean estimate \(mean) ± \(spread / 40.0.squareRoot()), exact \(exact)")
        // every estimate within 5 of its own standard errors of the exact value
        for (estimate, error) in zip(estimates, errors) {
            #expect(abs(estimate - exact) <= 5 * error, "estimate \(estimate) ± \(error), exact \(exact)")
        }
        // the standard errors and the bootstrap's 95% half-widths (≈ 1.96 of them) match the
        // spread over seeds; 40 seeds know that spread to about ±11%, the bounds allow ±30%
        let meanError = errors.reduce(0, +) / 40, meanHalfWidth = halfWidths.reduce(0, +) / 40
        #expect(meanError / spread > 0.7 && meanError / spread < 1.3, "standard error \(meanError) vs spread \(spread)")
        #expect(meanHalfWidth / (1.96 * spread) > 0.7 && meanHalfWidth / (1.96 * spread) < 1.3,
                "95% half-width \(meanHalfWidth) vs 1.96 × spread \(spread)")
        // 95% intervals: about 38 of 40 cover the exact value; fewer than 34 is 3 sd short
        #expect(covered >= 34, "\(covered) of 40 intervals cover the exact KL \(exact)")
    }
}
