import Foundation
import CBLAS
import CKernels

/// Matrix products. Every GEMM of the engine goes through `cblas_sgemm` here; one-row products
/// (decoding) through a matrix-vector kernel.
public enum Matmul {
    /// Row-major `C = alpha · op(A) · op(B) + beta · C` with `op(A)` m×k and `op(B)` k×n, split
    /// across the kernel threads by blocks of C's rows (or columns, when C is wide).
    ///
    /// OpenBLAS itself runs single-threaded: one pool of threads (ours) owns the cores, so BLAS
    /// threads spinning after a product never compete with the kernels that follow it.
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let byRows = m >= n
        let parts = byRows ? m : n
        // blocks of at least 16 rows or columns, and enough work to be worth a thread (for one
        // row, 8 MB of B or more: a second core adds little to the memory's rate, and waking it
        // costs more than a smaller product)
        let work = m == 1 ? n * k / 4 : m * n * k
        let blocks = min(Parallel.threads, parts / 16, max(1, work / 262_144))
        if blocks <= 1 {
            gemmSerial(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        Parallel.forEach(blocks, cost: .max) { range in
            for block in range {
                let lo = parts * block / blocks, hi = parts * (block + 1) / blocks
                if byRows {
                    gemmSerial(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                               a: a + (transA ? lo : lo * lda), lda: lda, b: b, ldb: ldb,
                               beta: beta, c: c + lo * ldc, ldc: ldc)
                } else {
                    gemmSerial(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha,
                               a: a, lda: lda, b: b + (transB ? lo * ldb : lo), ldb: ldb,
                               beta: beta, c: c + lo, ldc: ldc)
                }
            }
        }
    }

    /// The product on the calling thread: `cblas_sgemm`, or for one row a matrix-vector kernel.
    @inline(__always)
    public static func gemmSerial(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard let recording = GemmRecording.active else {
            product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let started = DispatchTime.now().uptimeNanoseconds
        product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        recording.add(GemmShape(transA: transA, transB: transB, m: m, n: n, k: k),
                      seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    @inline(__always)
    private static func product(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLASKernels.useSingleThread()
        if m == 1 && k > 0 {
            // one row (a decoding step): a matrix-vector product streams B once, where sgemm
            // would pack it first; B's rows as dot products at the memory's rate when it is [n, k]
            if transB && (!transA || lda == 1) {
                vlm_gemv_rows_f32(b, ldb, a, c, n, k, alpha, beta)
            } else {
                cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans, Int32(transB ? n : k), Int32(transB ? k : n),
                            alpha, b, Int32(ldb), a, Int32(transA ? lda : 1), beta, c, 1)
            }
            return
        }
        if transB && !transA && m <= 2 * FewRows.rows && k >= 256 && FewRows.product(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                                                                                  b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
            return
        }
        if k == 0 {
            // BLAS would scale C by beta; make the degenerate case explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Products of up to 64 rows by a row-major [n, k] weight matrix (a batched decoding step),
    /// 32 rows at a time, read in place rather than packed as sgemm would (`vlm_few_rows_f32`):
    /// one thread, 80 against sgemm's 52 GFLOP/s over a batch-32 step's products of SmolVLM-256M's
    /// decoder, weights cold; at 64 rows 82–87 against 67–77. False where the CPU lacks AVX-512.
    enum FewRows {
        static let rows = 32

        static func product(
            m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
        ) -> Bool {
            for start in stride(from: 0, to: m, by: rows) {
                let done = vlm_few_rows_f32(a + start * lda, lda, b, ldb, c + start * ldc, ldc, min(rows, m - start), n, k, alpha, beta)
                guard done == 0 else {
                    precondition(start == 0, "the few-rows kernel failed after its first block")
                    return false
                }
            }
            return true
        }
    }

    /// The sizes of a (batched) product `op(A) · op(B)`: A is [batch..., rows, cols] (or its
    /// transpose), B is [batch..., k, n] or, shared across the batch, [k, n].
    struct Dims {
        let batch: Int, m: Int, n: Int, k: Int, bBatched: Bool

        init(_ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool) {
            precondition(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) and \(b.shape)")
            m = transA ? a.dim(-1) : a.dim(-2)
            k = transA ? a.dim(-2) : a.dim(-1)
            let kb = transB ? b.dim(-1) : b.dim(-2)
            n = transB ? b.dim(-2) : b.dim(-1)
            precondition(k == kb, "matmul inner sizes differ: \(a.shape) and \(b.shape)")
            batch = a.count / max(m * k, 1)
            bBatched = b.rank > 2
            precondition(!bBatched || b.count == batch * k * n, "matmul batch sizes differ: \(a.shape) and \(b.shape)")
        }
    }

    /// `C = op(A) · op(B)` for every batch element (`C += …` when `accumulate`).
    public static func forward(
        _ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false,
        into c: Tensor, accumulate: Bool = false
    ) {
        let d = Dims(a, b, transA: transA, transB: transB)
        precondition(c.count == d.batch * d.m * d.n, "matmul output \(c.shape) does not fit \(a.shape) × \(b.shape)")
        for i in 0..<d.batch {
            gemm(
                transA: transA, transB: transB, m: d.m, n: d.n, k: d.k,
                a: a.data + i * d.m * d.k, lda: transA ? d.m : d.k,
                b: b.data + (d.bBatched ? i * d.k * d.n : 0), ldb: transB ? d.k : d.n,
                beta: accumulate ? 1 : 0, c: c.data + i * d.m * d.n, ldc: d.n)
        }
    }

    /// Accumulates the gradients of `C = op(A) · op(B)` into `dA` and `dB` (either may be nil).
    /// A B shared across the batch gets the sum over the batch.
    public static func backward(
        _ dC: Tensor, _ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false,
        dA: Tensor?, dB: Tensor?
    ) {
        let d = Dims(a, b, transA: transA, transB: transB)
        let (m, n, k) = (d.m, d.n, d.k)
        for i in 0..<d.batch {
            let ap = a.data + i * m * k, bp = b.data + (d.bBatched ? i * k * n : 0)
            let cp = dC.data + i * m * n
            let lda = transA ? m : k, ldb = transB ? k : n
            if let dA {
                let out = dA.data + i * m * k
                if transA {  // dA = op(B) · dCᵀ, a k×m matrix
                    gemm(transA: transB, transB: true, m: k, n: m, k: n,
                         a: bp, lda: ldb, b: cp, ldb: n, beta: 1, c: out, ldc: m)
                } else {  // dA = dC · op(B)ᵀ
                    gemm(transA: false, transB: !transB, m: m, n: k, k: n,
                         a: cp, lda: n, b: bp, ldb: ldb, beta: 1, c: out, ldc: k)
                }
            }
            if let dB {
                let out = dB.data + (d.bBatched ? i * k * n : 0)
                if transB {  // dB = dCᵀ · op(A), an n×k matrix
                    gemm(transA: true, transB: transA, m: n, n: k, k: m,
                         a: cp, lda: n, b: ap, ldb: lda, beta: 1, c: out, ldc: k)
                } else {  // dB = op(A)ᵀ · dC
                    gemm(transA: !transA, transB: false, m: k, n: n, k: m,
                         a: ap, lda: lda, b: cp, ldb: n, beta: 1, c: out, ldc: n)
                }
            }
        }
    }
}
