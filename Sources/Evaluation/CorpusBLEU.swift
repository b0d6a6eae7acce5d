import Foundation

/// Corpus BLEU as sacrebleu's default `BLEU()` computes its corpus score (0–100): each segment
/// right-stripped and tokenized with 13a (`Tokenizer13a`), clipped n-gram matches of orders 1–4
/// and lengths summed over the corpus, "exp" smoothing (NIST's: the k-th order with no match
/// counts as 1 / 2^k matches), no effective order, brevity penalty exp(1 − r/c) when the
/// hypotheses are shorter. One reference per hypothesis.
public enum CorpusBLEU {
    public static let maxOrder = 4

    /// The sufficient statistics of a corpus; they add up over segments.
    public struct Statistics: Equatable, Sendable {
        public var hypothesisLength = 0
        public var referenceLength = 0
        public var matches = [Int](repeating: 0, count: CorpusBLEU.maxOrder)
        public var totals = [Int](repeating: 0, count: CorpusBLEU.maxOrder)

        public init() {}

        public static func += (a: inout Statistics, b: Statistics) {
            a.hypothesisLength += b.hypothesisLength
            a.referenceLength += b.referenceLength
            for n in 0..<CorpusBLEU.maxOrder {
                a.matches[n] += b.matches[n]
                a.totals[n] += b.totals[n]
            }
        }
    }

    public static func score(hypotheses: [String], references: [String]) -> Double {
        precondition(hypotheses.count == references.count, "BLEU needs one reference per hypothesis")
        var total = Statistics()
        for (h, r) in zip(hypotheses, references) { total += statistics(hypothesis: h, reference: r) }
        return score(total)
    }

    public static func statistics(hypothesis: String, reference: String) -> Statistics {
        let hyp = tokens(hypothesis), ref = tokens(reference)
        let refCounts = ngramCounts(ref)
        var s = Statistics()
        s.hypothesisLength = hyp.count
        s.referenceLength = ref.count
        for (ngram, count) in ngramCounts(hyp) {
            s.totals[ngram.count - 1] += count
            if let inRef = refCounts[ngram] { s.matches[ngram.count - 1] += min(count, inRef) }
        }
        return s
    }

    public static func score(_ s: Statistics) -> Double {
        guard s.matches.contains(where: { $0 > 0 }) else { return 0 }
        let c = Double(s.hypothesisLength), r = Double(s.referenceLength)
        let brevity = c < r ? (c > 0 ? exp(1 - r / c) : 0) : 1
        var precisions = [Double](repeating: 0, count: maxOrder)
        var smoothing = 1.0
        for n in 0..<maxOrder {
            if s.totals[n] == 0 { break }
            if s.matches[n] == 0 {
                smoothing *= 2
                precisions[n] = 100 / (smoothing * Double(s.totals[n]))
            } else {
                precisions[n] = 100 * Double(s.matches[n]) / Double(s.totals[n])
            }
        }
        // sacrebleu's floored log: log(0) is −9999999999, so a missing order gives 0
        let logSum = precisions.reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
        return brevity * exp(logSum / Double(maxOrder))
    }

    private static func tokens(_ segment: String) -> [String] {
        Tokenizer13a.tokenize(PythonText.string(PythonText.rstrip(PythonText.scalars(segment))))
    }

    private static func ngramCounts(_ tokens: [String]) -> [ArraySlice<String>: Int] {
        var counts: [ArraySlice<String>: Int] = [:]
        for n in 1...maxOrder where tokens.count >= n {
            for i in 0...(tokens.count - n) { counts[tokens[i..<i + n], default: 0] += 1 }
        }
        return counts
    }
}
