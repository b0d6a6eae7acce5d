import Foundation

/// Rotary position embedding in Hugging Face's `rotate_half` convention:
/// `x·cos + rotate_half(x)·sin`, where `rotate_half([x1, x2]) = [-x2, x1]` splits each head in
/// halves and the frequencies of the two halves are the same.
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    public let theta: Float
    /// 1 / theta^(2i / headDim), computed in fp32 as transformers does.
    public let inverseFrequencies: [Float]

    public init(headDim: Int, theta: Float) {
        precondition(headDim % 2 == 0, "rotary head dimension must be even, got \(headDim)")
        self.headDim = headDim
        self.theta = theta
        inverseFrequencies = (0..<headDim / 2).map { i in
            1 / powf(theta, Float(2 * i) / Float(headDim))
        }
    }

    /// The cos and sin of every position's angles, [N, headDim/2] each; computed once per
    /// forward pass and shared by all layers, queries and keys.
    public func table(positions: [Int32]) -> RotaryTable {
        let half = headDim / 2
        let cos = Tensor(shape: [positions.count, half]), sin = Tensor(shape: [positions.count, half])
        for (t, p) in positions.enumerated() {
            for i in 0..<half {
                let angle = Float(p) * inverseFrequencies[i]
                cos[t * half + i] = cosf(angle)
                sin[t * half + i] = sinf(angle)
            }
        }
        return RotaryTable(cos: cos, sin: sin)
    }

    /// x [N, heads, headDim] (one row per token, positions as given to `table`) → out, which
    /// may be x itself.
    public func forward(_ x: Tensor, table: RotaryTable, into out: Tensor) {
        apply(x.data, table: table, count: x.count, into: out.data, inverse: false, accumulate: false)
    }

    /// Accumulates dX += Rᵀ dOut: the rotation by the negated angle.
    public func backward(_ dOut: Tensor, table: RotaryTable, dX: Tensor) {
        apply(dOut.data, table: table, count: dOut.count, into: dX.data, inverse: true, accumulate: true)
    }

    private func apply(
        _ x: UnsafeMutablePointer<Float>, table: RotaryTable, count: Int,
        into out: UnsafeMutablePointer<Float>, inverse: Bool, accumulate: Bool
    ) {
        let half = headDim / 2, n = table.cos.dim(0)
        precondition(count % (n * headDim) == 0, "rotary input of \(count) values for \(n) positions × \(headDim)")
        let heads = count / (n * headDim)
        let cp = table.cos.data, sp = table.sin.data
        let sign: Float = inverse ? -1 : 1
        Parallel.forEach(n, cost: heads * headDim * 3) { tokens in
            for t in tokens {
                let c = cp + t * half, s = sp + t * half
                for h in 0..<heads {
                    let xr = x + (t * heads + h) * headDim, o = out + (t * heads + h) * headDim
                    for i in 0..<half {
                        let x1 = xr[i], x2 = xr[i + half], si = sign * s[i]
                        let y1 = x1 * c[i] - x2 * si, y2 = x2 * c[i] + x1 * si
                        if accumulate {
                            o[i] += y1
                            o[i + half] += y2
                        } else {
                            o[i] = y1
                            o[i + half] = y2
                        }
                    }
                }
            }
        }
    }
}

/// cos and sin of the rotary angles for a list of positions, [N, headDim/2] each.
public struct RotaryTable: Sendable {
    public let cos: Tensor
    public let sin: Tensor

    /// A table of any angles (a multimodal RoPE's, whose angles come from several positions).
    public init(cos: Tensor, sin: Tensor) {
        precondition(cos.shape == sin.shape && cos.rank == 2, "rotary cos \(cos.shape) and sin \(sin.shape) must be [N, headDim/2]")
        self.cos = cos
        self.sin = sin
    }

    /// The table of angles [N, headDim/2].
    public init(angles: [Float], count: Int, half: Int) {
        precondition(angles.count == count * half, "\(angles.count) rotary angles for \(count) × \(half)")
        cos = Tensor(shape: [count, half], values: angles.map { cosf($0) })
        sin = Tensor(shape: [count, half], values: angles.map { sinf($0) })
    }
}
