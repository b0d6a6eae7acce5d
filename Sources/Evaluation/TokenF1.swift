/// Token F1 as SQuAD v1.1's evaluation script computes it. Normalisation (`normalize_answer`):
/// lower-case; remove ASCII punctuation (Python's `string.punctuation`, underscore included);
/// remove the articles "a", "an", "the" where they are whole words (runs of Unicode letters and
/// digits); split on whitespace. F1 of the two token multisets; when either side has no tokens,
/// 1 if both have none and 0 otherwise.
public enum TokenF1 {
    public static func score(hypothesis: String, reference: String) -> Double {
        let hyp = tokens(hypothesis), ref = tokens(reference)
        guard !hyp.isEmpty && !ref.isEmpty else { return hyp.isEmpty && ref.isEmpty ? 1 : 0 }
        var refCounts: [String: Int] = [:]
        for t in ref { refCounts[t, default: 0] += 1 }
        var same = 0
        for t in hyp where (refCounts[t] ?? 0) > 0 {
            refCounts[t]! -= 1
            same += 1
        }
        guard same > 0 else { return 0 }
        let p = Double(same) / Double(hyp.count), r = Double(same) / Double(ref.count)
        return 2 * p * r / (p + r)
    }

    /// The mean over pairs (0 for none).
    public static func mean(hypotheses: [String], references: [String]) -> Double {
        precondition(hypotheses.count == references.count, "token F1 needs one reference per hypothesis")
        guard !hypotheses.isEmpty else { return 0 }
        return zip(hypotheses, references).reduce(0.0) { $0 + score(hypothesis: $1.0, reference: $1.1) } / Double(hypotheses.count)
    }

    /// SQuAD's `normalize_answer(text).split()`.
    public static func tokens(_ text: String) -> [String] {
        let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
        let kept = text.lowercased().unicodeScalars.filter { !punctuation.contains($0) }
        // `re.sub(r"\b(a|an|the)\b", " ", text)`: a word-character run that is an article
        var out: [Unicode.Scalar] = [], word: [Unicode.Scalar] = []
        func flush() {
            let w = PythonText.string(word)
            out += (w == "a" || w == "an" || w == "the") ? [" "] : word
            word = []
        }
        for s in kept {
            if isWordCharacter(s) { word.append(s) } else { flush(); out.append(s) }
        }
        flush()
        return PythonText.split(out).map(PythonText.string)
    }

    /// Python's `\w` on a str: Unicode letters and digits (`str.isalnum()`) and the underscore.
    private static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber: true
        default: s == "_"
        }
    }
}
