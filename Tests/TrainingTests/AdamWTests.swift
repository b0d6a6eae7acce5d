import Foundation
import Interchange
import Tensor
import Testing
import Training

/// AdamW and gradient clipping against PyTorch's formulas in Float64, at sizes where
/// `Parallel.forEach` splits them, with the same bits under 1, 2 and 3 threads.
@Suite(.timeLimit(.minutes(10))) struct AdamWTests {
    static let count = 20_000

    static func tensor(_ rng: inout SeededGenerator, scale: Float = 1) -> Tensor {
        Tensor.uniform(shape: [count], scale: scale, using: &rng)
    }

    /// The worst |actual − expected| / (atol + rtol·|expected|): at most 1 passes.
    static func excess(_ actual: [Float], _ expected: [Double], rtol: Double, atol: Double) -> Double {
        zip(actual, expected).reduce(0) { max($0, abs(Double($1.0) - $1.1) / (atol + rtol * abs($1.1))) }
    }

    /// Three steps of torch.optim.AdamW (lr 1e-2, weight decay 0.1 on the first half only).
    @Test func threeStepsEqualTorchsFormulaUnderAnyThreadCount() {
        var rng = SeededGenerator(seed: 5)
        let start = Self.tensor(&rng), gradients = (0..<3).map { _ in Self.tensor(&rng, scale: 0.1) }
        let optimizer = AdamW(weightDecay: 0.1), lr: Float = 1e-2, half = Self.count / 2
        let segments = [(0..<half, decay: true), (half..<Self.count, decay: false)]
        let results = [1, 2, 3].map { threads in
            Parallel.$threads.withValue(threads) {
                let p = Tensor(shape: [Self.count])
                p.copy(from: start)
                var state = AdamW.State(count: Self.count)
                for g in gradients { optimizer.update(values: p, gradients: g, state: &state, lr: lr, segments: segments) }
                return p.array
            }
        }
        #expect(results[1].map(\.bitPattern) == results[0].map(\.bitPattern), "2 threads vs 1")
        #expect(results[2].map(\.bitPattern) == results[0].map(\.bitPattern), "3 threads vs 1")

        let (b1, b2, eps, wd, rate) = (0.9, 0.999, 1e-8, 0.1, Double(lr))
        var p = start.array.map(Double.init), m = [Double](repeating: 0, count: Self.count), v = m
        for (t, g) in gradients.enumerated() {
            let step = Double(t + 1)
            for i in 0..<Self.count {
                if i < half { p[i] *= 1 - rate * wd }
                let gi = Double(g[i])
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p[i] -= rate * (m[i] / (1 - pow(b1, step))) / ((v[i] / (1 - pow(b2, step))).squareRoot() + eps)
            }
        }
        // values of order 1 after three steps of ~1e-2: fp32 keeps them to a few ulps
        let excess = Self.excess(results[0], p, rtol: 1e-6, atol: 1e-7)
        #expect(excess <= 1, "AdamW: worst error \(excess) of the bound")
    }

    /// clip_grad_norm_: the norm (the same bits under any thread count, a size that is not a
    /// whole number of its blocks), and max / (norm + 1e-6) as the factor AdamW applies as it
    /// reads the gradients: the same update as on gradients scaled beforehand.
    @Test func clippingEqualsTorchsFormulaUnderAnyThreadCount() {
        var rng = SeededGenerator(seed: 6)
        let gradients = Tensor.uniform(shape: [200_003], scale: 1, using: &rng)
        let norms = [1, 2, 3].map { threads in Parallel.$threads.withValue(threads) { GradientClipping.norm(gradients) } }
        #expect(norms[1].bitPattern == norms[0].bitPattern && norms[2].bitPattern == norms[0].bitPattern, "\(norms)")
        let norm = gradients.array.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(Double(norms[0]) - norm) <= 1e-6 * norm, "norm \(norms[0]) vs \(norm)")
        let coefficient = GradientClipping.coefficient(norm: norms[0], maxNorm: 1)
        #expect(abs(Double(coefficient) - 1 / (norm + 1e-6)) <= 1e-6 / norm)
        #expect(GradientClipping.coefficient(norm: 0.5, maxNorm: 1) == 1, "no clipping below the maximum")
        #expect(GradientClipping.coefficient(norm: 5, maxNorm: nil) == 1)

        let start = Tensor.uniform(shape: gradients.shape, using: &rng)
        let scaled = Tensor(shape: gradients.shape)
        for i in 0..<scaled.count { scaled[i] = gradients[i] * coefficient }
        let segments = [(0..<gradients.count, decay: true)]
        func updated(_ g: Tensor, scale: Float) -> [Float] {
            let p = Tensor(shape: start.shape)
            p.copy(from: start)
            var state = AdamW.State(count: p.count)
            AdamW(weightDecay: 0.1).update(values: p, gradients: g, gradientScale: scale, state: &state, lr: 1e-2, segments: segments)
            return p.array
        }
        #expect(updated(gradients, scale: coefficient).map(\.bitPattern) == updated(scaled, scale: 1).map(\.bitPattern))
    }
}
