import Foundation

/// Log-softmax over the vocabulary with the target token's log-probability gathered per row:
/// logp[i] = mask[i] · (logits[i, target[i]] - logsumexp(logits[i])). DPO sums these over a
/// response; SFT's cross-entropy averages them.
public enum TokenLogProbs {
    /// logits [N, V], targets (N), mask [N] (0 or 1; masked rows may hold any target)
    /// → logp [N]; saves logsumexp [N] for backward.
    public static func forward(
        logits: Tensor, targets: [Int32], mask: Tensor, into logp: Tensor, logSumExp: Tensor
    ) {
        let v = logits.dim(-1), n = logits.rows
        precondition(targets.count == n && mask.count == n && logp.count == n && logSumExp.count == n,
                     "log-prob shapes: logits \(logits.shape), \(targets.count) targets, mask \(mask.shape)")
        let lg = logits.data, m = mask.data, out = logp.data, lse = logSumExp.data
        for i in 0..<n where m[i] != 0 {
            precondition(targets[i] >= 0 && Int(targets[i]) < v, "target \(targets[i]) outside vocabulary of \(v)")
        }
        targets.withUnsafeBufferPointer { t in
            Parallel.forEach(n, cost: 3 * v) { rows in
                for i in rows {
                    let row = lg + i * v
                    let maxv = VectorMath.max(row, count: v)
                    lse[i] = maxv + logf(VectorMath.sumExpShifted(row, count: v, shift: maxv))
                    out[i] = m[i] == 0 ? 0 : m[i] * (row[Int(t[i])] - lse[i])
                }
            }
        }
    }

    /// Accumulates dLogits[i] += dLogp[i] · mask[i] · (onehot(target[i]) - softmax(logits[i])).
    public static func backward(
        _ dLogp: Tensor, logits: Tensor, targets: [Int32], mask: Tensor, logSumExp: Tensor,
        dLogits: Tensor
    ) {
        let v = logits.dim(-1), n = logits.rows
        let lg = logits.data, m = mask.data, g = dLogp.data, lse = logSumExp.data, dl = dLogits.data
        targets.withUnsafeBufferPointer { t in
            Parallel.forEach(n, cost: 3 * v) { rows in
                for i in rows {
                    let scale = g[i] * m[i]
                    if scale == 0 { continue }
                    let row = lg + i * v, drow = dl + i * v, l = lse[i]
                    for j in 0..<v { drow[j] -= scale * VectorMath.exp(row[j] - l) }
                    drow[Int(t[i])] += scale
                }
            }
        }
    }
}

/// Mean cross-entropy over the unmasked tokens, on top of `TokenLogProbs`.
public enum CrossEntropy {
    /// Returns -Σ mask·logp / Σ mask (0 when nothing is unmasked); fills logp and logSumExp.
    public static func forward(
        logits: Tensor, targets: [Int32], mask: Tensor, logp: Tensor, logSumExp: Tensor
    ) -> Float {
        TokenLogProbs.forward(logits: logits, targets: targets, mask: mask, into: logp, logSumExp: logSumExp)
        let count = mask.array.reduce(0, +)
        return count == 0 ? 0 : -logp.array.reduce(0, +) / count
    }

    /// Accumulates dLogits for the loss scaled by dLoss.
    public static func backward(
        dLoss: Float, logits: Tensor, targets: [Int32], mask: Tensor, logSumExp: Tensor,
        dLogits: Tensor
    ) {
        let count = mask.array.reduce(0, +)
        guard count > 0 else { return }
        let dLogp = Tensor(shape: [mask.count], values: [Float](repeating: -dLoss / count, count: mask.count))
        TokenLogProbs.backward(dLogp, logits: logits, targets: targets, mask: mask,
                               logSumExp: logSumExp, dLogits: dLogits)
    }
}

/// log σ(x) = min(x, 0) - log1p(exp(-|x|)), stable for any x; DPO's loss is built on it.
public enum LogSigmoid {
    public static func forward(_ x: Tensor, into out: Tensor) {
        precondition(out.count == x.count, "logsigmoid shapes: \(x.shape) → \(out.shape)")
        for i in 0..<x.count { out[i] = value(x[i]) }
    }

    /// Accumulates dX += dOut · σ(-x).
    public static func backward(_ dOut: Tensor, x: Tensor, dX: Tensor) {
        for i in 0..<x.count { dX[i] += dOut[i] * derivative(x[i]) }
    }

    @inline(__always) public static func value(_ x: Float) -> Float {
        min(x, 0) - log1pf(expf(-abs(x)))
    }

    /// d/dx log σ(x) = σ(-x).
    @inline(__always) public static func derivative(_ x: Float) -> Float {
        x >= 0 ? expf(-x) / (1 + expf(-x)) : 1 / (1 + expf(x))
    }
}
