/// LayerNorm with affine weight and bias: y = (x - mean) / sqrt(var + eps) ⊙ w + b.
public enum LayerNorm {
    /// x [N, D], weight [D], bias [D] → out [N, D]; saves mean and rstd [N] for backward.
    public static func forward(
        _ x: Tensor, weight: Tensor, bias: Tensor, eps: Float,
        into out: Tensor, mean: Tensor, rstd: Tensor
    ) {
        let d = x.dim(-1), n = x.rows
        precondition(weight.count == d && bias.count == d && out.count == x.count
                     && mean.count == n && rstd.count == n,
                     "layernorm shapes: x \(x.shape), weight \(weight.shape), bias \(bias.shape), out \(out.shape)")
        let xp = x.data, w = weight.data, b = bias.data, o = out.data, mp = mean.data, rs = rstd.data
        Parallel.forEach(n, cost: 4 * d) { rows in
            for r in rows {
                let xr = xp + r * d, orow = o + r * d
                var sum: Float = 0
                for i in 0..<d { sum += xr[i] }
                let mu = sum / Float(d)
                var v: Float = 0
                for i in 0..<d { let c = xr[i] - mu; v += c * c }
                let s = 1 / (v / Float(d) + eps).squareRoot()
                mp[r] = mu
                rs[r] = s
                for i in 0..<d { orow[i] = (xr[i] - mu) * s * w[i] + b[i] }
            }
        }
    }

    /// Accumulates dX, dWeight and dBias (any may be nil).
    public static func backward(
        _ dOut: Tensor, x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor,
        dX: Tensor?, dWeight: Tensor?, dBias: Tensor?
    ) {
        let d = x.dim(-1), n = x.rows
        let xp = x.data, w = weight.data, g = dOut.data, mp = mean.data, rs = rstd.data
        if let dX {
            let dx = dX.data
            Parallel.forEach(n, cost: 6 * d) { rows in
                for r in rows {
                    let xr = xp + r * d, gr = g + r * d, dxr = dx + r * d
                    let mu = mp[r], s = rs[r]
                    var meanG: Float = 0, meanGX: Float = 0
                    for i in 0..<d {
                        let gw = gr[i] * w[i]
                        meanG += gw
                        meanGX += gw * (xr[i] - mu) * s
                    }
                    meanG /= Float(d)
                    meanGX /= Float(d)
                    for i in 0..<d {
                        let xhat = (xr[i] - mu) * s
                        dxr[i] += s * (gr[i] * w[i] - meanG - xhat * meanGX)
                    }
                }
            }
        }
        if let dWeight {
            let dw = dWeight.data
            Parallel.forEach(d, cost: n) { cs in
                for r in 0..<n {
                    let xr = xp + r * d, gr = g + r * d, mu = mp[r], s = rs[r]
                    for c in cs { dw[c] += gr[c] * (xr[c] - mu) * s }
                }
            }
        }
        if let dBias { Reduce.sumRows(g, rows: n, cols: d, into: dBias.data) }
    }
}
