/// Exact match: a hypothesis equals its reference after both are stripped of surrounding
/// whitespace (Python's `str.strip()`) and lower-cased. Nothing else is normalised: "No." and
/// "no" differ (token F1 is the lenient one).
public enum ExactMatch {
    public static func matches(hypothesis: String, reference: String) -> Bool {
        normalized(hypothesis) == normalized(reference)
    }

    /// The share of pairs that match (0 for none).
    public static func share(hypotheses: [String], references: [String]) -> Double {
        precondition(hypotheses.count == references.count, "exact match needs one reference per hypothesis")
        guard !hypotheses.isEmpty else { return 0 }
        return Double(zip(hypotheses, references).filter { matches(hypothesis: $0, reference: $1) }.count) / Double(hypotheses.count)
    }

    static func normalized(_ text: String) -> [Unicode.Scalar] {
        PythonText.scalars(PythonText.string(PythonText.strip(PythonText.scalars(text))).lowercased())
    }
}
