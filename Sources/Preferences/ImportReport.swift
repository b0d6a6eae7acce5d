import Interchange

/// What one import added. Re-importing the same file adds nothing.
public struct ImportReport: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var rows = 0
    public var imagesAdded = 0
    public var promptsAdded = 0
    public var candidatesAdded = 0
    public var pairsAdded = 0
    public var verdictsAdded = 0
    /// Verdicts of the importing reviewer that this file reversed.
    public var verdictsChanged = 0
    /// Pairs marked gold (or whose gold verdict this file changed).
    public var goldMarked = 0
    /// Prompts already stored in the other split, which they keep (a prompt is in one split).
    public var promptsKeptInOtherSplit = 0

    public var changedNothing: Bool {
        imagesAdded + promptsAdded + candidatesAdded + pairsAdded + verdictsAdded + verdictsChanged + goldMarked == 0
    }

    public var description: String {
        let counts = [(imagesAdded, "images"), (promptsAdded, "prompts"), (candidatesAdded, "candidates"),
                      (pairsAdded, "pairs"), (verdictsAdded, "verdicts"), (goldMarked, "gold verdicts")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        var parts = counts.isEmpty ? [] : ["added " + counts.joined(separator: ", ")]
        if verdictsChanged > 0 { parts.append("\(verdictsChanged) earlier verdicts reversed") }
        if promptsKeptInOtherSplit > 0 { parts.append("\(promptsKeptInOtherSplit) prompts were already in the other split and stay there") }
        return "\(file): \(rows) rows; " + (parts.isEmpty ? "nothing new (already imported)" : parts.joined(separator: "; "))
    }
}
