import Tensor
import Testing

@Suite(.timeLimit(.minutes(10))) struct BLASKernelsTests {
    @Test func asksForAVXKernelsOnlyWhenOpenBLASFellBackToGenericOnes() {
        let avx512: Set<Substring> = ["sse3", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
        let avx2: Set<Substring> = ["sse3", "avx", "avx2", "fma"]
        #expect(BLASKernels.betterCoreType(current: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASKernels.betterCoreType(current: "Prescott", cpuFlags: avx2) == "Haswell")
        #expect(BLASKernels.betterCoreType(current: "Prescott", cpuFlags: ["sse3"]) == nil)
        #expect(BLASKernels.betterCoreType(current: "Zen", cpuFlags: avx2) == nil)
        #expect(BLASKernels.betterCoreType(current: "SkylakeX", cpuFlags: avx512) == nil)
    }

    /// Products split across threads give what one BLAS call gives (to rounding: OpenBLAS's
    /// edge kernels differ with the block sizes).
    @Test func splitProductEqualsSingleCall() {
        var r = Inputs(seed: 19)
        for (m, n, k, transA, transB) in [(300, 40, 70, false, true), (40, 300, 70, true, false), (1000, 1000, 3, false, false)] {
            let a = r.tensor(transA ? [k, m] : [m, k]), b = r.tensor(transB ? [n, k] : [k, n])
            let split = Tensor(shape: [m, n]), single = Tensor(shape: [m, n])
            Matmul.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a.data, lda: transA ? m : k,
                        b: b.data, ldb: transB ? k : n, beta: 0, c: split.data, ldc: n)
            Matmul.gemmSerial(transA: transA, transB: transB, m: m, n: n, k: k, a: a.data, lda: transA ? m : k,
                              b: b.data, ldb: transB ? k : n, beta: 0, c: single.data, ldc: n)
            expectClose(split.array, single.doubles, .products, "split \(m)×\(n)×\(k)")
        }
    }
}
