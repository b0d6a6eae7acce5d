import Foundation
import Tensor
import Testing

@Suite(.timeLimit(.minutes(10))) struct LogProbTests {
    static func referenceLogProbs(_ logits: [Double], targets: [Int32], mask: [Double], vocab: Int) -> [Double] {
        targets.indices.map { i in
            let row = logits[(i * vocab)..<((i + 1) * vocab)]
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            return mask[i] * (row[i * vocab + Int(targets[i])] - lse)
        }
    }

    @Test(arguments: [(1, 1), (7, 33), (3, 1000)])
    func gatheredLogProbs(n: Int, vocab: Int) {
        var r = Inputs(seed: 16)
        let logits = r.tensor([n, vocab], scale: 8)
        let targets = (0..<n).map { Int32(($0 * 13 + 5) % vocab) }
        let mask = Tensor(shape: [n], values: (0..<n).map { $0 % 3 == 1 ? 0 : 1 })
        let logp = Tensor(shape: [n]), lse = Tensor(shape: [n])
        TokenLogProbs.forward(logits: logits, targets: targets, mask: mask, into: logp, logSumExp: lse)
        let f = { (v: [[Double]]) in Self.referenceLogProbs(v[0], targets: targets, mask: mask.doubles, vocab: vocab) }
        expectClose(logp.array, f([logits.doubles]), .forward, "log-probs forward")
        let g = r.tensor([n])
        let dLogits = Tensor(shape: logits.shape)
        TokenLogProbs.backward(g, logits: logits, targets: targets, mask: mask, logSumExp: lse, dLogits: dLogits)
        expectClose(dLogits.array, numericGradient([logits.doubles], wrt: 0, upstream: g.doubles, f),
                    .gradient, "log-probs dLogits")
    }

    @Test func crossEntropyIsMeanNegativeLogProbOverUnmaskedTokens() {
        var r = Inputs(seed: 17)
        let (n, vocab) = (7, 33)
        let logits = r.tensor([n, vocab], scale: 3)
        let targets: [Int32] = [1, 32, 0, 5, 5, 9, 31]
        let mask = Tensor(shape: [n], values: [0, 0, 1, 1, 1, 0, 1])
        let logp = Tensor(shape: [n]), lse = Tensor(shape: [n])
        let loss = CrossEntropy.forward(logits: logits, targets: targets, mask: mask, logp: logp, logSumExp: lse)
        let f = { (v: [[Double]]) -> [Double] in
            [-Self.referenceLogProbs(v[0], targets: targets, mask: mask.doubles, vocab: vocab).reduce(0, +) / 4]
        }
        expectClose([loss], f([logits.doubles]), .forward, "cross-entropy")
        let dLogits = Tensor(shape: logits.shape)
        CrossEntropy.backward(dLoss: 1, logits: logits, targets: targets, mask: mask, logSumExp: lse, dLogits: dLogits)
        expectClose(dLogits.array, numericGradient([logits.doubles], wrt: 0, upstream: [1], f),
                    .gradient, "cross-entropy dLogits")
    }
}

@Suite(.timeLimit(.minutes(10))) struct DeterminismTests {
    /// Kernels split across threads still give bit-identical results on every run.
    @Test func repeatedRunsAreBitIdentical() {
        func run() -> [[Float]] {
            var r = Inputs(seed: 18)
            let x = r.tensor([256, 96]), w = r.tensor([96]), g = r.tensor([256, 96])
            let y = Tensor(shape: x.shape), rstd = Tensor(shape: [256])
            RMSNorm.forward(x, weight: w, eps: 1e-6, into: y, rstd: rstd)
            let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape)
            RMSNorm.backward(g, x: x, weight: w, rstd: rstd, dX: dX, dWeight: dW)
            let ids = (0..<256).map { Int32($0 % 7) }
            let dTable = Tensor(shape: [7, 96])
            Embedding.backward(g, ids: ids, dTable: dTable)
            let q = r.tensor([1, 64, 4, 24]), k = r.tensor([1, 64, 2, 24]), v = r.tensor([1, 64, 2, 24])
            let attention = Attention(heads: 4, kvHeads: 2, headDim: 24, causal: true)
            let out = Tensor(shape: q.shape)
            attention.forward(q: q, k: k, v: v, into: out)
            let dQ = Tensor(shape: q.shape), dK = Tensor(shape: k.shape), dV = Tensor(shape: v.shape)
            attention.backward(out, q: q, k: k, v: v, dQ: dQ, dK: dK, dV: dV)
            return [y.array, dX.array, dW.array, dTable.array, out.array, dQ.array, dK.array, dV.array]
        }
        let first = run()
        for _ in 0..<3 {
            let identical = run() == first
            #expect(identical, "a repeated run differs")
        }
    }
}
