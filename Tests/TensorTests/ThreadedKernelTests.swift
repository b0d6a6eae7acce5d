import Foundation
import Synchronization
import Tensor
import Testing

/// Runs `body` under 1, 2 and 3 kernel threads and expects the same bits from each (or, for
/// products through BLAS, results within `tolerance` of one thread's), and the same bits again
/// from a second run under 3; returns the one-thread result. Parallel.swift says which: loops
/// give the same bits for any thread count.
func sameUnderThreads(
    _ what: String, within tolerance: Tolerance? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> [Float]
) rethrows -> [Float] {
    let results = try [1, 2, 3, 3].map { n in try Parallel.$threads.withValue(n) { try body() } }
    let repeated = mismatches(results[3].map(\.bitPattern), results[2].map(\.bitPattern))
    #expect(repeated == nil, "\(what): a second run under 3 threads: \(repeated ?? "")", sourceLocation: sourceLocation)
    for (n, result) in zip([2, 3], results[1...2]) {
        if let tolerance {
            expectClose(result, results[0].map(Double.init), tolerance, "\(what): \(n) threads vs 1", sourceLocation: sourceLocation)
        } else {
            let differences = mismatches(result.map(\.bitPattern), results[0].map(\.bitPattern))
            #expect(differences == nil, "\(what): \(n) threads vs 1: \(differences ?? "")", sourceLocation: sourceLocation)
        }
    }
    return results[0]
}

/// The kernels at sizes where `Parallel.forEach` splits the work (count × cost ≥ 3 × 32,768, so
/// three tasks under three threads; GEMMs: m·n·k ≥ 3 × 262,144 and 48 rows or columns), checked
/// against their Float64 references there, and equal under 1, 2 and 3 threads: bit for bit, but
/// for the products through BLAS.
@Suite(.timeLimit(.minutes(10))) struct ThreadedKernelTests {
    /// A column of a gradient summed in fp32 over 200–500 rows, row after row: its partial sums
    /// reach ~10, so it rounds by ~5e-6 (one standard deviation) even where it nearly cancels.
    static let columnSums = Tolerance(rtol: 1e-4, atol: 5e-5)

    @Test func forEachCutsLargeWorkIntoOneRangePerThread() {
        for threads in [1, 2, 3] {
            // (count, cost, tasks): work / 32,768 caps the tasks, and so do count and threads
            let cases = [(100_000, 1, min(threads, 3)), (1_000, 1, 1), (100, 1_000, min(threads, 3)), (2, 1_000_000, min(threads, 2))]
            for (count, cost, tasks) in cases {
                let ranges = Mutex<[Range<Int>]>([])
                Parallel.$threads.withValue(threads) {
                    Parallel.forEach(count, cost: cost) { r in ranges.withLock { $0.append(r) } }
                }
                let sorted = ranges.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
                #expect(sorted.count == tasks, "\(count) × \(cost) under \(threads) threads: \(sorted)")
                #expect(sorted.first?.lowerBound == 0 && sorted.last?.upperBound == count
                        && zip(sorted, sorted.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound },
                        "\(count) × \(cost) under \(threads) threads: \(sorted) does not tile 0..<\(count)")
            }
        }
    }

    @Test func residual() {
        var r = Inputs(seed: 31)
        let a = r.tensor([120_000]), b = r.tensor([120_000]), start = r.tensor([120_000])
        let out = sameUnderThreads("residual forward") {
            let out = Tensor(shape: a.shape)
            Residual.forward(a, b, into: out)
            return out.array
        }
        expectClose(out, zip(a.doubles, b.doubles).map(+), .rounding, "residual forward")
        let sum = sameUnderThreads("residual accumulate") {
            let d = Tensor(shape: start.shape)
            d.copy(from: start)
            Residual.accumulate(a, into: d)
            return d.array
        }
        expectClose(sum, zip(start.doubles, a.doubles).map(+), .rounding, "residual accumulate")
    }

    @Test func swiGLU() {
        var r = Inputs(seed: 32)
        let gate = r.tensor([6_000], scale: 4), up = r.tensor([6_000]), g = r.tensor([6_000])
        let silu = { (x: Double) in x / (1 + exp(-x)) }
        let out = sameUnderThreads("swiglu forward") {
            let out = Tensor(shape: gate.shape)
            SwiGLU.forward(gate: gate, up: up, into: out)
            return out.array
        }
        expectClose(out, zip(gate.doubles, up.doubles).map { silu($0) * $1 }, .forward, "swiglu forward")
        let grads = sameUnderThreads("swiglu backward") {
            let dGate = Tensor(shape: gate.shape), dUp = Tensor(shape: up.shape)
            SwiGLU.backward(g, gate: gate, up: up, dGate: dGate, dUp: dUp)
            return dGate.array + dUp.array
        }
        let (gates, ups) = (gate.doubles, up.doubles)
        expectClose(Array(grads[..<6_000]), elementwiseGradient(gates, upstream: g.doubles) { i, x in silu(x) * ups[i] }, .gradient, "swiglu dGate")
        expectClose(Array(grads[6_000...]), elementwiseGradient(ups, upstream: g.doubles) { i, u in silu(gates[i]) * u }, .gradient, "swiglu dUp")
    }

    @Test(arguments: [GELU.Approximation.none, .tanh])
    func gelu(approximation: GELU.Approximation) {
        var r = Inputs(seed: 33)
        let x = r.tensor([6_000], scale: 5), g = r.tensor([6_000])
        let f = { (_: Int, x: Double) -> Double in
            approximation == .none
                ? 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
                : 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        }
        let out = sameUnderThreads("gelu \(approximation) forward") {
            let out = Tensor(shape: x.shape)
            GELU.forward(x, approximation: approximation, into: out)
            return out.array
        }
        expectClose(out, x.doubles.enumerated().map { f($0, $1) }, .forward, "gelu \(approximation) forward")
        let dX = sameUnderThreads("gelu \(approximation) backward") {
            let dX = Tensor(shape: x.shape)
            GELU.backward(g, x: x, approximation: approximation, dX: dX)
            return dX.array
        }
        expectClose(dX, elementwiseGradient(x.doubles, upstream: g.doubles, f), .gradient, "gelu \(approximation) dX")
    }

    @Test func rmsNorm() {
        var r = Inputs(seed: 34)
        let (n, d) = (512, 256)
        let x = r.tensor([n, d]), w = r.tensor([d]), g = r.tensor([n, d]), eps: Float = 1e-5
        let rstd = Tensor(shape: [n])
        let y = sameUnderThreads("rmsnorm forward") {
            let y = Tensor(shape: [n, d])
            RMSNorm.forward(x, weight: w, eps: eps, into: y, rstd: rstd)
            return y.array
        }
        let weights = w.doubles
        let row = { (v: [Double], weights: [Double]) -> [Double] in
            let s = 1 / (v.reduce(0) { $0 + $1 * $1 } / Double(d) + Double(eps)).squareRoot()
            return zip(v, weights).map { $0 * s * $1 }
        }
        let all = { (v: [[Double]]) in (0..<n).flatMap { r in row(Array(v[0][(r * d)..<((r + 1) * d)]), v[1]) } }
        expectClose(y, all([x.doubles, weights]), .forward, "rmsnorm forward")
        let grads = sameUnderThreads("rmsnorm backward") {
            let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape)
            RMSNorm.backward(g, x: x, weight: w, rstd: rstd, dX: dX, dWeight: dW)
            return dX.array + dW.array
        }
        expectClose(Array(grads[..<(n * d)]), rowwiseGradient(x.doubles, cols: d, upstream: g.doubles) { _, v in row(v, weights) },
                    .gradient, "rmsnorm dX")
        expectClose(Array(grads[(n * d)...]), numericGradient([x.doubles, weights], wrt: 1, upstream: g.doubles, all),
                    Self.columnSums, "rmsnorm dW")
    }

    @Test func layerNorm() {
        var r = Inputs(seed: 35)
        let (n, d) = (512, 256)
        let x = r.tensor([n, d]), w = r.tensor([d]), b = r.tensor([d]), g = r.tensor([n, d]), eps: Float = 1e-6
        let mean = Tensor(shape: [n]), rstd = Tensor(shape: [n])
        let y = sameUnderThreads("layernorm forward") {
            let y = Tensor(shape: [n, d])
            LayerNorm.forward(x, weight: w, bias: b, eps: eps, into: y, mean: mean, rstd: rstd)
            return y.array
        }
        let (weights, biases) = (w.doubles, b.doubles)
        let row = { (v: [Double], weights: [Double], biases: [Double]) -> [Double] in
            let mu = v.reduce(0, +) / Double(d)
            let s = 1 / (v.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(d) + Double(eps)).squareRoot()
            return v.indices.map { (v[$0] - mu) * s * weights[$0] + biases[$0] }
        }
        let all = { (v: [[Double]]) in (0..<n).flatMap { r in row(Array(v[0][(r * d)..<((r + 1) * d)]), v[1], v[2]) } }
        let inputs = [x.doubles, weights, biases]
        expectClose(y, all(inputs), .forward, "layernorm forward")
        let grads = sameUnderThreads("layernorm backward") {
            let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape), dB = Tensor(shape: b.shape)
            LayerNorm.backward(g, x: x, weight: w, mean: mean, rstd: rstd, dX: dX, dWeight: dW, dBias: dB)
            return dX.array + dW.array + dB.array
        }
        expectClose(Array(grads[..<(n * d)]), rowwiseGradient(x.doubles, cols: d, upstream: g.doubles) { _, v in row(v, weights, biases) },
                    .gradient, "layernorm dX")
        expectClose(Array(grads[(n * d)..<(n * d + d)]), numericGradient(inputs, wrt: 1, upstream: g.doubles, all), Self.columnSums, "layernorm dW")
        expectClose(Array(grads[(n * d + d)...]), numericGradient(inputs, wrt: 2, upstream: g.doubles, all), Self.columnSums, "layernorm dB")
    }

    /// Forward splits C by columns (out ≥ rows), dX and dW by rows; dBias sums rows by columns.
    @Test func linear() {
        var r = Inputs(seed: 36)
        let (n, inF, outF) = (192, 64, 512)
        let x = r.tensor([n, inF]), w = r.tensor([outF, inF]), b = r.tensor([outF]), g = r.tensor([n, outF])
        let y = sameUnderThreads("linear forward", within: .products) {
            let y = Tensor(shape: [n, outF])
            Linear.forward(x, weight: w, bias: b, into: y)
            return y.array
        }
        let product = referenceMatmul(x.doubles, w.doubles, batch: 1, m: n, n: outF, k: inF, transA: false, transB: true, bBatched: false)
        expectClose(y, product.enumerated().map { $1 + Double(b[$0 % outF]) }, .products, "linear forward")
        let grads = sameUnderThreads("linear dX and dW", within: .products) {
            let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape)
            Linear.backward(g, x: x, weight: w, dX: dX, dWeight: dW, dBias: nil)
            return dX.array + dW.array
        }
        // the gradients of a linear map are these products exactly
        let dX = referenceMatmul(g.doubles, w.doubles, batch: 1, m: n, n: inF, k: outF, transA: false, transB: false, bBatched: false)
        let dW = referenceMatmul(g.doubles, x.doubles, batch: 1, m: outF, n: inF, k: n, transA: true, transB: false, bBatched: false)
        expectClose(grads, dX + dW, .products, "linear dX and dW")
        let dBias = sameUnderThreads("linear dBias") {
            let dB = Tensor(shape: b.shape)
            Linear.backward(g, x: x, weight: w, dX: nil, dWeight: nil, dBias: dB)
            return dB.array
        }
        expectClose(dBias, (0..<outF).map { o in (0..<n).reduce(0) { $0 + Double(g[$1 * outF + o]) } }, Self.columnSums, "linear dBias")
    }

    /// The NF4 products: tiles of W's rows (forward) and columns (dX), one or more per thread.
    @Test func linearOnNF4() throws {
        var r = Inputs(seed: 37)
        let (n, inF, outF) = (48, 512, 512)
        let x = r.tensor([n, inF]), g = r.tensor([n, outF])
        let q = try NF4Weight(quantizing: r.tensor([outF, inF], scale: 0.05))
        let dense = q.dequantized().doubles
        let y = sameUnderThreads("nf4 linear forward", within: .products) {
            let y = Tensor(shape: [n, outF])
            Linear.forward(x, weight: .nf4(q), bias: nil, into: y)
            return y.array
        }
        expectClose(y, referenceMatmul(x.doubles, dense, batch: 1, m: n, n: outF, k: inF, transA: false, transB: true, bBatched: false),
                    .products, "nf4 linear forward")
        let dX = sameUnderThreads("nf4 linear dX", within: .products) {
            let dX = Tensor(shape: x.shape)
            Linear.backward(g, x: x, weight: .nf4(q), dX: dX, dWeight: nil, dBias: nil)
            return dX.array
        }
        expectClose(dX, referenceMatmul(g.doubles, dense, batch: 1, m: n, n: inF, k: outF, transA: false, transB: false, bBatched: false),
                    .products, "nf4 linear dX")
    }

    /// Quantizing splits by blocks of 64 (8,192 values: 128 blocks), dequantizing the whole by
    /// blocks too (65,536 values); every value is code[index] · absmax of its block.
    @Test func nf4QuantizeAndDequantize() throws {
        var r = Inputs(seed: 38)
        let small = r.tensor([64, 128]), large = r.tensor([256, 256])
        let packed = try sameUnderThreads("nf4 quantize") {
            let q = try NF4Weight(quantizing: small)
            return (0..<(small.count / 2)).map { Float(q.packed[$0]) } + (0..<q.blocks).map { q.absmax[$0] }
        }
        // each block alone gives the same bytes and scale
        let blocks = try (0..<(small.count / 64)).map { b in
            try NF4Weight(quantizing: small.data + b * 64, shape: [64])
        }
        #expect(packed == blocks.flatMap { q in (0..<32).map { Float(q.packed[$0]) } } + blocks.map { $0.absmax[0] })
        let q = try NF4Weight(quantizing: large)
        let values = sameUnderThreads("nf4 dequantize") { q.dequantized().array }
        let decoded = (0..<large.count).map { i in
            let byte = q.packed[i / 2]
            return Double(NF4Weight.code[Int(i % 2 == 0 ? byte >> 4 : byte & 15)] * q.absmax[i / 64])
        }
        expectClose(values, decoded, .exact, "nf4 dequantize")
    }

    @Test func tokenLogProbs() {
        var r = Inputs(seed: 39)
        let (n, vocab) = (40, 1_000)
        let logits = r.tensor([n, vocab], scale: 8), g = r.tensor([n])
        let targets = (0..<n).map { Int32(($0 * 37 + 11) % vocab) }
        let mask = Tensor(shape: [n], values: (0..<n).map { $0 % 5 == 2 ? 0 : 1 })
        let lse = Tensor(shape: [n])
        let logp = sameUnderThreads("log-probs forward") {
            let logp = Tensor(shape: [n])
            TokenLogProbs.forward(logits: logits, targets: targets, mask: mask, into: logp, logSumExp: lse)
            return logp.array
        }
        let masks = mask.doubles
        let row = { (i: Int, v: [Double]) -> [Double] in
            LogProbTests.referenceLogProbs(v, targets: [targets[i]], mask: [masks[i]], vocab: vocab)
        }
        let all = logits.doubles
        expectClose(logp, (0..<n).flatMap { row($0, Array(all[($0 * vocab)..<(($0 + 1) * vocab)])) }, .forward, "log-probs forward")
        let dLogits = sameUnderThreads("log-probs backward") {
            let dLogits = Tensor(shape: logits.shape)
            TokenLogProbs.backward(g, logits: logits, targets: targets, mask: mask, logSumExp: lse, dLogits: dLogits)
            return dLogits.array
        }
        expectClose(dLogits, rowwiseGradient(all, cols: vocab, upstream: g.doubles, row), .gradient, "log-probs dLogits")
    }

    /// Every id appears twice, so each row of the table's gradient is one fp32 sum of two.
    @Test func embedding() {
        var r = Inputs(seed: 40)
        let (vocab, d) = (150, 512)
        let ids = (0..<300).map { Int32(($0 * 7) % vocab) }
        let table = r.tensor([vocab, d]), g = r.tensor([ids.count, d])
        let out = sameUnderThreads("embedding forward") {
            let out = Tensor(shape: [ids.count, d])
            Embedding.forward(ids: ids, table: table, into: out)
            return out.array
        }
        let rows = table.doubles
        expectClose(out, ids.flatMap { rows[(Int($0) * d)..<(Int($0) * d + d)] }, .exact, "embedding forward")
        let dTable = sameUnderThreads("embedding backward") {
            let dTable = Tensor(shape: table.shape)
            Embedding.backward(g, ids: ids, dTable: dTable)
            return dTable.array
        }
        var expected = [Double](repeating: 0, count: table.count)
        for (i, id) in ids.enumerated() { for c in 0..<d { expected[Int(id) * d + c] += Double(g[i * d + c]) } }
        expectClose(dTable, expected, .rounding, "embedding backward")
    }

    /// Rotary splits by tokens: 300 tokens of 8 heads × 16. The angles are fp32 products, as
    /// transformers computes them: at positions up to 96 they are off the exact angle by up to
    /// 2^-24 · 96 ≈ 6e-6, and the rotated values by as much.
    @Test func rotary() {
        let fp32Angles = Tolerance(rtol: 1e-6, atol: 1e-5)
        var r = Inputs(seed: 41)
        let (heads, dim) = (8, 16)
        let positions = (0..<300).map { Int32($0 % 97) }
        let rope = RotaryEmbedding(headDim: dim, theta: 10_000)
        let table = rope.table(positions: positions)
        let x = r.tensor([positions.count, heads, dim]), g = r.tensor(x.shape)
        let y = sameUnderThreads("rope forward") {
            let y = Tensor(shape: x.shape)
            rope.forward(x, table: table, into: y)
            return y.array
        }
        let row = { (t: Int, v: [Double]) in RotaryTests.reference(v, positions: [positions[t]], heads: heads, dim: dim, theta: 10_000) }
        let all = x.doubles
        let width = heads * dim
        expectClose(y, (0..<positions.count).flatMap { row($0, Array(all[($0 * width)..<(($0 + 1) * width)])) }, fp32Angles, "rope forward")
        let dX = sameUnderThreads("rope backward") {
            let dX = Tensor(shape: x.shape)
            rope.backward(g, table: table, dX: dX)
            return dX.array
        }
        expectClose(dX, rowwiseGradient(all, cols: width, upstream: g.doubles, row), fp32Angles, "rope dX")
    }

    /// Attention splits by blocks of 64 query (or key) rows of each head: 2 heads × 2 blocks.
    @Test func attention() {
        var r = Inputs(seed: 42)
        let (t, heads, kvHeads, dim) = (65, 2, 1, 4)
        let q = r.tensor([1, t, heads, dim], scale: 2), k = r.tensor([1, t, kvHeads, dim], scale: 2), v = r.tensor([1, t, kvHeads, dim])
        let g = r.tensor(q.shape)
        let attention = Attention(heads: heads, kvHeads: kvHeads, headDim: dim, causal: true)
        let out = sameUnderThreads("attention forward") {
            let out = Tensor(shape: q.shape)
            attention.forward(q: q, k: k, v: v, into: out)
            return out.array
        }
        let f = { (x: [[Double]]) in
            referenceAttention(q: x[0], k: x[1], v: x[2], batch: 1, tq: t, tk: t, heads: heads, kvHeads: kvHeads,
                               dim: dim, causal: true, offset: 0, keyMask: nil)
        }
        let inputs = [q.doubles, k.doubles, v.doubles]
        expectClose(out, f(inputs), .forward, "attention forward")
        let grads = sameUnderThreads("attention backward") {
            let dQ = Tensor(shape: q.shape), dK = Tensor(shape: k.shape), dV = Tensor(shape: v.shape)
            attention.backward(g, q: q, k: k, v: v, dQ: dQ, dK: dK, dV: dV)
            return dQ.array + dK.array + dV.array
        }
        let expected = (0..<3).flatMap { numericGradient(inputs, wrt: $0, upstream: g.doubles, f) }
        expectClose(grads, expected, .gradient, "attention backward")
    }
}
