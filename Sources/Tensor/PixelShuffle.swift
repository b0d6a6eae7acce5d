/// Idefics3's connector pixel shuffle (`Idefics3Connector.pixel_shuffle`): a square grid of
/// `seq` vision tokens of width E becomes `seq / s²` tokens of width `E·s²`, merging each s×s
/// block. Following transformers' view / permute / reshape sequence, with W = √seq:
///
///     out[b, h1·(W/s) + w1, (h2·s + w2)·E + e] = x[b, (h1·s + h2)·W + w1·s + w2, e]
public enum PixelShuffle {
    /// x [B, seq, E] → out [B, seq/s², E·s²].
    public static func forward(_ x: Tensor, scale: Int, into out: Tensor) {
        precondition(out.count == x.count, "pixel shuffle output \(out.shape) for \(x.shape)")
        let e = x.dim(-1), o = out.data, xp = x.data
        forEachRun(x, scale: scale) { src, dst in (o + dst).update(from: xp + src, count: e) }
    }

    /// Accumulates dX: the inverse permutation of dOut.
    public static func backward(_ dOut: Tensor, scale: Int, dX: Tensor) {
        let e = dX.dim(-1), g = dOut.data, dx = dX.data
        forEachRun(dX, scale: scale) { src, dst in
            for i in 0..<e { dx[src + i] += g[dst + i] }
        }
    }

    /// body(sourceOffset, destinationOffset) for each token-sized run of E values.
    private static func forEachRun(_ x: Tensor, scale s: Int, _ body: (Int, Int) -> Void) {
        precondition(x.rank == 3, "pixel shuffle input must be [batch, seq, embed], got \(x.shape)")
        let batch = x.dim(0), seq = x.dim(1), e = x.dim(2)
        let w = Int(Double(seq).squareRoot().rounded())
        precondition(w * w == seq && w % s == 0,
                     "pixel shuffle needs a square grid divisible by \(s), got \(seq) tokens")
        let ws = w / s
        for b in 0..<batch {
            for h1 in 0..<ws {
                for w1 in 0..<ws {
                    for h2 in 0..<s {
                        for w2 in 0..<s {
                            let src = (b * seq + (h1 * s + h2) * w + w1 * s + w2) * e
                            let dst = (b * seq / (s * s) + h1 * ws + w1) * e * s * s + (h2 * s + w2) * e
                            body(src, dst)
                        }
                    }
                }
            }
        }
    }
}
