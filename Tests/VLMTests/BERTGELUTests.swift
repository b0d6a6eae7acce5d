import Foundation
import Interchange
import Tensor
import Testing
@testable import VLM

/// The BERT encoder's GELU (erf by Abramowitz & Stegun 7.1.26) against exact GELU in Float64, at
/// a size where `Parallel.forEach` splits it, with the same bits under 1, 2 and 3 threads.
@Suite(.timeLimit(.minutes(10))) struct BERTGELUTests {
    @Test func withinTheApproximationsBoundUnderAnyThreadCount() {
        var rng = SeededGenerator(seed: 8)
        let x = Tensor.uniform(shape: [12_000], scale: 6, using: &rng)
        let results = [1, 2, 3].map { threads in
            Parallel.$threads.withValue(threads) {
                let out = Tensor(shape: x.shape)
                BERTEncoder.gelu(x, into: out)
                return out.array
            }
        }
        #expect(results[1].map(\.bitPattern) == results[0].map(\.bitPattern), "2 threads vs 1")
        #expect(results[2].map(\.bitPattern) == results[0].map(\.bitPattern), "3 threads vs 1")
        // GELU's error is |x|/2 times erf's: 1.5e-7 from the approximation, and up to ~4e-7 from
        // fp32's rounding of 1 − poly · e^(−z²) (a few ulps of 1, next to a small erf): 6e-7
        let worst = zip(x.array, results[0]).map { v, y in
            let exact = 0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))
            return abs(Double(y) - exact) / (0.5 * abs(Double(v)) * 6e-7 + 1e-30)
        }.max()!
        #expect(worst <= 1, "worst error \(worst) of the bound")
    }
}
