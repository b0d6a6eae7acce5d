/// Residual connections: out = a + b, and the gradient that flows to both branches.
public enum Residual {
    public static func forward(_ a: Tensor, _ b: Tensor, into out: Tensor) {
        precondition(a.count == b.count && out.count == a.count, "residual shapes: \(a.shape) + \(b.shape) → \(out.shape)")
        let ap = a.data, bp = b.data, o = out.data
        Parallel.forEach(a.count) { r in for i in r { o[i] = ap[i] + bp[i] } }
    }

    /// Accumulates dOut into dA and dB (either may be nil).
    public static func backward(_ dOut: Tensor, dA: Tensor?, dB: Tensor?) {
        if let dA { accumulate(dOut, into: dA) }
        if let dB { accumulate(dOut, into: dB) }
    }

    /// dst += src.
    public static func accumulate(_ src: Tensor, into dst: Tensor) {
        precondition(src.count == dst.count, "accumulate \(src.shape) into \(dst.shape)")
        let s = src.data, d = dst.data
        Parallel.forEach(src.count) { r in for i in r { d[i] += s[i] } }
    }
}
