import Foundation
import Interchange
import Tensor
import VLM

/// Supervised fine-tuning: mean cross-entropy over the learned tokens of a batch (completions,
/// or assistant turns; prompts and images condition them but are not learned), as TRL's
/// SFTTrainer with completion-only or assistant-only loss.
public final class SFTObjective: TrainingObjective {
    public let model: any VisionLanguageModel
    public let updater: ParameterUpdater
    let examples: [SupervisedExample]
    let evalExamples: [SupervisedExample]
    let padToken: Int32
    let imageWords: ImageTokenWords?
    let visionCache = VisionFeatureCache()

    public init(model: any VisionLanguageModel, adapters: Adapters?, examples: [SupervisedExample], evalExamples: [SupervisedExample] = [],
                padToken: Int32, imageWords: ImageTokenWords? = nil, maxGradNorm: Float? = 1) throws {
        guard model.parameters.gradients != nil || adapters != nil else {
            throw TrainingError("the model has no trainable parameters: enable gradients or attach adapters")
        }
        self.model = model
        self.examples = examples
        self.evalExamples = evalExamples
        self.padToken = padToken
        self.imageWords = imageWords
        updater = ParameterUpdater(trainable: adapters?.parameters ?? model.parameters, optimizer: AdamW(), maxGradNorm: maxGradNorm)
    }

    public var exampleCount: Int { examples.count }

    /// Its learned tokens: the loss of a step is the mean over all the learned tokens of its batches.
    public func weight(of indices: [Int]) -> Double {
        Double(indices.reduce(0) { total, i in total + examples[i].learned.reduce(0) { $0 + $1.count } })
    }

    public func step(_ indices: [Int], scale: Double, rng: inout SeededGenerator) throws -> BatchResult {
        try loss(indices.map { examples[$0] }, backward: true, scale: scale, rng: &rng)
    }

    public func evaluate(batchSize: Int) throws -> [String: Double]? {
        guard !evalExamples.isEmpty else { return nil }
        var totals: [String: Double] = [:], tokens = 0
        var rng = SeededGenerator(seed: 0)
        for start in stride(from: 0, to: evalExamples.count, by: max(batchSize, 1)) {
            let batch = Array(evalExamples[start..<min(evalExamples.count, start + max(batchSize, 1))])
            let r = try loss(batch, backward: false, scale: 1, rng: &rng)
            let n = Double(r.metrics["num_completion_tokens"] ?? 0)
            for (k, v) in r.metrics where k != "num_completion_tokens" { totals[k, default: 0] += v * n }
            tokens += Int(n)
        }
        return totals.mapValues { $0 / Double(max(tokens, 1)) }
    }

    func loss(_ batch: [SupervisedExample], backward: Bool, scale: Double, rng: inout SeededGenerator) throws -> BatchResult {
        let packed = try PackedExamples(batch, padToken: padToken)
        let frozen = !model.isVisionTrainable
        let visionOut = frozen ? try visionCache.features(for: batch, model: model, frozen: true) : nil
        let scores = try CompletionScores(model: model, batch: packed.batch, images: packed.images, visionOut: visionOut,
                                          rows: packed.rows, targets: packed.targets, training: backward, rng: &rng)
        let n = packed.rows.count
        guard n > 0 else { throw TrainingError("a batch without completion tokens") }
        var nll = 0.0, correct = 0
        let v = scores.logits.dim(1)
        for r in 0..<n {
            nll -= Double(scores.tokenLogProbs[r])
            let row = scores.logits.data + r * v
            var best = 0
            for j in 1..<v where row[j] > row[best] { best = j }
            if Int32(best) == packed.targets[r] { correct += 1 }
        }
        let loss = nll / Double(n)
        guard loss.isFinite else { throw TrainingError("the SFT loss is \(loss): stopping before it reaches the weights") }
        var metrics = ["loss": loss, "mean_token_accuracy": Double(correct) / Double(n), "num_completion_tokens": Double(n)]
        var words: ImageTokenWords.Result? = nil
        if let imageWords, let logits = model.imageTokenLogits(scores.pass) {
            words = try imageWords.evaluate(logits: logits, keys: batch.flatMap(\.imageKeys), gradientScale: backward ? Float(scale) : nil)
            metrics["image_word_loss"] = words!.loss
            metrics["image_word_accuracy"] = Double(words!.correct) / Double(max(words!.tokens, 1))
        }
        if backward {
            let d = Tensor(shape: [n], values: [Float](repeating: Float(-scale / Double(n)), count: n))
            scores.backward(model, dLogProbs: d, dImageTokenLogits: words?.dLogits)
        }
        let tokens = packed.batch.mask.keyMask.map { Int($0.array.reduce(0, +)) } ?? packed.batch.tokens.count
        return BatchResult(metrics: metrics, tokens: tokens)
    }
}
