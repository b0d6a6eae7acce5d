import CBLAS
import Foundation
import Interchange
import Tensor

/// Times the engine's linear and attention kernels and, in the same run, plain `cblas_sgemm`
/// calls for exactly the products those kernels perform: the ceiling they are measured against.
public struct KernelBenchmark {
    let secondsPerMeasurement: Double

    public init(secondsPerMeasurement: Double) { self.secondsPerMeasurement = secondsPerMeasurement }

    static let linearShapes = [(64, 256, 704), (256, 576, 1536), (512, 768, 3072)]

    public struct LinearResult: Codable {
        let tokens: Int, inFeatures: Int, outFeatures: Int
        let sgemmForwardGflops: Double, forwardGflops: Double, forwardRatio: Double
        let sgemmForwardBackwardGflops: Double, forwardBackwardGflops: Double, forwardBackwardRatio: Double
    }

    public struct AttentionResult: Codable {
        let batch: Int, sequence: Int, heads: Int, kvHeads: Int, headDim: Int, causal: Bool
        let forwardBackwardMilliseconds: Double
        /// The six T×T×d products of dense attention; causal masking lets the engine skip part.
        let denseProductGflop: Double
        let productGflop: Double
        let forwardBackwardGflops: Double
        let sgemmSameProductsGflops: Double
        let ratioToSameProducts: Double
        let ratioToPeakSgemm: Double
    }

    public struct Report: Codable {
        let machine: String, cores: Int, threads: Int, blasKernels: String
        let peakSgemmGflops: Double
        let linear: [LinearResult]
        let attention: AttentionResult

        public var table: String {
            var lines = ["machine: \(machine), \(cores) cores, \(threads) kernel threads, OpenBLAS \(blasKernels) kernels",
                         "",
                         "linear (tokens × in × out)   sgemm fwd   engine fwd   ratio │ sgemm f+b   engine f+b   ratio",
                         "                              GFLOP/s     GFLOP/s            │ GFLOP/s     GFLOP/s"]
            for l in linear {
                let shape = "\(l.tokens) × \(l.inFeatures) × \(l.outFeatures)"
                lines.append(shape.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + fmt(l.sgemmForwardGflops, 11) + fmt(l.forwardGflops, 13) + pct(l.forwardRatio)
                    + " │" + fmt(l.sgemmForwardBackwardGflops, 10) + fmt(l.forwardBackwardGflops, 13) + pct(l.forwardBackwardRatio))
            }
            let a = attention
            lines += ["",
                      "attention fwd+bwd: batch \(a.batch), seq \(a.sequence), \(a.heads) heads, \(a.kvHeads) kv heads, head dim \(a.headDim), causal",
                      String(format: "  %.2f ms, %.3f GFLOP in the products computed (%.3f dense; causal blocks skipped) → %.1f GFLOP/s",
                             a.forwardBackwardMilliseconds, a.productGflop, a.denseProductGflop, a.forwardBackwardGflops),
                      String(format: "  sgemm on the dense T×T×d products: %.1f GFLOP/s → %.0f%%; peak sgemm above: %.1f GFLOP/s → %.0f%%",
                             a.sgemmSameProductsGflops, 100 * a.ratioToSameProducts, peakSgemmGflops, 100 * a.ratioToPeakSgemm)]
            return lines.joined(separator: "\n")
        }

        private func fmt(_ v: Double, _ width: Int) -> String {
            String(format: "%\(width).1f", v)
        }
        private func pct(_ v: Double) -> String { String(format: "%7.0f%%", 100 * v) }
    }

    public func run() -> Report {
        let linear = Self.linearShapes.map { measureLinear(tokens: $0.0, inF: $0.1, outF: $0.2) }
        let peak = linear.map { max($0.sgemmForwardGflops, $0.sgemmForwardBackwardGflops) }.max() ?? 0
        let attention = measureAttention(batch: 1, sequence: 256, heads: 9, kvHeads: 3, headDim: 64, peak: peak)
        return Report(machine: Self.cpuName(), cores: ProcessInfo.processInfo.activeProcessorCount,
                      threads: Parallel.threads, blasKernels: BLASKernels.coreName, peakSgemmGflops: peak, linear: linear, attention: attention)
    }

    /// The fastest of many calls of `reference` and of `engine`, timed in alternating bursts
    /// so that both see the same machine state (clock, other load). On a shared virtual
    /// machine a slow call says more about the neighbours than about the code: the minimum is
    /// the stable figure.
    ///
    /// The reference is plain `cblas_sgemm` with OpenBLAS's own threads on all cores; the engine
    /// runs OpenBLAS single-threaded and splits the work itself. OpenBLAS's threads keep spinning
    /// for a while after a call, so each burst of reference calls is followed by a pause that
    /// lets them park before the engine runs (and the engine's threads park quickly).
    func time(reference rawSgemm: () -> Void, engine: () -> Void) -> (reference: Double, engine: Double) {
        func reference() {
            openblas_set_num_threads(Int32(Parallel.threads))
            rawSgemm()
            openblas_set_num_threads(1)
        }
        func burst(_ body: () -> Void, into samples: inout [Double]) {
            body()  // warm-up
            let start = DispatchTime.now().uptimeNanoseconds
            repeat {
                let t0 = DispatchTime.now().uptimeNanoseconds
                body()
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < secondsPerMeasurement / 6
        }
        var r: [Double] = [], e: [Double] = []
        for _ in 0..<6 {
            burst(reference, into: &r)
            Thread.sleep(forTimeInterval: 0.2)
            burst(engine, into: &e)
        }
        return (r.min()!, e.min()!)
    }

    func measureLinear(tokens n: Int, inF: Int, outF: Int) -> LinearResult {
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.uniform(shape: [n, inF], using: &rng), w = Tensor.uniform(shape: [outF, inF], using: &rng)
        let b = Tensor.uniform(shape: [outF], using: &rng), y = Tensor(shape: [n, outF])
        let dY = Tensor.uniform(shape: [n, outF], using: &rng)
        let dX = Tensor(shape: x.shape), dW = Tensor(shape: w.shape), dB = Tensor(shape: b.shape)
        let flop = 2.0 * Double(n * inF * outF)

        // the raw products: y = x·Wᵀ, dX = dY·W, dW = dYᵀ·x
        let rawForward = {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(outF), Int32(inF),
                        1, x.data, Int32(inF), w.data, Int32(inF), 0, y.data, Int32(outF))
        }
        let rawBackward = {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(inF), Int32(outF),
                        1, dY.data, Int32(outF), w.data, Int32(inF), 1, dX.data, Int32(inF))
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outF), Int32(inF), Int32(n),
                        1, dY.data, Int32(outF), x.data, Int32(inF), 1, dW.data, Int32(inF))
        }
        let forward = time(reference: rawForward) { Linear.forward(x, weight: w, bias: b, into: y) }
        let forwardBackward = time(reference: { rawForward(); rawBackward() }) {
            Linear.forward(x, weight: w, bias: b, into: y)
            Linear.backward(dY, x: x, weight: w, dX: dX, dWeight: dW, dBias: dB)
        }
        let rawF = flop / forward.reference / 1e9, rawFB = 3 * flop / forwardBackward.reference / 1e9
        let engF = flop / forward.engine / 1e9, engFB = 3 * flop / forwardBackward.engine / 1e9
        return LinearResult(tokens: n, inFeatures: inF, outFeatures: outF,
                      sgemmForwardGflops: rawF, forwardGflops: engF, forwardRatio: engF / rawF,
                      sgemmForwardBackwardGflops: rawFB, forwardBackwardGflops: engFB, forwardBackwardRatio: engFB / rawFB)
    }

    func measureAttention(batch: Int, sequence t: Int, heads: Int, kvHeads: Int, headDim d: Int, peak: Double) -> AttentionResult {
        var rng = SeededGenerator(seed: 2)
        let q = Tensor.uniform(shape: [batch, t, heads, d], using: &rng)
        let k = Tensor.uniform(shape: [batch, t, kvHeads, d], using: &rng)
        let v = Tensor.uniform(shape: [batch, t, kvHeads, d], using: &rng)
        let dOut = Tensor.uniform(shape: q.shape, using: &rng)
        let out = Tensor(shape: q.shape)
        let dQ = Tensor(shape: q.shape), dK = Tensor(shape: k.shape), dV = Tensor(shape: v.shape)
        let attention = Attention(heads: heads, kvHeads: kvHeads, headDim: d, causal: true)
        // seven T×T×d products per head: Q·Kᵀ and P·V forward; Q·Kᵀ again, dO·Vᵀ, Pᵀ·dO, dS·K,
        // dSᵀ·Q backward
        let denseFlop = Double(batch * heads) * 7 * 2 * Double(t * t * d)
        let flop = attention.productFLOPs(batch: batch, queries: t, keys: t)
        let a = Tensor.uniform(shape: [t, d], using: &rng), b = Tensor.uniform(shape: [t, d], using: &rng)
        let s = Tensor.uniform(shape: [t, t], using: &rng), c = Tensor(shape: [t, t]), e = Tensor(shape: [t, d])
        let (raw, seconds) = time(reference: {
            for _ in 0..<(batch * heads) {
                let scores = {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(t), Int32(d),
                                1, a.data, Int32(d), b.data, Int32(d), 0, c.data, Int32(t))
                }
                for _ in 0..<3 {  // one T×T output and one T×d output per pair of products
                    scores()
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(t), Int32(d), Int32(t),
                                1, s.data, Int32(t), b.data, Int32(d), 0, e.data, Int32(d))
                }
                scores()  // backward's Q·Kᵀ again
            }
        }, engine: {
            attention.forward(q: q, k: k, v: v, into: out)
            attention.backward(dOut, q: q, k: k, v: v, dQ: dQ, dK: dK, dV: dV)
        })
        let rate = flop / seconds / 1e9, rawRate = denseFlop / raw / 1e9
        return AttentionResult(batch: batch, sequence: t, heads: heads, kvHeads: kvHeads, headDim: d, causal: true,
                         forwardBackwardMilliseconds: seconds * 1e3, denseProductGflop: denseFlop / 1e9, productGflop: flop / 1e9,
                         forwardBackwardGflops: rate, sgemmSameProductsGflops: rawRate,
                         ratioToSameProducts: rate / rawRate, ratioToPeakSgemm: rate / peak)
    }

    public static func cpuName() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let name = line.split(separator: ":", maxSplits: 1).last
        else { return "unknown CPU" }
        return name.trimmingCharacters(in: .whitespaces)
    }
}
