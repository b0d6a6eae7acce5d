import CKernels
import Foundation
import Tensor
import Testing

/// The elementwise kernels of CKernels at every instruction-set level the machine has: the same
/// bits as the plain-C level (no multiply-add is fused, the reductions' order is fixed), and the
/// plain level the same bits as the same arithmetic in Swift with `VectorMath.exp` (the
/// activations called glibc's `expf` before, within 2 ulp of it). The values themselves are
/// checked against Float64 references through the public types (ActivationTests,
/// ThreadedKernelTests, AttentionTests, AdamWTests; QuickGELU through the Qwen2-VL fixtures).
@Suite struct ElementwiseKernelTests {
    /// Every tail length around the vectors' 8 and 16 lanes, far values, ±inf, ±0 and NaN.
    static func inputs(_ count: Int, seed: UInt64) -> [Float] {
        var r = Inputs(seed: seed)
        var x = r.tensor([max(count, 1)], scale: 6).array
        let special: [Float] = [0, -0.0, 1e4, -1e4, 90, -90, .infinity, -.infinity, .nan, 88.7, -87.3]
        for (i, s) in special.enumerated() where i * 3 < count { x[i * 3] = s }
        return Array(x.prefix(count))
    }

    static let lengths = [0, 1, 7, 15, 16, 17, 33, 100, 1_000]
    static let levels: [Int32] = [1, 2].filter { vlm_isa_supported($0) != 0 }

    /// Runs `kernel` at level 0 and at each level the machine has, on fresh copies of `buffers`;
    /// expects the same bits everywhere and returns level 0's buffers.
    static func sameAtEveryLevel(_ name: String, _ buffers: [[Float]],
                                 _ kernel: (Int32, [UnsafeMutablePointer<Float>]) -> Void) -> [[Float]] {
        func run(_ isa: Int32) -> [[Float]] {
            let copies = buffers.map { b in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: max(b.count, 1))
                p.initialize(from: b, count: b.count)
                return p
            }
            defer { copies.forEach { $0.deallocate() } }
            kernel(isa, copies)
            return zip(copies, buffers).map { Array(UnsafeBufferPointer(start: $0, count: $1.count)) }
        }
        let plain = run(0)
        for isa in levels {
            let wide = run(isa)
            for (a, b) in zip(plain, wide) { expectSameBits(b, a, "\(name) at level \(isa) against plain C") }
        }
        return plain
    }

    /// The same bits in every element (any NaN matching any NaN).
    static func expectSameBits(_ a: [Float], _ b: [Float], _ what: String) {
        guard a.count == b.count else { Issue.record("\(what): \(a.count) elements, not \(b.count)"); return }
        let first = a.indices.first { a[$0].bitPattern != b[$0].bitPattern && !(a[$0].isNaN && b[$0].isNaN) }
        #expect(first == nil, "\(what): element \(first ?? -1) is \(first.map { a[$0] } ?? 0), not \(first.map { b[$0] } ?? 0)")
    }

    @Test(arguments: lengths)
    func activations(count: Int) {
        let x = Self.inputs(count, seed: UInt64(count) + 1), up = Self.inputs(count, seed: 7), d = Self.inputs(count, seed: 8)
        let n = count
        let silu = Self.sameAtEveryLevel("swiglu", [x, up, x]) { isa, b in vlm_swiglu_f32(isa, b[0], b[1], b[2], n) }
        let sigmoid: [Float] = x.map { v in 1 / (1 + VectorMath.exp(-v)) }
        var expected: [Float] = (0..<n).map { i in x[i] / (1 + VectorMath.exp(-x[i])) * up[i] }
        Self.expectSameBits(silu[2], expected, "swiglu against Swift")
        let siluBack = Self.sameAtEveryLevel("swiglu backward", [d, x, up, up, d]) { isa, b in
            vlm_swiglu_backward_f32(isa, b[0], b[1], b[2], b[3], b[4], n)
        }
        expected = (0..<n).map { i in d[i] + d[i] * x[i] * sigmoid[i] }
        Self.expectSameBits(siluBack[4], expected, "swiglu dUp against Swift")
        expected = (0..<n).map { i in
            let s = sigmoid[i]
            return up[i] + d[i] * up[i] * s * (1 + x[i] * (1 - s))
        }
        Self.expectSameBits(siluBack[3], expected, "swiglu dGate against Swift")

        let c: Float = 0.797_884_560_802_865_4
        let twiceU: [Float] = x.map { v in -2 * c * (v + 0.044715 * v * v * v) }
        let gelu = Self.sameAtEveryLevel("gelu", [x, x]) { isa, b in vlm_gelu_tanh_f32(isa, b[0], b[1], n) }
        expected = (0..<n).map { i in x[i] / (1 + VectorMath.exp(twiceU[i])) }
        Self.expectSameBits(gelu[1], expected, "gelu against Swift")
        let geluBack = Self.sameAtEveryLevel("gelu backward", [d, x, up]) { isa, b in vlm_gelu_tanh_backward_f32(isa, b[0], b[1], b[2], n) }
        expected = (0..<n).map { i in
            let v = x[i], s: Float = 1 / (1 + VectorMath.exp(twiceU[i]))
            let du: Float = c * (1 + 3 * 0.044715 * v * v)
            let slope: Float = s + 2 * v * s * (1 - s) * du
            return up[i] + d[i] * slope
        }
        Self.expectSameBits(geluBack[2], expected, "gelu dX against Swift")

        let quick = Self.sameAtEveryLevel("quick gelu", [x, x]) { isa, b in vlm_quick_gelu_f32(isa, b[0], b[1], n) }
        expected = x.map { v in v / (1 + VectorMath.exp(-1.702 * v)) }
        Self.expectSameBits(quick[1], expected, "quick gelu against Swift")
        let quickBack = Self.sameAtEveryLevel("quick gelu backward", [d, x, up]) { isa, b in
            vlm_quick_gelu_backward_f32(isa, b[0], b[1], b[2], n)
        }
        expected = (0..<n).map { i in
            let v = x[i], s: Float = 1 / (1 + VectorMath.exp(-1.702 * v))
            let inner: Float = 1 + 1.702 * v * (1 - s)
            return up[i] + d[i] * s * inner
        }
        Self.expectSameBits(quickBack[2], expected, "quick gelu dX against Swift")
    }

    @Test(arguments: lengths.filter { $0 > 0 })
    func softmax(count: Int) {
        var r = Inputs(seed: UInt64(count))
        var row = r.tensor([count], scale: 20).array
        if count > 2 { row[1] = -.infinity } // a hidden key
        let p = Self.sameAtEveryLevel("softmax", [row]) { isa, b in vlm_softmax_f32(isa, b[0], count) }[0]
        let m = row.map(Double.init).max()!
        let e = row.map { exp(Double($0) - m) }, total = e.reduce(0, +)
        expectClose(p, e.map { $0 / total }, Tolerance(rtol: 1e-5, atol: 1e-7), "softmax of \(count)")
        if count > 2 { #expect(p[1] == 0) }
        let hidden = Self.sameAtEveryLevel("softmax, all hidden", [[Float](repeating: -.infinity, count: count)]) { isa, b in
            vlm_softmax_f32(isa, b[0], count)
        }[0]
        #expect(hidden.allSatisfy { $0 == 0 }, "every key hidden: no probability anywhere")
    }

    @Test(arguments: lengths)
    func adamW(count: Int) {
        var r = Inputs(seed: 40)
        let p = r.tensor([max(count, 1)]).array.prefix(count), g = r.tensor([max(count, 1)], scale: 3).array.prefix(count)
        let m = r.tensor([max(count, 1)], scale: 0.1).array.prefix(count)
        let v = r.tensor([max(count, 1)]).array.prefix(count).map { $0 * $0 * 0.01 }
        var step = vlm_adamw_step(gradient_scale: 0.37, keep: 1 - 1e-3 * 0.01, beta1: 0.9, beta2: 0.999,
                                  step_size: 1e-3 / (1 - 0.81), correction2_sqrt: (1 - 0.998_001 as Float).squareRoot(), epsilon: 1e-8)
        let out = Self.sameAtEveryLevel("adamw", [Array(p), Array(g), Array(m), v]) { isa, b in
            vlm_adamw_f32(isa, b[0], b[1], b[2], b[3], count, &step)
        }
        // torch.optim.AdamW's arithmetic, in Swift, in the same order
        var (ep, em, ev) = (Array(p), Array(m), v)
        let (b1, b2) = (step.beta1, step.beta2)
        for i in 0..<count {
            let gi: Float = g[i] * step.gradient_scale
            ep[i] *= step.keep
            em[i] = b1 * em[i] + (1 - b1) * gi
            ev[i] = b2 * ev[i] + (1 - b2) * gi * gi
            let denominator: Float = ev[i].squareRoot() / step.correction2_sqrt + step.epsilon
            ep[i] -= step.step_size * em[i] / denominator
        }
        Self.expectSameBits(out[0], ep, "adamw parameters against Swift")
        Self.expectSameBits(out[2], em, "adamw first moments against Swift")
        Self.expectSameBits(out[3], ev, "adamw second moments against Swift")
    }
}
