import Foundation

/// Scaled dot-product attention over the [batch, tokens, heads, headDim] layout that the
/// projections produce, so no transposes are needed: each head is a strided matrix for BLAS.
///
/// Grouped-query: query head h reads key/value head h / (heads / kvHeads), as transformers'
/// `repeat_kv` does. Causal masking lets query i (at absolute position `queryOffset + i`) see
/// keys 0...queryOffset + i. `keyMask` [batch, keys] hides padding (0 = hidden). A query that
/// sees no key at all outputs zeros.
public struct Attention: Sendable {
    public let heads: Int
    public let kvHeads: Int
    public let headDim: Int
    public let causal: Bool
    public let scale: Float

    public init(heads: Int, kvHeads: Int, headDim: Int, causal: Bool, scale: Float? = nil) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0,
                     "key/value heads (\(kvHeads)) must divide query heads (\(heads))")
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.causal = causal
        self.scale = scale ?? 1 / Float(headDim).squareRoot()
    }

    /// The sizes of one call. Keys live in a buffer of `keyCapacity` rows per batch element
    /// (a KV cache is larger than what it holds); only the first `keys` are used.
    struct Geometry {
        let batch: Int, queries: Int, keys: Int, keyCapacity: Int
    }

    private func geometry(q: Tensor, k: Tensor, v: Tensor, keys: Int?) -> Geometry {
        precondition(q.rank == 4 && q.dim(2) == heads && q.dim(3) == headDim,
                     "attention queries must be [batch, tokens, \(heads), \(headDim)], got \(q.shape)")
        precondition(k.rank == 4 && k.dim(2) == kvHeads && k.dim(3) == headDim && k.shape == v.shape,
                     "attention keys/values must be [batch, tokens, \(kvHeads), \(headDim)], got \(k.shape), \(v.shape)")
        precondition(k.dim(0) == q.dim(0), "attention batch sizes differ: \(q.shape), \(k.shape)")
        let capacity = k.dim(1)
        let used = keys ?? capacity
        precondition(used <= capacity, "attention over \(used) keys in a buffer of \(capacity)")
        return Geometry(batch: q.dim(0), queries: q.dim(1), keys: used, keyCapacity: capacity)
    }

    /// out [batch, queries, heads, headDim]; probs [batch, heads, queries, keys] is saved for
    /// backward. `keys` limits the key rows read (a KV cache's length).
    public func forward(
        q: Tensor, k: Tensor, v: Tensor, keys: Int? = nil, queryOffset: Int = 0,
        keyMask: Tensor? = nil, into out: Tensor, probs: Tensor
    ) {
        let g = geometry(q: q, k: k, v: v, keys: keys)
        let (tq, tk) = (g.queries, g.keys)
        precondition(out.count == q.count, "attention output \(out.shape) for queries \(q.shape)")
        precondition(probs.count == g.batch * heads * tq * tk,
                     "attention probs \(probs.shape) for [\(g.batch), \(heads), \(tq), \(tk)]")
        if let keyMask {
            precondition(keyMask.count == g.batch * tk, "attention key mask \(keyMask.shape) for [\(g.batch), \(tk)]")
        }
        let group = heads / kvHeads
        let qRow = heads * headDim, kRow = kvHeads * headDim
        // 1. scores S = scale · Q Kᵀ for every (batch, head)
        for b in 0..<g.batch {
            for h in 0..<heads {
                Matmul.gemm(
                    transA: false, transB: true, m: tq, n: tk, k: headDim, alpha: scale,
                    a: q.data + b * tq * qRow + h * headDim, lda: qRow,
                    b: k.data + b * g.keyCapacity * kRow + (h / group) * headDim, ldb: kRow,
                    beta: 0, c: probs.data + (b * heads + h) * tq * tk, ldc: tk)
            }
        }
        // 2. masked softmax, row by row
        maskedSoftmax(probs.data, g: g, queryOffset: queryOffset, keyMask: keyMask?.data)
        // 3. out = P V
        for b in 0..<g.batch {
            for h in 0..<heads {
                Matmul.gemm(
                    transA: false, transB: false, m: tq, n: headDim, k: tk,
                    a: probs.data + (b * heads + h) * tq * tk, lda: tk,
                    b: v.data + b * g.keyCapacity * kRow + (h / group) * headDim, ldb: kRow,
                    beta: 0, c: out.data + b * tq * qRow + h * headDim, ldc: qRow)
            }
        }
    }

    /// Accumulates dQ, dK, dV from dOut and the saved probabilities.
    public func backward(
        _ dOut: Tensor, q: Tensor, k: Tensor, v: Tensor, probs: Tensor, keys: Int? = nil,
        dQ: Tensor, dK: Tensor, dV: Tensor
    ) {
        let g = geometry(q: q, k: k, v: v, keys: keys)
        let (tq, tk) = (g.queries, g.keys)
        let group = heads / kvHeads
        let qRow = heads * headDim, kRow = kvHeads * headDim
        let dS = Tensor(shape: probs.shape)
        for b in 0..<g.batch {
            for h in 0..<heads {
                let p = probs.data + (b * heads + h) * tq * tk
                let ds = dS.data + (b * heads + h) * tq * tk
                let go = dOut.data + b * tq * qRow + h * headDim
                let kv = b * g.keyCapacity * kRow + (h / group) * headDim
                // dP = dO Vᵀ
                Matmul.gemm(transA: false, transB: true, m: tq, n: tk, k: headDim,
                            a: go, lda: qRow, b: v.data + kv, ldb: kRow, beta: 0, c: ds, ldc: tk)
                // dV += Pᵀ dO
                Matmul.gemm(transA: true, transB: false, m: tk, n: headDim, k: tq,
                            a: p, lda: tk, b: go, ldb: qRow, beta: 1, c: dV.data + kv, ldc: kRow)
            }
        }
        softmaxBackward(dS.data, probs: probs.data, rows: g.batch * heads * tq, cols: tk)
        for b in 0..<g.batch {
            for h in 0..<heads {
                let ds = dS.data + (b * heads + h) * tq * tk
                let qo = b * tq * qRow + h * headDim
                let kv = b * g.keyCapacity * kRow + (h / group) * headDim
                // dQ += scale · dS K ; dK += scale · dSᵀ Q
                Matmul.gemm(transA: false, transB: false, m: tq, n: headDim, k: tk, alpha: scale,
                            a: ds, lda: tk, b: k.data + kv, ldb: kRow, beta: 1, c: dQ.data + qo, ldc: qRow)
                Matmul.gemm(transA: true, transB: false, m: tk, n: headDim, k: tq, alpha: scale,
                            a: ds, lda: tk, b: q.data + qo, ldb: qRow, beta: 1, c: dK.data + kv, ldc: kRow)
            }
        }
    }

    private func maskedSoftmax(
        _ s: UnsafeMutablePointer<Float>, g: Geometry, queryOffset: Int,
        keyMask: UnsafeMutablePointer<Float>?
    ) {
        let (tq, tk) = (g.queries, g.keys)
        let causal = self.causal, heads = self.heads
        Parallel.forEach(g.batch * heads * tq, cost: 4 * tk) { rows in
            for r in rows {
                let row = s + r * tk
                let b = r / (heads * tq), i = r % tq
                let visible = causal ? min(tk, queryOffset + i + 1) : tk
                let mask = keyMask.map { $0 + b * tk }
                var maxv = -Float.infinity
                for j in 0..<visible where mask == nil || mask![j] != 0 { maxv = max(maxv, row[j]) }
                if maxv == -Float.infinity {  // nothing to attend to
                    row.update(repeating: 0, count: tk)
                    continue
                }
                var sum: Float = 0
                for j in 0..<visible {
                    if let mask, mask[j] == 0 {
                        row[j] = 0
                    } else {
                        let e = expf(row[j] - maxv)
                        row[j] = e
                        sum += e
                    }
                }
                let inv = 1 / sum
                for j in 0..<visible { row[j] *= inv }
                (row + visible).update(repeating: 0, count: tk - visible)
            }
        }
    }

    /// In place: dS = P ⊙ (dP - Σ_j dP·P), row by row.
    private func softmaxBackward(
        _ d: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        Parallel.forEach(rows, cost: 4 * cols) { rs in
            for r in rs {
                let dr = d + r * cols, pr = probs + r * cols
                var dot: Float = 0
                for j in 0..<cols { dot += dr[j] * pr[j] }
                for j in 0..<cols { dr[j] = pr[j] * (dr[j] - dot) }
            }
        }
    }
}
