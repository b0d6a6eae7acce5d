import Foundation
import Tensor
import Testing

/// Naive attention in Float64 with transformers' semantics: repeat_kv for grouped heads, an
/// additive -inf mask for causality and padding, softmax, and zeros for a query that sees no key.
func referenceAttention(
    q: [Double], k: [Double], v: [Double], batch: Int, tq: Int, tk: Int,
    heads: Int, kvHeads: Int, dim: Int, causal: Bool, offset: Int, keyMask: [Double]?,
    sees: (Int, Int, Int) -> Bool = { _, _, _ in true }
) -> [Double] {
    var out = [Double](repeating: 0, count: batch * tq * heads * dim)
    let scale = 1 / Double(dim).squareRoot()
    for b in 0..<batch {
        for h in 0..<heads {
            let kh = h / (heads / kvHeads)
            for i in 0..<tq {
                var scores = [Double](repeating: -.infinity, count: tk)
                for j in 0..<tk {
                    if causal && j > offset + i { continue }
                    if let keyMask, keyMask[b * tk + j] == 0 { continue }
                    if !sees(b, i, j) { continue }
                    var s = 0.0
                    for d in 0..<dim {
                        s += q[((b * tq + i) * heads + h) * dim + d] * k[((b * tk + j) * kvHeads + kh) * dim + d]
                    }
                    scores[j] = s * scale
                }
                let m = scores.max()!
                if m == -.infinity { continue }
                let e = scores.map { exp($0 - m) }
                let z = e.reduce(0, +)
                for d in 0..<dim {
                    var s = 0.0
                    for j in 0..<tk { s += e[j] / z * v[((b * tk + j) * kvHeads + kh) * dim + d] }
                    out[((b * tq + i) * heads + h) * dim + d] = s
                }
            }
        }
    }
    return out
}

@Suite(.timeLimit(.minutes(10))) struct AttentionTests {
    struct Case: Sendable, CustomStringConvertible {
        let batch, tq, tk, heads, kvHeads, dim: Int
        let causal: Bool
        let padded: Bool
        var description: String { "b\(batch) q\(tq) k\(tk) h\(heads)/\(kvHeads) d\(dim) causal=\(causal) padded=\(padded)" }
    }

    static let cases: [Case] = [
        Case(batch: 1, tq: 1, tk: 1, heads: 1, kvHeads: 1, dim: 1, causal: true, padded: false),
        Case(batch: 2, tq: 7, tk: 7, heads: 4, kvHeads: 2, dim: 6, causal: true, padded: true),
        Case(batch: 1, tq: 7, tk: 7, heads: 3, kvHeads: 1, dim: 5, causal: false, padded: false),
        Case(batch: 2, tq: 3, tk: 7, heads: 6, kvHeads: 3, dim: 4, causal: false, padded: true),
        Case(batch: 1, tq: 33, tk: 33, heads: 2, kvHeads: 1, dim: 3, causal: true, padded: false),
        Case(batch: 2, tq: 3, tk: 7, heads: 4, kvHeads: 2, dim: 4, causal: true, padded: true),
        Case(batch: 1, tq: 70, tk: 70, heads: 2, kvHeads: 2, dim: 3, causal: true, padded: false),
        // a last block of one key row: its backward products have one row read down a column
        Case(batch: 1, tq: 65, tk: 65, heads: 2, kvHeads: 1, dim: 3, causal: false, padded: false),
    ]

    @Test(arguments: cases)
    func forwardAndGradients(c: Case) {
        var r = Inputs(seed: 8)
        let q = r.tensor([c.batch, c.tq, c.heads, c.dim], scale: 2)
        let k = r.tensor([c.batch, c.tk, c.kvHeads, c.dim], scale: 2)
        let v = r.tensor([c.batch, c.tk, c.kvHeads, c.dim])
        // left padding in the second sequence: its first two keys are hidden
        let mask: Tensor? = c.padded
            ? Tensor(shape: [c.batch, c.tk], values: (0..<c.batch * c.tk).map { i in i >= c.tk && i % c.tk < 2 ? 0 : 1 })
            : nil
        let offset = c.causal ? c.tk - c.tq : 0
        let attention = Attention(heads: c.heads, kvHeads: c.kvHeads, headDim: c.dim, causal: c.causal)
        let out = Tensor(shape: q.shape)
        attention.forward(q: q, k: k, v: v, queryOffset: offset, keyMask: mask, into: out)
        let f = { (x: [[Double]]) in
            referenceAttention(q: x[0], k: x[1], v: x[2], batch: c.batch, tq: c.tq, tk: c.tk, heads: c.heads,
                               kvHeads: c.kvHeads, dim: c.dim, causal: c.causal, offset: offset, keyMask: mask?.doubles)
        }
        let inputs = [q.doubles, k.doubles, v.doubles]
        expectClose(out.array, f(inputs), .forward, "attention forward \(c)")

        let g = r.tensor(q.shape)
        let dQ = Tensor(shape: q.shape), dK = Tensor(shape: k.shape), dV = Tensor(shape: v.shape)
        // the probabilities computed again with the same offset and mask
        attention.backward(g, q: q, k: k, v: v, queryOffset: offset, keyMask: mask, dQ: dQ, dK: dK, dV: dV)
        for (i, grad) in [dQ, dK, dV].enumerated() {
            expectClose(grad.array, numericGradient(inputs, wrt: i, upstream: g.doubles, f),
                        .gradient, "attention d\(["Q", "K", "V"][i]) \(c)")
        }

        // forward keeping the probabilities, backward reading them: the same numbers, bit for bit
        let table = Tensor(shape: attention.tableShape(batch: c.batch, queries: c.tq, keys: c.tk))
        let keptOut = Tensor(shape: q.shape)
        attention.forward(q: q, k: k, v: v, queryOffset: offset, keyMask: mask, keepingIn: table, into: keptOut)
        #expect(keptOut.array == out.array, "\(c)")
        let kept = [Tensor(shape: q.shape), Tensor(shape: k.shape), Tensor(shape: v.shape)]
        attention.backward(g, q: q, k: k, v: v, queryOffset: offset, keyMask: mask, keptIn: table,
                           dQ: kept[0], dK: kept[1], dV: kept[2])
        #expect(zip(kept, [dQ, dK, dV]).allSatisfy { $0.array == $1.array }, "\(c)")
    }

    /// Backward takes the probabilities from the kept table rather than computing them: a table
    /// of half the probabilities gives half of dV (dV = Pᵀ dO).
    @Test func backwardReadsTheKeptTable() {
        var r = Inputs(seed: 5)
        let attention = Attention(heads: 2, kvHeads: 1, headDim: 3, causal: true)
        let q = r.tensor([1, 9, 2, 3]), k = r.tensor([1, 9, 1, 3]), v = r.tensor([1, 9, 1, 3]), g = r.tensor([1, 9, 2, 3])
        let table = Tensor(shape: attention.tableShape(batch: 1, queries: 9, keys: 9))
        attention.forward(q: q, k: k, v: v, keepingIn: table, into: Tensor(shape: q.shape))
        func dV(_ table: Tensor?) -> [Float] {
            let dV = Tensor(shape: v.shape)
            attention.backward(g, q: q, k: k, v: v, keptIn: table, dQ: Tensor(shape: q.shape), dK: Tensor(shape: k.shape), dV: dV)
            return dV.array
        }
        let full = dV(nil)
        for i in 0..<table.count { table.data[i] *= 0.5 }
        // halving is exact in binary floating point, so the products and sums are exactly half
        expectClose(dV(table), full.map { Double($0) / 2 }, .exact, "dV from half the table")
    }

    /// Packed [prefix | chosen | rejected] rows: each branch sees the prefix and itself.
    @Test func branchesSeeThePrefixAndThemselvesOnly() {
        var r = Inputs(seed: 21)
        let (t, heads, kvHeads, dim) = (70, 2, 1, 3)
        let layouts = [BranchLayout(prefix: 30, branchStarts: [30, 52]), BranchLayout(prefix: 3, branchStarts: [3, 4, 9])]
        let q = r.tensor([2, t, heads, dim], scale: 2), k = r.tensor([2, t, kvHeads, dim], scale: 2), v = r.tensor([2, t, kvHeads, dim])
        let attention = Attention(heads: heads, kvHeads: kvHeads, headDim: dim, causal: true)
        let out = Tensor(shape: q.shape)
        attention.forward(q: q, k: k, v: v, branches: layouts, into: out)
        func branch(_ layout: BranchLayout, _ i: Int) -> Int { layout.branchStarts.lastIndex { $0 <= i } ?? -1 }
        let sees = { (b: Int, i: Int, j: Int) -> Bool in
            let layout = layouts[b]
            return j < layout.prefix || branch(layout, j) == branch(layout, i)
        }
        let f = { (x: [[Double]]) in
            referenceAttention(q: x[0], k: x[1], v: x[2], batch: 2, tq: t, tk: t, heads: heads, kvHeads: kvHeads,
                               dim: dim, causal: true, offset: 0, keyMask: nil, sees: sees)
        }
        let inputs = [q.doubles, k.doubles, v.doubles]
        expectClose(out.array, f(inputs), .forward, "branch attention forward")
        let g = r.tensor(q.shape)
        let dQ = Tensor(shape: q.shape), dK = Tensor(shape: k.shape), dV = Tensor(shape: v.shape)
        attention.backward(g, q: q, k: k, v: v, branches: layouts, dQ: dQ, dK: dK, dV: dV)
        for (i, grad) in [dQ, dK, dV].enumerated() {
            expectClose(grad.array, numericGradient(inputs, wrt: i, upstream: g.doubles, f),
                        .gradient, "branch attention gradient \(i)")
        }
    }

    @Test func queryWithNoVisibleKeyOutputsZero() {
        var r = Inputs(seed: 9)
        let q = r.tensor([1, 2, 1, 4]), k = r.tensor([1, 2, 1, 4]), v = r.tensor([1, 2, 1, 4])
        let mask = Tensor(shape: [1, 2], values: [0, 1])  // query 0 may only see key 0: hidden
        let attention = Attention(heads: 1, kvHeads: 1, headDim: 4, causal: true)
        let out = Tensor(shape: q.shape)
        attention.forward(q: q, k: k, v: v, keyMask: mask, into: out)
        #expect(out.array[0..<4].allSatisfy { $0 == 0 })
        #expect(out.array[4..<8] == v.array[4..<8])
    }

    /// Decoding one token at a time through a KV cache gives what one causal pass over the whole
    /// sequence gives.
    @Test func kvCacheDecodingMatchesFullPass() {
        var r = Inputs(seed: 10)
        let (batch, t, heads, kvHeads, dim) = (2, 9, 4, 2, 8)
        let q = r.tensor([batch, t, heads, dim]), k = r.tensor([batch, t, kvHeads, dim]), v = r.tensor([batch, t, kvHeads, dim])
        let attention = Attention(heads: heads, kvHeads: kvHeads, headDim: dim, causal: true)
        let full = Tensor(shape: q.shape)
        attention.forward(q: q, k: k, v: v, into: full)

        func slice(_ x: Tensor, _ range: Range<Int>) -> Tensor {
            let row = x.dim(2) * x.dim(3)
            let out = Tensor(shape: [batch, range.count, x.dim(2), x.dim(3)])
            for b in 0..<batch {
                (out.data + b * range.count * row).update(from: x.data + (b * t + range.lowerBound) * row, count: range.count * row)
            }
            return out
        }
        let cache = KVCache(batch: batch, capacity: 16, kvHeads: kvHeads, headDim: dim)
        let prefill = 5
        var steps: [(Range<Int>, Tensor)] = []
        for range in [0..<prefill] + (prefill..<t).map({ $0..<($0 + 1) }) {
            let offset = cache.length
            cache.append(k: slice(k, range), v: slice(v, range))
            let out = Tensor(shape: [batch, range.count, heads, dim])
            attention.forward(q: slice(q, range), k: cache.keys, v: cache.values, keys: cache.length,
                              queryOffset: offset, into: out)
            steps.append((range, out))
        }
        for (range, out) in steps {
            // outputs are averages of values in [-1, 1]: rounding errors well under 1e-6
            expectClose(out.array, slice(full, range).doubles, Tolerance(rtol: 0, atol: 1e-6), "cached decode \(range)")
        }
    }
}
