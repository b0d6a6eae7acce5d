import Foundation
import Interchange
import JSON

/// A point estimate with its confidence interval.
public struct Interval: Sendable, Equatable, Codable {
    public var estimate: Double
    public var lower: Double
    public var upper: Double
    /// Nominal coverage (0.95).
    public var confidence: Double
    /// Resamples drawn (0 when the interval is degenerate: fewer than 2 units).
    public var resamples: Int

    public init(estimate: Double, lower: Double, upper: Double, confidence: Double, resamples: Int) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.confidence = confidence
        self.resamples = resamples
    }

    public var json: JSONValue {
        .object([("value", .double(estimate)), ("lower", .double(lower)), ("upper", .double(upper)),
                 ("confidence", .double(confidence)), ("resamples", .int(resamples))])
    }
}

/// Percentile bootstrap intervals (Efron): the units (pairs, prompts) are drawn with
/// replacement `resamples` times, n each time, from one `SeededGenerator(seed:)`, the statistic
/// is computed on each resample, and the interval is the (1 − c)/2 and (1 + c)/2 quantiles of
/// those values (linear interpolation between order statistics, numpy's default). The point
/// estimate is the statistic on the sample itself. The same units, seed and resamples give the
/// same interval on every machine (the draws are `SeededGenerator.below`).
public enum Bootstrap {
    public static let defaultResamples = 1000
    public static let defaultConfidence = 0.95

    /// The interval of `statistic`, which gets how many times each unit is drawn (`counts[i]`,
    /// summing to n; all 1 for the sample itself).
    public static func interval(units n: Int, seed: UInt64, resamples: Int = defaultResamples,
                                confidence: Double = defaultConfidence, statistic: ([Int]) -> Double) -> Interval {
        precondition(confidence > 0 && confidence < 1, "confidence in (0, 1)")
        let estimate = statistic(Array(repeating: 1, count: n))
        guard n >= 2, resamples >= 1 else {
            return Interval(estimate: estimate, lower: estimate, upper: estimate, confidence: confidence, resamples: 0)
        }
        var rng = SeededGenerator(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        var counts = [Int](repeating: 0, count: n)
        for _ in 0..<resamples {
            for i in 0..<n { counts[i] = 0 }
            for _ in 0..<n { counts[rng.below(n)] += 1 }
            values.append(statistic(counts))
        }
        values.sort()
        let alpha = (1 - confidence) / 2
        return Interval(estimate: estimate, lower: quantile(values, alpha), upper: quantile(values, 1 - alpha),
                        confidence: confidence, resamples: resamples)
    }

    /// Mean of values per unit.
    public static func mean(_ values: [Double], seed: UInt64, resamples: Int = defaultResamples,
                            confidence: Double = defaultConfidence) -> Interval {
        interval(units: values.count, seed: seed, resamples: resamples, confidence: confidence) { counts in
            var sum = 0.0, n = 0
            for (value, count) in zip(values, counts) where count > 0 {
                sum += value * Double(count)
                n += count
            }
            return n > 0 ? sum / Double(n) : 0
        }
    }

    /// Ratio of sums (Σ numerator / Σ denominator over drawn units): a per-token mean over
    /// prompts, each prompt a unit with its summed value and its token count.
    public static func ratio(_ units: [(numerator: Double, denominator: Double)], seed: UInt64,
                             resamples: Int = defaultResamples, confidence: Double = defaultConfidence) -> Interval {
        interval(units: units.count, seed: seed, resamples: resamples, confidence: confidence) { counts in
            var top = 0.0, bottom = 0.0
            for (unit, count) in zip(units, counts) where count > 0 {
                top += unit.numerator * Double(count)
                bottom += unit.denominator * Double(count)
            }
            return bottom > 0 ? top / bottom : 0
        }
    }

    /// The q-quantile of sorted values, interpolating linearly at position q·(n − 1).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        let fraction = position - Double(low)
        return sorted[low] + (sorted[high] - sorted[low]) * fraction
    }
}
