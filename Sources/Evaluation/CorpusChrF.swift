/// Corpus chrF as sacrebleu's default `CHRF()` computes its corpus score (0–100): character
/// n-grams of orders 1–6 over Unicode code points with whitespace removed (Python's notion of
/// whitespace), no word n-grams, β = 2, no lower-casing. Per order, hypothesis, reference and
/// matched n-gram counts are summed over the corpus (a hypothesis' n-grams count only where its
/// reference has n-grams of that order); precision and recall are averaged over the orders that
/// have both hypothesis and reference n-grams, then combined as F_β.
public enum CorpusChrF {
    public static let charOrder = 6
    public static let beta = 2.0

    /// Per order: hypothesis n-grams, reference n-grams, matches. They add up over segments.
    public struct Statistics: Equatable, Sendable {
        public var counts = [[Int]](repeating: [0, 0, 0], count: CorpusChrF.charOrder)

        public init() {}

        public static func += (a: inout Statistics, b: Statistics) {
            for n in 0..<CorpusChrF.charOrder { for k in 0..<3 { a.counts[n][k] += b.counts[n][k] } }
        }
    }

    public static func score(hypotheses: [String], references: [String]) -> Double {
        precondition(hypotheses.count == references.count, "chrF needs one reference per hypothesis")
        var total = Statistics()
        for (h, r) in zip(hypotheses, references) { total += statistics(hypothesis: h, reference: r) }
        return score(total)
    }

    public static func statistics(hypothesis: String, reference: String) -> Statistics {
        let hyp = characters(hypothesis), ref = characters(reference)
        var s = Statistics()
        for n in 1...charOrder {
            let h = ngramCounts(hyp, n), r = ngramCounts(ref, n)
            var hypCount = 0, matched = 0
            for (ngram, count) in h {
                hypCount += count
                if let inRef = r[ngram] { matched += min(count, inRef) }
            }
            s.counts[n - 1] = [r.isEmpty ? 0 : hypCount, max(ref.count - n + 1, 0), matched]
        }
        return s
    }

    public static func score(_ s: Statistics) -> Double {
        var precision = 0.0, recall = 0.0, orders = 0
        for n in 0..<charOrder {
            let (hyp, ref, match) = (s.counts[n][0], s.counts[n][1], s.counts[n][2])
            guard hyp > 0 && ref > 0 else { continue }
            precision += Double(match) / Double(hyp)
            recall += Double(match) / Double(ref)
            orders += 1
        }
        guard orders > 0 else { return 0 }
        precision /= Double(orders)
        recall /= Double(orders)
        guard precision + recall > 0 else { return 0 }
        let b2 = beta * beta
        return 100 * (1 + b2) * precision * recall / (b2 * precision + recall)
    }

    private static func characters(_ text: String) -> [UInt32] {
        PythonText.scalars(text).filter { !PythonText.isSpace($0) }.map(\.value)
    }

    private static func ngramCounts(_ chars: [UInt32], _ n: Int) -> [ArraySlice<UInt32>: Int] {
        var counts: [ArraySlice<UInt32>: Int] = [:]
        guard chars.count >= n else { return counts }
        for i in 0...(chars.count - n) { counts[chars[i..<i + n], default: 0] += 1 }
        return counts
    }
}
