import Evaluation
import Foundation
import Interchange
import Testing

/// Percentile bootstrap intervals: reproducible from a seed, and covering the true value at about
/// the nominal rate in simulation.
@Suite(.timeLimit(.minutes(10))) struct BootstrapTests {
    static func sample(_ n: Int, seed: UInt64, _ draw: (inout SeededGenerator) -> Double) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in draw(&rng) }
    }

    @Test func sameSeedSameInterval() {
        let values = Self.sample(40, seed: 7) { Double($0.normal()) }
        let a = Bootstrap.mean(values, seed: 11), b = Bootstrap.mean(values, seed: 11), c = Bootstrap.mean(values, seed: 12)
        #expect(a == b)
        #expect(a != c)
        #expect(a.lower < a.estimate && a.estimate < a.upper)
        #expect(a.resamples == 1000 && a.confidence == 0.95)
        #expect(abs(a.estimate - values.reduce(0, +) / 40) < 1e-12)
    }

    @Test func degenerateSamplesGiveThePoint() {
        let one = Bootstrap.mean([0.5], seed: 1)
        #expect(one.lower == 0.5 && one.upper == 0.5 && one.resamples == 0)
        let constant = Bootstrap.mean([1, 1, 1, 1], seed: 1)
        #expect(constant.lower == 1 && constant.upper == 1)
    }

    @Test func quantileInterpolatesAsNumpy() {
        // numpy.quantile([1, 2, 3, 4], 0.25) == 1.75
        #expect(Bootstrap.quantile([1, 2, 3, 4], 0.25) == 1.75)
        #expect(Bootstrap.quantile([1, 2, 3, 4], 0) == 1 && Bootstrap.quantile([1, 2, 3, 4], 1) == 4)
    }

    /// How many of `trials` simulated samples have an interval covering `truth`.
    static func covered(trials: Int, confidence: Double, truth: Double, _ interval: (UInt64, Double) -> Interval) -> Int {
        (0..<trials).filter { t in
            let i = interval(UInt64(t), confidence)
            return i.lower <= truth && truth <= i.upper
        }.count
    }

    @Test func meanIntervalCoversAtTheNominalRate() {
        // pairs won with probability 0.7 (preference accuracy), 60 pairs a sample
        let accuracy = Self.covered(trials: 200, confidence: 0.95, truth: 0.7) { t, c in
            Bootstrap.mean(Self.sample(60, seed: 1000 + t) { $0.chance(0.7) ? 1 : 0 }, seed: t, confidence: c)
        }
        // reward margins: normal with mean 0.4, sd 1.5
        let margin = Self.covered(trials: 200, confidence: 0.95, truth: 0.4) { t, c in
            Bootstrap.mean(Self.sample(60, seed: 5000 + t) { 0.4 + 1.5 * Double($0.normal()) }, seed: t, confidence: c)
        }
        #expect(accuracy >= 180 && accuracy <= 199, "95% intervals covered 0.7 in \(accuracy) of 200 samples")
        #expect(margin >= 180 && margin <= 199, "95% intervals covered 0.4 in \(margin) of 200 samples")
    }

    @Test func ratioIntervalCoversAtTheNominalRate() {
        // per-token KL: prompts of 1–12 tokens, each token's log-ratio with mean 0.05, sd 0.2
        let kl = Self.covered(trials: 200, confidence: 0.95, truth: 0.05) { t, c in
            var rng = SeededGenerator(seed: 9000 + t)
            let units = (0..<50).map { _ -> (numerator: Double, denominator: Double) in
                let tokens = rng.int(in: 1...12)
                let sum = (0..<tokens).map { _ in 0.05 + 0.2 * Double(rng.normal()) }.reduce(0, +)
                return (sum, Double(tokens))
            }
            return Bootstrap.ratio(units, seed: t, confidence: c)
        }
        #expect(kl >= 180 && kl <= 199, "95% intervals covered the KL in \(kl) of 200 samples")
    }

    /// The coverage check tells intervals apart: a 50% interval fails it.
    @Test func narrowIntervalsFailTheCoverageCheck() {
        let narrow = Self.covered(trials: 200, confidence: 0.5, truth: 0.4) { t, c in
            Bootstrap.mean(Self.sample(60, seed: 5000 + t) { 0.4 + 1.5 * Double($0.normal()) }, seed: t, confidence: c)
        }
        #expect(narrow < 180 && narrow > 60, "50% intervals covered the mean in \(narrow) of 200 samples")
    }
}
