/// A convolution whose stride equals its kernel (ViT / SigLIP patch embedding), done as one GEMM
/// over the image's patches laid out as rows (im2col).
public enum PatchEmbedding {
    /// pixels [B, C, H, W], weight [E, C, p, p], bias [E] → out [B, (H/p)·(W/p), E], patches in
    /// row-major grid order like `conv(x).flatten(2).transpose(1, 2)`. `columns`
    /// [B·patches, C·p·p] receives the im2col matrix, which backward needs.
    public static func forward(
        pixels: Tensor, weight: Tensor, bias: Tensor, into out: Tensor, columns: Tensor
    ) {
        let g = Geometry(pixels: pixels, weight: weight)
        precondition(columns.count == g.batch * g.patches * g.patchSize,
                     "patch columns \(columns.shape) for \(g.batch * g.patches) patches × \(g.patchSize)")
        precondition(out.count == g.batch * g.patches * weight.dim(0),
                     "patch embedding output \(out.shape) for \(g.batch * g.patches) patches × \(weight.dim(0))")
        let px = pixels.data, col = columns.data
        g.forEachRun { pixel, column in (col + column).update(from: px + pixel, count: g.p) }
        Linear.forward(columns, weight: weight, bias: bias, into: out)
    }

    /// Accumulates dWeight and dBias, and dPixels when given.
    public static func backward(
        _ dOut: Tensor, pixels: Tensor, weight: Tensor, columns: Tensor,
        dWeight: Tensor?, dBias: Tensor?, dPixels: Tensor?
    ) {
        let dColumns = dPixels.map { _ in Tensor(shape: columns.shape) }
        Linear.backward(dOut, x: columns, weight: weight, dX: dColumns, dWeight: dWeight, dBias: dBias)
        guard let dPixels, let dColumns else { return }
        let g = Geometry(pixels: pixels, weight: weight)
        let dp = dPixels.data, dc = dColumns.data
        // Patches do not overlap, so each pixel receives from exactly one column entry.
        g.forEachRun { pixel, column in
            for x in 0..<g.p { dp[pixel + x] += dc[column + x] }
        }
    }

    struct Geometry {
        let batch: Int, channels: Int, height: Int, width: Int, p: Int
        var gridW: Int { width / p }
        var patches: Int { (height / p) * (width / p) }
        var patchSize: Int { channels * p * p }

        init(pixels: Tensor, weight: Tensor) {
            precondition(pixels.rank == 4 && weight.rank == 4 && weight.dim(2) == weight.dim(3)
                         && weight.dim(1) == pixels.dim(1),
                         "patch embedding needs pixels [B, C, H, W] and weight [E, C, p, p], got \(pixels.shape), \(weight.shape)")
            batch = pixels.dim(0); channels = pixels.dim(1); height = pixels.dim(2); width = pixels.dim(3)
            p = weight.dim(2)
            precondition(height % p == 0 && width % p == 0, "image \(height)×\(width) is not a whole number of \(p)-pixel patches")
        }

        /// Calls body(pixelOffset, columnOffset) for each run of p contiguous pixels of a patch row.
        func forEachRun(_ body: (Int, Int) -> Void) {
            for b in 0..<batch {
                for patch in 0..<patches {
                    let py = patch / gridW, pxx = patch % gridW
                    let rowBase = (b * patches + patch) * patchSize
                    for c in 0..<channels {
                        for y in 0..<p {
                            let pixel = ((b * channels + c) * height + py * p + y) * width + pxx * p
                            body(pixel, rowBase + (c * p + y) * p)
                        }
                    }
                }
            }
        }
    }
}
