import Foundation
import Interchange
import Tensor
import VLM

/// Log-probabilities of the completion tokens of packed sequences: one forward pass, the LM
/// head on the completion rows only, and (for training) the way back.
struct CompletionScores {
    let pass: any ForwardPass
    let logits: Tensor
    let tokenLogProbs: Tensor
    let logSumExp: Tensor
    let rows: [Int]
    let targets: [Int32]
    let mask: Tensor

    init(model: any VisionLanguageModel, batch: TextBatch, images: ImageBatch?, visionOut: Tensor?, rows: [Int], targets: [Int32],
         training: Bool, rng: inout SeededGenerator) throws {
        pass = try model.forward(batch, images: images, visionOut: visionOut, caches: nil, training: training, rng: &rng)
        logits = model.logits(pass, rows: rows)
        mask = Tensor(shape: [rows.count], values: [Float](repeating: 1, count: rows.count))
        tokenLogProbs = Tensor(shape: [rows.count])
        logSumExp = Tensor(shape: [rows.count])
        TokenLogProbs.forward(logits: logits, targets: targets, mask: mask, into: tokenLogProbs, logSumExp: logSumExp)
        self.rows = rows
        self.targets = targets
    }

    /// Σ log p over a range of rows, in Float64.
    func sum(_ range: Range<Int>) -> Double {
        range.reduce(0.0) { $0 + Double(tokenLogProbs[$1]) }
    }

    /// Mean over a range of rows of the mean logit (TRL's `logits/chosen`, `logits/rejected`).
    func meanLogits(_ range: Range<Int>) -> (sum: Double, count: Int) {
        let v = logits.dim(1)
        var total = 0.0
        for r in range { total += Double(VectorMath.sum(logits.data + r * v, count: v)) / Double(v) }
        return (total, range.count)
    }

    /// Accumulates the model's gradients for dLoss/dlogp[row] = `dLogProbs` (and an auxiliary
    /// loss's on the image tokens' logits).
    func backward(_ model: any VisionLanguageModel, dLogProbs: Tensor, dImageTokenLogits: Tensor? = nil) {
        let dLogits = Tensor(shape: logits.shape)
        TokenLogProbs.backward(dLogProbs, logits: logits, targets: targets, mask: mask, logSumExp: logSumExp, dLogits: dLogits)
        model.backward(pass, rows: rows, dLogits: dLogits, dImageTokenLogits: dImageTokenLogits)
    }
}
