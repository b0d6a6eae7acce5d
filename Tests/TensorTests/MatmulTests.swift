import CKernels
import Tensor
import Testing

/// Naive batched op(A)·op(B) in Float64; B without batch dimensions is shared.
func referenceMatmul(
    _ a: [Double], _ b: [Double], batch: Int, m: Int, n: Int, k: Int,
    transA: Bool, transB: Bool, bBatched: Bool
) -> [Double] {
    var c = [Double](repeating: 0, count: batch * m * n)
    for p in 0..<batch {
        let ao = p * m * k, bo = bBatched ? p * k * n : 0
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for l in 0..<k {
                    let av = transA ? a[ao + l * m + i] : a[ao + i * k + l]
                    let bv = transB ? b[bo + j * k + l] : b[bo + l * n + j]
                    s += av * bv
                }
                c[p * m * n + i * n + j] = s
            }
        }
    }
    return c
}

@Suite(.timeLimit(.minutes(10))) struct MatmulTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func batchedProductAndGradients(transA: Bool, transB: Bool) {
        for (batch, m, n, k, bBatched) in [(1, 1, 1, 1, true), (3, 7, 5, 33, true), (2, 33, 3, 7, false)] {
            var r = Inputs(seed: 1)
            let a = r.tensor(transA ? [batch, k, m] : [batch, m, k])
            let b = r.tensor(bBatched ? (transB ? [batch, n, k] : [batch, k, n]) : (transB ? [n, k] : [k, n]))
            let c = Tensor(shape: [batch, m, n])
            Matmul.forward(a, b, transA: transA, transB: transB, into: c)
            let f = { (x: [[Double]]) in
                referenceMatmul(x[0], x[1], batch: batch, m: m, n: n, k: k,
                                transA: transA, transB: transB, bBatched: bBatched)
            }
            expectClose(c.array, f([a.doubles, b.doubles]), .forward, "matmul forward \(batch)×\(m)×\(n)×\(k)")

            // accumulate adds onto what C held
            Matmul.forward(a, b, transA: transA, transB: transB, into: c, accumulate: true)
            expectClose(c.array, f([a.doubles, b.doubles]).map { 2 * $0 }, .forward, "matmul accumulate")

            let dC = r.tensor([batch, m, n])
            let dA = Tensor(shape: a.shape), dB = Tensor(shape: b.shape)
            Matmul.backward(dC, a, b, transA: transA, transB: transB, dA: dA, dB: dB)
            let x = [a.doubles, b.doubles]
            expectClose(dA.array, numericGradient(x, wrt: 0, upstream: dC.doubles, f),
                        .gradient, "matmul dA")
            expectClose(dB.array, numericGradient(x, wrt: 1, upstream: dC.doubles, f),
                        .gradient, "matmul dB")
        }
    }

    /// One row of A (a decoding step) takes the matrix-vector kernels: vector bodies with every
    /// tail length, B wide enough to be split across threads, and C accumulated onto.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func oneRowProducts(transA: Bool, transB: Bool) {
        for (n, k) in [(1, 1), (5, 15), (17, 16), (9, 33), (31, 579), (4097, 515)] {
            var r = Inputs(seed: 3)
            let a = r.tensor(transA ? [k, 1] : [1, k]), b = r.tensor(transB ? [n, k] : [k, n])
            let c = r.tensor([1, n]), before = c.doubles
            Matmul.forward(a, b, transA: transA, transB: transB, into: c, accumulate: true)
            let product = referenceMatmul(a.doubles, b.doubles, batch: 1, m: 1, n: n, k: k,
                                          transA: transA, transB: transB, bBatched: false)
            expectClose(c.array, zip(product, before).map { $0 + $1 }, .products, "one-row matmul \(n)×\(k)")
            Matmul.forward(a, b, transA: transA, transB: transB, into: c)
            expectClose(c.array, product, .products, "one-row matmul \(n)×\(k), C overwritten")
        }
    }
}

/// Every matrix-vector kernel the machine can run (the product picks the widest), with rows
/// padded beyond k, every tail length and alpha and beta both used.
@Suite struct MatrixVectorKernelTests {
    @Test(arguments: [0, 1, 2])
    func kernel(isa: Int32) throws {
        for k in [1, 7, 8, 15, 16, 17, 31, 33, 64, 100] {
            let rows = 6, ldw = k + 3
            var r = Inputs(seed: UInt64(k))
            let w = r.tensor([rows, ldw]), x = r.tensor([k]), y = r.tensor([rows])
            let before = y.doubles, wd = w.doubles, xd = x.doubles
            // an instruction set this CPU lacks cannot be checked here (a CI machine with it does)
            guard vlm_gemv_rows_f32_isa(isa, w.data, ldw, x.data, y.data, rows, k, 0.5, 2) == 0 else { return }
            let products = (0..<rows).map { row in (0..<k).reduce(0.0) { $0 + wd[row * ldw + $1] * xd[$1] } }
            expectClose(y.array, zip(products, before).map { 0.5 * $0 + 2 * $1 }, .forward, "kernel \(isa), k \(k)")
            // beta 0 ignores what y held, NaN included (BLAS's rule: scratch reaches it unset)
            y.data.update(repeating: .nan, count: rows)
            _ = vlm_gemv_rows_f32_isa(isa, w.data, ldw, x.data, y.data, rows, k, 1, 0)
            expectClose(y.array, products, .forward, "kernel \(isa), k \(k), beta 0")
        }
    }
}

/// The few-rows kernel of batched decoding, A [m, k] · Bᵀ with B [n, k]: every row count up to
/// its 32 lanes, whole and partial tiles of 12 of B's rows, padded strides, alpha and beta; then
/// through `Matmul`, which runs 33 to 64 rows as blocks of 32.
@Suite struct FewRowsKernelTests {
    func check(m: Int, n: Int, k: Int, alpha: Float, beta: Float, product: (Tensor, Int, Tensor, Int, Tensor, Int) -> Bool) {
        let (lda, ldb, ldc) = (k + 3, k + 5, n + 2)
        var r = Inputs(seed: UInt64(m * 1000 + n))
        let a = r.tensor([m, lda]), b = r.tensor([n, ldb]), c = r.tensor([m, ldc])
        let (ad, bd, before) = (a.doubles, b.doubles, c.doubles)
        // beta 0 ignores what C held; the padding past n stays as it was
        if beta == 0 { for i in 0..<m { (c.data + i * ldc).update(repeating: .nan, count: n) } }
        // a CPU without AVX-512 cannot check the kernel here (a CI machine with it does)
        guard product(a, lda, b, ldb, c, ldc) else { return }
        var expected = before
        for i in 0..<m {
            for j in 0..<n {
                let dot = (0..<k).reduce(0.0) { $0 + ad[i * lda + $1] * bd[j * ldb + $1] }
                expected[i * ldc + j] = Double(alpha) * dot + (beta == 0 ? 0 : Double(beta) * before[i * ldc + j])
            }
        }
        expectClose(c.array, expected, .products, "few rows m \(m) n \(n) k \(k) alpha \(alpha) beta \(beta)")
    }

    @Test func kernel() {
        for m in [1, 2, 16, 17, 32] {
            for n in [1, 12, 13, 29] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 2)] {
                    check(m: m, n: n, k: 257, alpha: alpha, beta: beta) { a, lda, b, ldb, c, ldc in
                        vlm_few_rows_f32(a.data, lda, b.data, ldb, c.data, ldc, m, n, 257, alpha, beta) == 0
                    }
                }
            }
        }
        var r = Inputs(seed: 1)
        let a = r.tensor([33, 8]), b = r.tensor([4, 8]), c = Tensor(shape: [33, 4])
        #expect(vlm_few_rows_f32(a.data, 8, b.data, 8, c.data, 4, 33, 4, 8, 1, 0) == -1, "more rows than lanes")
    }

    @Test func blocksOf32Rows() {
        for m in [33, 64] {
            check(m: m, n: 13, k: 300, alpha: 0.5, beta: 2) { a, lda, b, ldb, c, ldc in
                Matmul.gemmSerial(transA: false, transB: true, m: m, n: 13, k: 300, alpha: 0.5, a: a.data, lda: lda,
                                  b: b.data, ldb: ldb, beta: 2, c: c.data, ldc: ldc)
                return true
            }
        }
    }
}

@Suite(.timeLimit(.minutes(10))) struct LinearTests {
    @Test(arguments: [true, false])
    func forwardAndGradients(withBias: Bool) {
        for (n, inF, outF) in [(1, 1, 1), (7, 33, 3), (33, 5, 17)] {
            var r = Inputs(seed: 2)
            let x = r.tensor([n, inF]), w = r.tensor([outF, inF]), b = r.tensor([outF])
            let y = Tensor(shape: [n, outF])
            Linear.forward(x, weight: w, bias: withBias ? b : nil, into: y)
            let f = { (v: [[Double]]) -> [Double] in
                var out = [Double](repeating: 0, count: n * outF)
                for i in 0..<n {
                    for o in 0..<outF {
                        var s = withBias ? v[2][o] : 0
                        for j in 0..<inF { s += v[0][i * inF + j] * v[1][o * inF + j] }
                        out[i * outF + o] = s
                    }
                }
                return out
            }
            let inputs = [x.doubles, w.doubles, b.doubles]
            expectClose(y.array, f(inputs), .forward, "linear forward \(n)×\(inF)×\(outF)")

            let g = r.tensor([n, outF])
            let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape), dB = Tensor(shape: b.shape)
            Linear.backward(g, x: x, weight: w, dX: dX, dWeight: dW, dBias: withBias ? dB : nil)
            expectClose(dX.array, numericGradient(inputs, wrt: 0, upstream: g.doubles, f), .gradient, "linear dX")
            expectClose(dW.array, numericGradient(inputs, wrt: 1, upstream: g.doubles, f), .gradient, "linear dW")
            if withBias {
                expectClose(dB.array, numericGradient(inputs, wrt: 2, upstream: g.doubles, f), .gradient, "linear dB")
            }
        }
    }

    @Test func backwardAccumulatesIntoExistingGradients() {
        var r = Inputs(seed: 3)
        let x = r.tensor([3, 7]), w = r.tensor([5, 7]), g = r.tensor([3, 5])
        let once = Tensor(shape: w.shape), twice = Tensor(shape: w.shape)
        Linear.backward(g, x: x, weight: w, dX: nil, dWeight: once, dBias: nil)
        Linear.backward(g, x: x, weight: w, dX: nil, dWeight: twice, dBias: nil)
        Linear.backward(g, x: x, weight: w, dX: nil, dWeight: twice, dBias: nil)
        expectClose(twice.array, once.doubles.map { 2 * $0 }, .exact, "accumulated dW")
    }
}
