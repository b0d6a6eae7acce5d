/// `y = x · Wᵀ + b` with PyTorch's weight layout [out, in].
public enum Linear {
    /// x [N, in], weight [out, in], bias [out] → out [N, out].
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) {
        let (n, inF, outF) = sizes(x, weight)
        fillBias(bias, rows: n, outFeatures: outF, into: out)
        Matmul.gemm(transA: false, transB: true, m: n, n: outF, k: inF,
                    a: x.data, lda: inF, b: weight.data, ldb: inF,
                    beta: bias == nil ? 0 : 1, c: out.data, ldc: outF)
    }

    /// Accumulates dX += dOut · W, dW += dOutᵀ · x, dB += Σ_rows dOut; any may be nil.
    public static func backward(
        _ dOut: Tensor, x: Tensor, weight: Tensor,
        dX: Tensor?, dWeight: Tensor?, dBias: Tensor?
    ) {
        let (n, inF, outF) = sizes(x, weight)
        if let dX {
            Matmul.gemm(transA: false, transB: false, m: n, n: inF, k: outF,
                        a: dOut.data, lda: outF, b: weight.data, ldb: inF,
                        beta: 1, c: dX.data, ldc: inF)
        }
        if let dWeight {
            Matmul.gemm(transA: true, transB: false, m: outF, n: inF, k: n,
                        a: dOut.data, lda: outF, b: x.data, ldb: inF,
                        beta: 1, c: dWeight.data, ldc: inF)
        }
        if let dBias { Reduce.sumRows(dOut.data, rows: n, cols: outF, into: dBias.data) }
    }

    /// Writes the bias into every row of out (the products then accumulate onto it).
    static func fillBias(_ bias: Tensor?, rows n: Int, outFeatures outF: Int, into out: Tensor) {
        precondition(out.count == n * outF, "linear output \(out.shape) for \(n) rows × \(outF)")
        guard let bias else { return }
        precondition(bias.count == outF, "linear bias \(bias.shape) for \(outF) outputs")
        let o = out.data, b = bias.data
        Parallel.forEach(n, cost: outF) { rows in
            for r in rows { (o + r * outF).update(from: b, count: outF) }
        }
    }

    /// A weight of rank > 2 (a convolution's [out, c, kh, kw]) acts as [out, rest].
    static func sizes(_ x: Tensor, _ weight: Tensor) -> (Int, Int, Int) {
        precondition(weight.rank >= 2, "linear weight must be [out, in], got \(weight.shape)")
        let outF = weight.dim(0), inF = weight.count / max(outF, 1)
        precondition(x.dim(-1) == inF, "linear input \(x.shape) for weight \(weight.shape)")
        return (x.rows, inF, outF)
    }
}
