import Preferences

/// The categories a checkpoint answers worse than the model every round is measured from, by the
/// task metrics `round eval` records with each (`C/accuracy` from an oracle, else `C/exact_match`).
/// DPO on one kind of pair can teach a shortcut that costs another category (docs/shapesworld.md:
/// description pairs teach shorter lists, and negation lists lose real objects); a convergence
/// round gives those categories more of its prompts.
public enum Regressions {
    /// A fall of at most this many points is left alone: a small evaluation set moves that much by chance.
    public static let tolerance = 1.0

    /// Whether `metrics` hold a category's task metric to compare with.
    public static func hasTaskMetrics(_ metrics: [String: Double]) -> Bool {
        metrics.keys.contains { $0.hasSuffix("/accuracy") || $0.hasSuffix("/exact_match") }
    }

    /// (category, points lost) for each category of `current` more than `tolerance` points below
    /// `baseline`, the largest loss first; "all" left out.
    public static func fallen(_ current: [String: Double], below baseline: [String: Double]) -> [(category: String, points: Double)] {
        var fallen: [(category: String, points: Double)] = []
        for (key, value) in current {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] != "all", let before = baseline[key] else { continue }
            // exact match stands in only for a category without an oracle's accuracy
            guard parts[1] == "accuracy" || (parts[1] == "exact_match" && current["\(parts[0])/accuracy"] == nil) else { continue }
            let points = (before - value) * 100
            if points > tolerance { fallen.append((parts[0], points)) }
        }
        return fallen.sorted { $0.points > $1.points || ($0.points == $1.points && $0.category < $1.category) }
    }
}
