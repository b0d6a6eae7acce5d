import Foundation
import Interchange
import Tensor
import VLM

/// Where the reference log-probs come from.
public enum ReferenceModel {
    /// A separate frozen model.
    case model(any VisionLanguageModel)
    /// A separate frozen model's folder (`--ref-model`), loaded when its log-probs are first
    /// needed: a run whose reference log-probs are all cached never holds it in memory.
    case folder(URL)
    /// The policy with its LoRA adapters switched off: the base it is trained from.
    case adaptersDisabled
}

/// The metrics of a DPO batch, with TRL's names.
public struct DPOMetrics: Sendable, Equatable, Codable {
    public var loss = 0.0
    public var rewardsChosen = 0.0
    public var rewardsRejected = 0.0
    public var rewardsAccuracies = 0.0
    public var rewardsMargins = 0.0
    public var logpsChosen = 0.0
    public var logpsRejected = 0.0
    public var logitsChosen = 0.0
    public var logitsRejected = 0.0
    public var pairs = 0
    public var tokens = 0

    public init() {}

    /// TRL's keys: `loss`, `rewards/chosen`, … (means over the pairs).
    public var trlNamed: [String: Double] {
        ["loss": loss, "rewards/chosen": rewardsChosen, "rewards/rejected": rewardsRejected,
         "rewards/accuracies": rewardsAccuracies, "rewards/margins": rewardsMargins,
         "logps/chosen": logpsChosen, "logps/rejected": logpsRejected,
         "logits/chosen": logitsChosen, "logits/rejected": logitsRejected]
    }
}

/// DPO on a vision-language model: full fine-tuning or LoRA, a reference model or the adapters'
/// base, TRL's losses and metrics. The trainable parameters (all weights, or the adapters only)
/// are one flat buffer with their gradients and AdamW moments laid out alike.
public final class DPOTrainer {
    public let policy: any VisionLanguageModel
    public let adapters: Adapters?
    public let reference: ReferenceModel
    public var settings: DPOSettings
    public var padToken: Int32
    /// The trainable parameters (all weights, or the adapters) and their optimizer.
    public let updater: ParameterUpdater
    /// Vision features of a frozen tower, by image key, so each image is encoded once.
    let visionCache = VisionFeatureCache()
    /// The `.folder` reference once loaded.
    private var loadedReference: (any VisionLanguageModel)?

    public init(policy: any VisionLanguageModel, adapters: Adapters?, reference: ReferenceModel, settings: DPOSettings,
                optimizer: AdamW = AdamW(), maxGradNorm: Float? = 1, padToken: Int32 = 0) throws {
        if case .adaptersDisabled = reference, adapters == nil {
            throw TrainingError("DPO without LoRA adapters needs a reference model")
        }
        try settings.validate()
        self.policy = policy
        self.adapters = adapters
        self.reference = reference
        self.settings = settings
        self.padToken = padToken
        updater = ParameterUpdater(trainable: adapters?.parameters ?? policy.parameters, optimizer: optimizer, maxGradNorm: maxGradNorm)
    }

    /// Summed reference log-probs (chosen, rejected) of each pair, computed without gradients.
    public func referenceLogProbs(_ pairs: [PreferencePair]) throws -> [(chosen: Double, rejected: Double)] {
        switch reference {
        case .model(let model):
            return try PairScorer.logProbs(model, pairs: pairs, padToken: padToken, visionCache: visionCache)
        case .folder(let folder):
            let model = try loadedReference ?? ModelFolder.load(folder)
            loadedReference = model
            return try PairScorer.logProbs(model, pairs: pairs, padToken: padToken, visionCache: visionCache)
        case .adaptersDisabled:
            adapters?.setEnabled(false)
            defer { adapters?.setEnabled(true) }
            return try PairScorer.logProbs(policy, pairs: pairs, padToken: padToken, visionCache: visionCache)
        }
    }

    /// Frees a `.folder` reference loaded for log-probs no longer needed (it loads again if
    /// they are): a run holds it only while it scores the pairs that are not cached.
    public func releaseReference() {
        if let model = loadedReference { visionCache.forget(model) }
        loadedReference = nil
    }

    /// The loss, its gradient into the policy (when `update`), and TRL's metrics for one batch.
    /// `scale` multiplies the loss before its gradient (the batch's share of an optimizer step).
    public func lossAndGradients(
        _ pairs: [PreferencePair], reference refs: [(chosen: Double, rejected: Double)],
        backward: Bool, scale: Double = 1, rng: inout SeededGenerator
    ) throws -> DPOMetrics {
        precondition(refs.count == pairs.count, "one reference pair of log-probs per pair")
        let packed = try PackedPairs(pairs, padToken: padToken)
        let frozenVision = !policy.isVisionTrainable
        let visionOut = frozenVision ? try visionCache.features(for: pairs, model: policy, frozen: true) : nil
        let scores = try CompletionScores(model: policy, batch: packed.batch, images: packed.images, visionOut: visionOut,
                                          rows: packed.rows, targets: packed.targets, training: backward, rng: &rng)
        let n = Double(pairs.count)
        var m = DPOMetrics()
        let dLogProbs = Tensor(shape: [packed.rows.count])
        var chosenLogits = (0.0, 0), rejectedLogits = (0.0, 0)
        var chosenTokenTotal = 0
        for i in 0..<pairs.count {
            let lp = PairLogProbs(policyChosen: scores.sum(packed.chosenRanges[i]), policyRejected: scores.sum(packed.rejectedRanges[i]),
                                  referenceChosen: refs[i].chosen, referenceRejected: refs[i].rejected,
                                  chosenTokens: packed.chosenRanges[i].count, rejectedTokens: packed.rejectedRanges[i].count)
            let (loss, dc, dr) = DPOLoss.pair(lp, settings)
            for r in packed.chosenRanges[i] { dLogProbs[r] = Float(scale * dc / n) }
            for r in packed.rejectedRanges[i] { dLogProbs[r] = Float(scale * dr / n) }
            let beta = Double(settings.beta)
            let rc = beta * lp.chosenLogRatio, rr = beta * lp.rejectedLogRatio
            m.loss += loss / n
            m.rewardsChosen += rc / n
            m.rewardsRejected += rr / n
            m.rewardsAccuracies += (rc > rr ? 1.0 : 0.0) / n
            m.rewardsMargins += (rc - rr) / n
            m.logpsChosen += lp.policyChosen / n
            m.logpsRejected += lp.policyRejected / n
            let c = scores.meanLogits(packed.chosenRanges[i]), r = scores.meanLogits(packed.rejectedRanges[i])
            chosenLogits = (chosenLogits.0 + c.sum, chosenLogits.1 + c.count)
            rejectedLogits = (rejectedLogits.0 + r.sum, rejectedLogits.1 + r.count)
            chosenTokenTotal += packed.chosenRanges[i].count
        }
        if let alpha = settings.rpoAlpha, chosenTokenTotal > 0 {
            // TRL's "sft" term: −mean log p over every chosen token of the batch, weighted by α
            var nll = 0.0
            for range in packed.chosenRanges { for r in range { nll -= Double(scores.tokenLogProbs[r]) } }
            m.loss += Double(alpha) * nll / Double(chosenTokenTotal)
            for range in packed.chosenRanges { for r in range { dLogProbs[r] -= Float(scale * Double(alpha) / Double(chosenTokenTotal)) } }
        }
        m.logitsChosen = chosenLogits.1 > 0 ? chosenLogits.0 / Double(chosenLogits.1) : 0
        m.logitsRejected = rejectedLogits.1 > 0 ? rejectedLogits.0 / Double(rejectedLogits.1) : 0
        m.pairs = pairs.count
        m.tokens = packed.batch.mask.keyMask.map { Int($0.array.reduce(0, +)) } ?? packed.batch.tokens.count
        guard m.loss.isFinite else { throw TrainingError("the DPO loss is \(m.loss): stopping before it reaches the weights") }
        if backward { scores.backward(policy, dLogProbs: dLogProbs) }
        return m
    }
}

/// Summed log-probs of both completions of each pair under a model, without gradients.
public enum PairScorer {
    public static func logProbs(
        _ model: any VisionLanguageModel, pairs: [PreferencePair], padToken: Int32, visionCache: VisionFeatureCache? = nil
    ) throws -> [(chosen: Double, rejected: Double)] {
        let packed = try PackedPairs(pairs, padToken: padToken)
        var rng = SeededGenerator(seed: 0)
        let frozen = !model.isVisionTrainable || model.parameters.gradients == nil
        let visionOut = try visionCache?.features(for: pairs, model: model, frozen: frozen)
        let scores = try CompletionScores(model: model, batch: packed.batch, images: packed.images, visionOut: visionOut,
                                          rows: packed.rows, targets: packed.targets, training: false, rng: &rng)
        return zip(packed.chosenRanges, packed.rejectedRanges).map { (scores.sum($0), scores.sum($1)) }
    }
}
