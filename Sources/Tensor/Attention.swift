import CKernels
import Foundation

/// A packed sequence [shared prefix | branch 1 | branch 2 | …] in which every branch continues
/// the prefix: a query of a branch sees the prefix and its own branch's earlier tokens, never
/// another branch. DPO packs (prompt, chosen, rejected) this way so that the prompt and image
/// are encoded once for both answers, forward and backward.
public struct BranchLayout: Sendable, Equatable {
    public let prefix: Int
    /// Start of each branch, ascending, the first equal to `prefix`.
    public let branchStarts: [Int]

    public init(prefix: Int, branchStarts: [Int]) {
        precondition(branchStarts.first == prefix && branchStarts == branchStarts.sorted(),
                     "branches must start at the prefix end and ascend: \(prefix), \(branchStarts)")
        self.prefix = prefix
        self.branchStarts = branchStarts
    }

    /// Keys that token i may not see although they come before it: the earlier branches.
    func hiddenKeys(before i: Int) -> Range<Int> {
        guard i >= prefix, let start = branchStarts.last(where: { $0 <= i }) else { return prefix..<prefix }
        return prefix..<start
    }
}

/// Scaled dot-product attention over the [batch, tokens, heads, headDim] layout that the
/// projections produce, so no transposes are needed: each head is a strided matrix for BLAS.
///
/// Grouped-query: query head h reads key/value head h / (heads / kvHeads), as transformers'
/// `repeat_kv` does. Causal masking lets query i (at absolute position `queryOffset + i`) see
/// keys 0...queryOffset + i. `keyMask` [batch, keys] hides padding (0 = hidden); `branches`
/// (one layout per batch row, causal only) hides other branches. A query that sees no key at
/// all outputs zeros.
///
/// Work is split into blocks of query rows (forward, and dQ) or key rows (dK, dV) of one head:
/// each block's products are single-threaded GEMMs, and blocks run on all cores. Under a causal
/// mask a block's products stop at the last key its rows can see (or start at the first query
/// that sees its keys), so about half of the work of a long sequence is skipped.
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

    /// Rows of queries (or keys) one task handles.
    static let blockRows = 64

    /// The sizes and strides of one call. Keys live in a buffer of `keyCapacity` rows per batch
    /// element (a KV cache is larger than what it holds); only the first `keys` are used.
    struct Geometry {
        let batch: Int, queries: Int, keys: Int, keyCapacity: Int, heads: Int, kvHeads: Int, headDim: Int
        var group: Int { heads / kvHeads }
        var qRow: Int { heads * headDim }
        var kRow: Int { kvHeads * headDim }
        /// Offset of query row i of head h in batch b.
        func q(_ b: Int, _ h: Int, _ i: Int) -> Int { (b * queries + i) * qRow + h * headDim }
        /// Offset of key row j of key/value head g in batch b.
        func k(_ b: Int, _ g: Int, _ j: Int) -> Int { (b * keyCapacity + j) * kRow + g * headDim }
        /// Offset of score row i of head h in batch b.
        func p(_ b: Int, _ h: Int, _ i: Int) -> Int { ((b * heads + h) * queries + i) * keys }
    }

    /// Keys that query rows `rows` may see: all of them, or under a causal mask the first
    /// queryOffset + rows.upperBound.
    private func visibleKeys(_ rows: Range<Int>, keys: Int, queryOffset: Int) -> Int {
        causal ? min(keys, queryOffset + rows.upperBound) : keys
    }

    /// The first query row that sees any of the keys `rows`.
    private func firstQuery(seeing rows: Range<Int>, queries: Int, queryOffset: Int) -> Int {
        causal ? min(queries, max(0, rows.lowerBound - queryOffset)) : 0
    }

    private func geometry(
        q: Tensor, k: Tensor, v: Tensor, keys: Int?, queryOffset: Int, keyMask: Tensor?, branches: [BranchLayout]?
    ) -> Geometry {
        precondition(q.rank == 4 && q.dim(2) == heads && q.dim(3) == headDim,
                     "attention queries must be [batch, tokens, \(heads), \(headDim)], got \(q.shape)")
        precondition(k.rank == 4 && k.dim(2) == kvHeads && k.dim(3) == headDim && k.shape == v.shape,
                     "attention keys/values must be [batch, tokens, \(kvHeads), \(headDim)], got \(k.shape), \(v.shape)")
        precondition(k.dim(0) == q.dim(0), "attention batch sizes differ: \(q.shape), \(k.shape)")
        let capacity = k.dim(1)
        let used = keys ?? capacity
        precondition(used <= capacity, "attention over \(used) keys in a buffer of \(capacity)")
        if let keyMask {
            precondition(keyMask.count == q.dim(0) * used, "attention key mask \(keyMask.shape) for [\(q.dim(0)), \(used)]")
        }
        if let branches {
            precondition(causal && branches.count == q.dim(0) && queryOffset == 0 && q.dim(1) == used,
                         "branch layouts need causal self-attention over whole rows, one layout per batch row")
        }
        return Geometry(batch: q.dim(0), queries: q.dim(1), keys: used, keyCapacity: capacity,
                        heads: heads, kvHeads: kvHeads, headDim: headDim)
    }

    /// Calls body(batch, head, rows, scratch) for blocks of `length` rows of every (batch, head),
    /// on all cores; `scratch` holds `scratchPerBlock` floats, one buffer per thread's run of
    /// blocks (a buffer per block would be mapped and unmapped hundreds of times a layer).
    private static func forEachBlock(
        batch: Int, heads: Int, length: Int, cost: Int, scratchPerBlock: Int = 0,
        _ body: (Int, Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let perHead = (length + blockRows - 1) / blockRows
        Parallel.forEach(batch * heads * perHead, cost: cost) { tasks in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchPerBlock)
            defer { scratch.deallocate() }
            for task in tasks {
                let block = task % perHead, bh = task / perHead
                body(bh / heads, bh % heads, (block * blockRows)..<min(length, (block + 1) * blockRows), scratch)
            }
        }
    }

    /// Floating-point operations of the matrix products that forward + backward perform (with
    /// the causal skipping), for rates and utilisation figures.
    public func productFLOPs(batch: Int, queries: Int, keys: Int, queryOffset: Int = 0) -> Double {
        var perHead = 0.0
        for start in stride(from: 0, to: queries, by: Self.blockRows) {
            let rows = start..<min(queries, start + Self.blockRows)
            // forward S and O, backward S again, dP and dQ: five rows × seen × headDim products
            perHead += 5 * 2 * Double(rows.count * visibleKeys(rows, keys: keys, queryOffset: queryOffset) * headDim)
        }
        for start in stride(from: 0, to: keys, by: Self.blockRows) {
            let rows = start..<min(keys, start + Self.blockRows)
            let first = firstQuery(seeing: rows, queries: queries, queryOffset: queryOffset)
            // backward dV and dK: two rows × headDim × (queries - first) products
            perHead += 2 * 2 * Double(rows.count * headDim * (queries - first))
        }
        return perHead * Double(batch * heads)
    }

    /// The probabilities table of a call: [batch, heads, queries, keys] floats.
    public func tableShape(batch: Int, queries: Int, keys: Int) -> [Int] { [batch, heads, queries, keys] }

    /// out [batch, queries, heads, headDim]. Blocks of query rows score into a scratch per
    /// thread, so the call holds no T × T table — unless `table` (of `tableShape`) is given: then
    /// the probabilities are kept there for backward, which otherwise computes them again (one
    /// more QKᵀ product and softmax: ~1% of a DPO step, ~19% of a 1024-patch tower pass).
    /// `keys` limits the key rows read (a KV cache's length).
    public func forward(
        q: Tensor, k: Tensor, v: Tensor, keys: Int? = nil, queryOffset: Int = 0,
        keyMask: Tensor? = nil, branches: [BranchLayout]? = nil, keepingIn table: Tensor? = nil, into out: Tensor
    ) {
        let g = geometry(q: q, k: k, v: v, keys: keys, queryOffset: queryOffset, keyMask: keyMask, branches: branches)
        precondition(out.count == q.count, "attention output \(out.shape) for queries \(q.shape)")
        let shape = tableShape(batch: g.batch, queries: g.queries, keys: g.keys)
        precondition(table.map { $0.count == shape.reduce(1, *) } ?? true, "attention table \(table?.shape ?? []) for \(shape)")
        let (vp, op) = (v.data, out.data)
        let tk = g.keys, d = headDim
        Self.forEachBlock(batch: g.batch, heads: heads, length: g.queries, cost: Self.blockRows * tk * d * 4,
                          scratchPerBlock: table == nil ? min(Self.blockRows, g.queries) * tk : 0) { b, h, rows, scratch in
            let scores = table.map { $0.data + g.p(b, h, rows.lowerBound) } ?? scratch
            let seen = probabilities(g, b, h, rows, q: q, k: k, queryOffset: queryOffset, keyMask: keyMask,
                                     branches: branches, into: scores)
            // O = P V
            Matmul.gemmSerial(transA: false, transB: false, m: rows.count, n: d, k: seen,
                              a: scores, lda: tk, b: vp + g.k(b, h / g.group, 0), ldb: g.kRow,
                              beta: 0, c: op + g.q(b, h, rows.lowerBound), ldc: g.qRow)
        }
    }

    /// P of query rows `rows` of head h in batch b into `scores` (rows of `g.keys`): S = scale ·
    /// Q Kᵀ, then the masked softmax row by row. Returns how many keys the rows see.
    private func probabilities(
        _ g: Geometry, _ b: Int, _ h: Int, _ rows: Range<Int>, q: Tensor, k: Tensor, queryOffset: Int,
        keyMask: Tensor?, branches: [BranchLayout]?, into scores: UnsafeMutablePointer<Float>
    ) -> Int {
        let tk = g.keys
        let seen = visibleKeys(rows, keys: tk, queryOffset: queryOffset)
        Matmul.gemmSerial(transA: false, transB: true, m: rows.count, n: seen, k: headDim, alpha: scale,
                          a: q.data + g.q(b, h, rows.lowerBound), lda: g.qRow, b: k.data + g.k(b, h / g.group, 0), ldb: g.kRow,
                          beta: 0, c: scores, ldc: tk)
        let mask = keyMask.map { $0.data + b * tk }
        for i in rows {
            let visible = causal ? min(tk, queryOffset + i + 1) : tk
            let hidden = branches?[b].hiddenKeys(before: i) ?? 0..<0
            Self.softmax(scores + (i - rows.lowerBound) * tk, count: tk, visible: visible, hidden: hidden, mask: mask)
        }
        return seen
    }

    /// Accumulates dQ, dK, dV from dOut; the arguments after v must be the forward call's. The
    /// probabilities are read from the table forward kept, or computed again into one that lives
    /// only during this call.
    public func backward(
        _ dOut: Tensor, q: Tensor, k: Tensor, v: Tensor, keys: Int? = nil, queryOffset: Int = 0,
        keyMask: Tensor? = nil, branches: [BranchLayout]? = nil, keptIn table: Tensor? = nil,
        dQ: Tensor, dK: Tensor, dV: Tensor
    ) {
        let g = geometry(q: q, k: k, v: v, keys: keys, queryOffset: queryOffset, keyMask: keyMask, branches: branches)
        let tq = g.queries, tk = g.keys, d = headDim, scale = self.scale
        let shape = tableShape(batch: g.batch, queries: tq, keys: tk)
        precondition(table.map { $0.count == shape.reduce(1, *) } ?? true, "attention table \(table?.shape ?? []) for \(shape)")
        let probs = table ?? Tensor(shape: shape), dS = Tensor(shape: shape)
        let (qp, kp, vp, pp, go, ds) = (q.data, k.data, v.data, probs.data, dOut.data, dS.data)
        let (dq, dk, dv) = (dQ.data, dK.data, dV.data)
        // 1. by query rows: P; dP = dO Vᵀ; dS = P ⊙ (dP - rowsum(dP ⊙ P)); dQ += scale · dS K
        Self.forEachBlock(batch: g.batch, heads: heads, length: tq, cost: Self.blockRows * tk * d * 6) { b, h, rows, _ in
            let kv = g.k(b, h / g.group, 0), dsBlock = ds + g.p(b, h, rows.lowerBound)
            let seen = table != nil ? visibleKeys(rows, keys: tk, queryOffset: queryOffset)
                : probabilities(g, b, h, rows, q: q, k: k, queryOffset: queryOffset, keyMask: keyMask,
                                branches: branches, into: pp + g.p(b, h, rows.lowerBound))
            Matmul.gemmSerial(transA: false, transB: true, m: rows.count, n: seen, k: d,
                              a: go + g.q(b, h, rows.lowerBound), lda: g.qRow, b: vp + kv, ldb: g.kRow,
                              beta: 0, c: dsBlock, ldc: tk)
            for i in rows { Self.softmaxBackward(ds + g.p(b, h, i), probs: pp + g.p(b, h, i), count: seen) }
            Matmul.gemmSerial(transA: false, transB: false, m: rows.count, n: d, k: seen, alpha: scale,
                              a: dsBlock, lda: tk, b: kp + kv, ldb: g.kRow,
                              beta: 1, c: dq + g.q(b, h, rows.lowerBound), ldc: g.qRow)
        }
        // 2. by key rows of each key/value head, summing its query heads in order:
        //    dV += Pᵀ dO ; dK += scale · dSᵀ Q
        Self.forEachBlock(batch: g.batch, heads: kvHeads, length: tk, cost: Self.blockRows * tq * d * 4 * g.group) { b, kvh, rows, _ in
            let kv = g.k(b, kvh, rows.lowerBound)
            let first = firstQuery(seeing: rows, queries: tq, queryOffset: queryOffset)
            for h in (kvh * g.group)..<((kvh + 1) * g.group) {
                let column = g.p(b, h, first) + rows.lowerBound
                Matmul.gemmSerial(transA: true, transB: false, m: rows.count, n: d, k: tq - first,
                                  a: pp + column, lda: tk, b: go + g.q(b, h, first), ldb: g.qRow,
                                  beta: 1, c: dv + kv, ldc: g.kRow)
                Matmul.gemmSerial(transA: true, transB: false, m: rows.count, n: d, k: tq - first, alpha: scale,
                                  a: ds + column, lda: tk, b: qp + g.q(b, h, first), ldb: g.qRow,
                                  beta: 1, c: dk + kv, ldc: g.kRow)
            }
        }
    }

    /// In place over one row of scores: softmax over the first `visible` entries not hidden by
    /// `mask` nor in `hidden`, zeros elsewhere (all zeros when nothing is visible).
    @inline(__always)
    private static func softmax(
        _ row: UnsafeMutablePointer<Float>, count: Int, visible: Int, hidden: Range<Int>,
        mask: UnsafeMutablePointer<Float>?
    ) {
        if let mask { for j in 0..<visible where mask[j] == 0 { row[j] = -.infinity } }
        for j in hidden where j < visible { row[j] = -.infinity }
        vlm_softmax_f32(vlm_isa_best(), row, visible)
        (row + visible).update(repeating: 0, count: count - visible)
    }

    /// In place over one row: dS = P ⊙ (dP - Σ_j dP·P).
    @inline(__always)
    private static func softmaxBackward(
        _ d: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, count: Int
    ) {
        let dot = VectorMath.dot(d, probs, count: count)
        for j in 0..<count { d[j] = probs[j] * (d[j] - dot) }
    }
}
