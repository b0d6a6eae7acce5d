/// The weight [out, in] of a linear layer: trainable fp32, or a frozen NF4 base (QLoRA) whose
/// products dequantize one tile at a time, so a layer's fp32 weight never exists whole.
public enum LinearWeight: Sendable {
    case dense(Tensor)
    case nf4(NF4Weight)

    public var shape: [Int] {
        switch self {
        case .dense(let w): w.shape
        case .nf4(let w): w.shape
        }
    }

    public var outFeatures: Int { shape[0] }
    public var inFeatures: Int { shape.dropFirst().reduce(1, *) }
}

extension Linear {
    /// At most this many fp32 values in one thread's dequantized tile (512 KiB: L2-sized).
    static let tileElements = 131_072

    /// Splits `extent` rows (or columns) of `length` values each into tiles of at most
    /// `tileElements`, and into at least one tile per thread when there are rows enough.
    static func tiling(_ extent: Int, length: Int) -> (count: Int, size: Int) {
        let largest = max(16, tileElements / max(length, 1))
        let count = max((extent + largest - 1) / largest, min(Parallel.threads, extent / 16), 1)
        return (count, (extent + count - 1) / count)
    }

    /// x [N, in] · Wᵀ (+ bias) → out [N, out].
    public static func forward(_ x: Tensor, weight: LinearWeight, bias: Tensor?, into out: Tensor) {
        switch weight {
        case .dense(let w): forward(x, weight: w, bias: bias, into: out)
        case .nf4(let w): forward(x, nf4: w, bias: bias, into: out)
        }
    }

    /// Accumulates dX += dOut · W, dW += dOutᵀ · x, dB += Σ_rows dOut. An NF4 weight is frozen:
    /// it takes no dWeight.
    public static func backward(
        _ dOut: Tensor, x: Tensor, weight: LinearWeight, dX: Tensor?, dWeight: Tensor?, dBias: Tensor?
    ) {
        switch weight {
        case .dense(let w):
            backward(dOut, x: x, weight: w, dX: dX, dWeight: dWeight, dBias: dBias)
        case .nf4(let w):
            precondition(dWeight == nil, "an NF4 weight is frozen: it has no gradient")
            if let dX { backwardInput(dOut, nf4: w, rows: x.rows, into: dX) }
            if let dBias { Reduce.sumRows(dOut.data, rows: x.rows, cols: w.shape[0], into: dBias.data) }
        }
    }

    /// Each task dequantizes tiles of W's rows into its own scratch and multiplies x by them
    /// into the matching columns of out.
    static func forward(_ x: Tensor, nf4 w: NF4Weight, bias: Tensor?, into out: Tensor) {
        let outF = w.shape[0], inF = w.count / max(outF, 1), n = x.rows
        precondition(x.dim(-1) == inF, "linear input \(x.shape) for weight \(w.shape)")
        fillBias(bias, rows: n, outFeatures: outF, into: out)
        let tiles = tiling(outF, length: inF)
        let xp = x.data, op = out.data, beta: Float = bias == nil ? 0 : 1
        Parallel.forEach(tiles.count, cost: .max) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tiles.size * inF)
            defer { scratch.deallocate() }
            for t in range {
                let r0 = t * tiles.size, r1 = min(outF, r0 + tiles.size)
                guard r0 < r1 else { continue }
                w.dequantize(r0 * inF..<r1 * inF, into: scratch)
                Matmul.gemmSerial(transA: false, transB: true, m: n, n: r1 - r0, k: inF,
                                  a: xp, lda: inF, b: scratch, ldb: inF, beta: beta, c: op + r0, ldc: outF)
            }
        }
    }

    /// dX += dOut · W by tiles of W's columns, so that each column block of dX is one product
    /// over all of W's rows (the same sums, in the same order, as the dense path).
    static func backwardInput(_ dOut: Tensor, nf4 w: NF4Weight, rows n: Int, into dX: Tensor) {
        let outF = w.shape[0], inF = w.count / max(outF, 1)
        precondition(dOut.count == n * outF && dX.count == n * inF, "linear gradients \(dOut.shape), \(dX.shape) for weight \(w.shape)")
        let tiles = tiling(inF, length: outF)
        let gp = dOut.data, dp = dX.data
        Parallel.forEach(tiles.count, cost: .max) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: tiles.size * outF)
            defer { scratch.deallocate() }
            for t in range {
                let c0 = t * tiles.size, c1 = min(inF, c0 + tiles.size), width = c1 - c0
                guard width > 0 else { continue }
                for r in 0..<outF { w.dequantize(r * inF + c0..<r * inF + c1, into: scratch + r * width) }
                Matmul.gemmSerial(transA: false, transB: false, m: n, n: width, k: outF,
                                  a: gp, lda: outF, b: scratch, ldb: width, beta: 1, c: dp + c0, ldc: inF)
            }
        }
    }
}
