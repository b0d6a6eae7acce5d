/// LLaMA's RMSNorm: y = w ⊙ x / sqrt(mean(x²) + eps), computed in fp32 like transformers.
public enum RMSNorm {
    /// x [N, D], weight [D] → out [N, D]; saves rstd [N] for backward.
    public static func forward(
        _ x: Tensor, weight: Tensor, eps: Float, into out: Tensor, rstd: Tensor
    ) {
        let d = x.dim(-1), n = x.rows
        precondition(weight.count == d && out.count == x.count && rstd.count == n,
                     "rmsnorm shapes: x \(x.shape), weight \(weight.shape), out \(out.shape), rstd \(rstd.shape)")
        let xp = x.data, w = weight.data, o = out.data, rs = rstd.data
        Parallel.forEach(n, cost: 3 * d) { rows in
            for r in rows {
                let xr = xp + r * d, orow = o + r * d
                var ss: Float = 0
                for i in 0..<d { ss += xr[i] * xr[i] }
                let s = 1 / (ss / Float(d) + eps).squareRoot()
                rs[r] = s
                for i in 0..<d { orow[i] = w[i] * (xr[i] * s) }
            }
        }
    }

    /// Accumulates dX and dWeight (either may be nil).
    public static func backward(
        _ dOut: Tensor, x: Tensor, weight: Tensor, rstd: Tensor, dX: Tensor?, dWeight: Tensor?
    ) {
        let d = x.dim(-1), n = x.rows
        let xp = x.data, w = weight.data, g = dOut.data, rs = rstd.data
        if let dX {
            let dx = dX.data
            Parallel.forEach(n, cost: 4 * d) { rows in
                for r in rows {
                    let xr = xp + r * d, gr = g + r * d, dxr = dx + r * d
                    let s = rs[r]
                    var dot: Float = 0
                    for i in 0..<d { dot += w[i] * gr[i] * xr[i] }
                    let k = s * s * s * dot / Float(d)
                    for i in 0..<d { dxr[i] += s * w[i] * gr[i] - k * xr[i] }
                }
            }
        }
        if let dWeight {
            let dw = dWeight.data
            Parallel.forEach(d, cost: n) { cs in
                for r in 0..<n {
                    let xr = xp + r * d, gr = g + r * d, s = rs[r]
                    for c in cs { dw[c] += gr[c] * xr[c] * s }
                }
            }
        }
    }
}
