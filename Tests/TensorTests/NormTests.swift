import Foundation
import Tensor
import Testing

@Suite(.timeLimit(.minutes(10))) struct NormTests {
    @Test(arguments: [(1, 1), (3, 7), (33, 5), (2, 64)])
    func rmsNorm(n: Int, d: Int) {
        var r = Inputs(seed: 4)
        let x = r.tensor([n, d]), w = r.tensor([d]), eps: Float = 1e-5
        let y = Tensor(shape: [n, d]), rstd = Tensor(shape: [n])
        RMSNorm.forward(x, weight: w, eps: eps, into: y, rstd: rstd)
        let f = { (v: [[Double]]) -> [Double] in
            var out = [Double](repeating: 0, count: n * d)
            for i in 0..<n {
                let row = v[0][(i * d)..<((i + 1) * d)]
                let s = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(d) + Double(eps)).squareRoot()
                for j in 0..<d { out[i * d + j] = v[1][j] * v[0][i * d + j] * s }
            }
            return out
        }
        let inputs = [x.doubles, w.doubles]
        expectClose(y.array, f(inputs), .forward, "rmsnorm forward")
        let g = r.tensor([n, d])
        let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape)
        RMSNorm.backward(g, x: x, weight: w, rstd: rstd, dX: dX, dWeight: dW)
        expectClose(dX.array, numericGradient(inputs, wrt: 0, upstream: g.doubles, f), .gradient, "rmsnorm dX")
        expectClose(dW.array, numericGradient(inputs, wrt: 1, upstream: g.doubles, f), .gradient, "rmsnorm dW")
    }

    @Test(arguments: [(1, 2), (3, 7), (33, 5), (2, 64)])
    func layerNorm(n: Int, d: Int) {
        var r = Inputs(seed: 5)
        let x = r.tensor([n, d]), w = r.tensor([d]), b = r.tensor([d]), eps: Float = 1e-6
        let y = Tensor(shape: [n, d]), mean = Tensor(shape: [n]), rstd = Tensor(shape: [n])
        LayerNorm.forward(x, weight: w, bias: b, eps: eps, into: y, mean: mean, rstd: rstd)
        let f = { (v: [[Double]]) -> [Double] in
            var out = [Double](repeating: 0, count: n * d)
            for i in 0..<n {
                let row = Array(v[0][(i * d)..<((i + 1) * d)])
                let mu = row.reduce(0, +) / Double(d)
                let variance = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(d)
                let s = 1 / (variance + Double(eps)).squareRoot()
                for j in 0..<d { out[i * d + j] = (row[j] - mu) * s * v[1][j] + v[2][j] }
            }
            return out
        }
        let inputs = [x.doubles, w.doubles, b.doubles]
        expectClose(y.array, f(inputs), .forward, "layernorm forward")
        let g = r.tensor([n, d])
        let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape), dB = Tensor(shape: b.shape)
        LayerNorm.backward(g, x: x, weight: w, mean: mean, rstd: rstd, dX: dX, dWeight: dW, dBias: dB)
        // d = 1 normalises everything to 0: the gradient through x is exactly zero but tiny
        // cancellations remain in the finite differences, so the same bound still applies.
        expectClose(dX.array, numericGradient(inputs, wrt: 0, upstream: g.doubles, f), .gradient, "layernorm dX")
        expectClose(dW.array, numericGradient(inputs, wrt: 1, upstream: g.doubles, f), .gradient, "layernorm dW")
        expectClose(dB.array, numericGradient(inputs, wrt: 2, upstream: g.doubles, f), .gradient, "layernorm dB")
    }
}

@Suite(.timeLimit(.minutes(10))) struct EmbeddingTests {
    @Test func lookupAndScatterAdd() {
        var r = Inputs(seed: 6)
        let (v, d) = (7, 33)
        let ids: [Int32] = [3, 0, 6, 3, 3, 1]  // repeated ids must add up
        let table = r.tensor([v, d])
        let out = Tensor(shape: [ids.count, d])
        Embedding.forward(ids: ids, table: table, into: out)
        let f = { (x: [[Double]]) -> [Double] in ids.flatMap { x[0][(Int($0) * d)..<(Int($0) * d + d)] } }
        expectClose(out.array, f([table.doubles]), .exact, "embedding forward")
        let g = r.tensor([ids.count, d])
        let dTable = Tensor(shape: table.shape)
        Embedding.backward(g, ids: ids, dTable: dTable)
        expectClose(dTable.array, numericGradient([table.doubles], wrt: 0, upstream: g.doubles, f),
                    .gradient, "embedding dTable")
    }
}

@Suite(.timeLimit(.minutes(10))) struct RotaryTests {
    /// transformers: q·cos + rotate_half(q)·sin with cos = cat(freqs, freqs).cos().
    static func reference(_ x: [Double], positions: [Int32], heads: Int, dim: Int, theta: Double) -> [Double] {
        var out = x
        let half = dim / 2
        for (t, p) in positions.enumerated() {
            for h in 0..<heads {
                let base = (t * heads + h) * dim
                for i in 0..<dim {
                    let angle = Double(p) / pow(theta, Double(2 * (i % half)) / Double(dim))
                    let rotated = i < half ? -x[base + i + half] : x[base + i - half]
                    out[base + i] = x[base + i] * cos(angle) + rotated * sin(angle)
                }
            }
        }
        return out
    }

    @Test(arguments: [(Float(10_000), 8), (Float(100_000), 2), (Float(500), 14)])
    func rotationAndGradient(theta: Float, dim: Int) {
        var r = Inputs(seed: 7)
        let heads = 3
        let positions: [Int32] = [0, 1, 2, 5, 0, 33, 7]  // two sequences, the second left-padded
        let rope = RotaryEmbedding(headDim: dim, theta: theta)
        let table = rope.table(positions: positions)
        let x = r.tensor([positions.count, heads, dim])
        let y = Tensor(shape: x.shape)
        rope.forward(x, table: table, into: y)
        let f = { (v: [[Double]]) in
            Self.reference(v[0], positions: positions, heads: heads, dim: dim, theta: Double(theta))
        }
        expectClose(y.array, f([x.doubles]), .forward, "rope forward")

        // in place gives the same
        let inPlace = Tensor(shape: x.shape)
        inPlace.copy(from: x)
        rope.forward(inPlace, table: table, into: inPlace)
        #expect(inPlace.array == y.array)

        let g = r.tensor(x.shape)
        let dX = Tensor(shape: x.shape)
        rope.backward(g, table: table, dX: dX)
        expectClose(dX.array, numericGradient([x.doubles], wrt: 0, upstream: g.doubles, f),
                    .gradient, "rope dX")
    }
}

