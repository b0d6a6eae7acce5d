/// ROUGE-L as `rouge-score`'s `RougeScorer(['rougeL'], use_stemmer=False)` computes it: both
/// texts lower-cased, every run of characters other than ASCII `[a-z0-9]` a separator (so only
/// ASCII letters and digits survive: "café" gives "caf"), the longest common subsequence of the
/// tokens, precision = LCS / hypothesis tokens, recall = LCS / reference tokens, and their F1
/// (0 when either side has no tokens).
public enum RougeL {
    public struct Score: Equatable, Sendable {
        public var precision: Double, recall: Double, fmeasure: Double
    }

    public static func score(hypothesis: String, reference: String) -> Score {
        let hyp = tokens(hypothesis), ref = tokens(reference)
        guard !hyp.isEmpty && !ref.isEmpty else { return Score(precision: 0, recall: 0, fmeasure: 0) }
        let lcs = Double(lcsLength(ref, hyp))
        let p = lcs / Double(hyp.count), r = lcs / Double(ref.count)
        return Score(precision: p, recall: r, fmeasure: p + r > 0 ? 2 * p * r / (p + r) : 0)
    }

    /// The mean F-measure over pairs (0 for none).
    public static func meanF(hypotheses: [String], references: [String]) -> Double {
        precondition(hypotheses.count == references.count, "ROUGE-L needs one reference per hypothesis")
        guard !hypotheses.isEmpty else { return 0 }
        return zip(hypotheses, references).reduce(0.0) { $0 + score(hypothesis: $1.0, reference: $1.1).fmeasure } / Double(hypotheses.count)
    }

    /// rouge-score's default tokenizer: lower-case, then the runs of `[a-z0-9]`.
    public static func tokens(_ text: String) -> [String] {
        var tokens: [String] = [], token = String.UnicodeScalarView()
        for s in text.lowercased().unicodeScalars {
            if (s >= "a" && s <= "z") || (s >= "0" && s <= "9") {
                token.append(s)
            } else if !token.isEmpty {
                tokens.append(String(token))
                token = String.UnicodeScalarView()
            }
        }
        if !token.isEmpty { tokens.append(String(token)) }
        return tokens
    }

    private static func lcsLength(_ a: [String], _ b: [String]) -> Int {
        var previous = [Int](repeating: 0, count: b.count + 1), current = previous
        for x in a {
            for j in 1...b.count {
                current[j] = x == b[j - 1] ? previous[j - 1] + 1 : max(previous[j], current[j - 1])
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
