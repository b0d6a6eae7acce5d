import CBLAS
import Foundation
import Interchange
import Tensor

/// What this machine's products can do: the sgemm rate on large squares (OpenBLAS's own
/// threads on every core), and the rate of a recorded set of products replayed at their own
/// shapes, the engine's way (single-threaded products) on one core, times the cores: what a
/// step made of those products could reach if nothing but them took time.
public enum GemmRate {
    /// GFLOP/s of `cblas_sgemm` on n×n×n for n = 1024 and 2048, the faster, with OpenBLAS's
    /// threads on `Parallel.threads` cores; the minimum of several calls.
    public static func peakGflops() -> Double {
        openblas_set_num_threads(Int32(Parallel.threads))
        defer { openblas_set_num_threads(1) }
        var best = 0.0
        for n in [1024, 2048] {
            var rng = SeededGenerator(seed: 5)
            let a = Tensor.uniform(shape: [n, n], using: &rng), b = Tensor.uniform(shape: [n, n], using: &rng)
            let c = Tensor(shape: [n, n])
            let seconds = minimumSeconds(budget: 1.5) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                            1, a.data, Int32(n), b.data, Int32(n), 0, c.data, Int32(n))
            }
            best = max(best, 2 * Double(n * n * n) / seconds / 1e9)
        }
        Thread.sleep(forTimeInterval: 0.2)  // OpenBLAS's threads park before the engine's run
        return best
    }

    /// GFLOP/s of the recorded products replayed alone, each shape a `repeats`-th of its calls
    /// (at least one), through `Matmul.gemmSerial` on one core, times the cores: what the
    /// products reach with nothing else between them and no core in another's way.
    public static func replayGflops(_ recording: GemmRecording, callsDividedBy repeats: Int) -> Double {
        let shapes = recording.shapes.map { ($0.shape, max(1, $0.tally.calls / max(repeats, 1))) }
        guard !shapes.isEmpty else { return 0 }
        let a = shapes.map { $0.0.m * $0.0.k }.max()!, b = shapes.map { $0.0.k * $0.0.n }.max()!, c = shapes.map { $0.0.m * $0.0.n }.max()!
        var rng = SeededGenerator(seed: 6)
        let (x, y, z) = (Tensor.uniform(shape: [a], using: &rng), Tensor.uniform(shape: [b], using: &rng), Tensor(shape: [c]))
        let flop = shapes.reduce(0.0) { $0 + $1.0.flop * Double($1.1) }
        let seconds = minimumSeconds(budget: 3) {
            for (s, calls) in shapes {
                for _ in 0..<calls {
                    Matmul.gemmSerial(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
                                      a: x.data, lda: s.transA ? s.m : s.k, b: y.data, ldb: s.transB ? s.k : s.n,
                                      beta: 0, c: z.data, ldc: s.n)
                }
            }
        }
        return Double(Parallel.threads) * flop / seconds / 1e9
    }

    /// What a benchmark reports of its products, after its timed passes: GFLOP a pass, the rate
    /// over the pass (`seconds`, the pass's representative time), the products' share of it and
    /// their rate while running, the sgemm peak and the same products alone, and the process's
    /// peak RSS (read first, before the measurements here allocate).
    public static func figures(_ recording: GemmRecording, passes: Int, seconds: Double, progress: (String) -> Void) -> [(String, Double)] {
        let peakRSS = peakRSSMiB()
        progress("sgemm on large squares, then the products alone")
        let peak = peakGflops()
        let replay = replayGflops(recording, callsDividedBy: passes)
        let gflop = recording.flop / Double(passes) / 1e9
        let threads = Double(Parallel.threads)
        return [
            ("gemm_gflop", gflop), ("gflops", gflop / seconds),
            ("gemm_share", recording.seconds / threads / Double(passes) / seconds),
            ("gemm_gflops_while_in_gemm", recording.flop / (recording.seconds / threads) / 1e9),
            ("sgemm_peak_gflops", peak), ("share_of_sgemm_peak", gflop / seconds / peak),
            ("same_products_alone_gflops", replay), ("share_of_same_products_alone", gflop / seconds / replay),
            ("peak_rss_mib", peakRSS),
        ]
    }

    /// The fastest of repeated calls of `body` (after one warm-up) within about `budget` seconds.
    static func minimumSeconds(budget: Double, _ body: () -> Void) -> Double {
        body()
        let start = DispatchTime.now().uptimeNanoseconds
        var best = Double.infinity
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < budget
        return best
    }
}
