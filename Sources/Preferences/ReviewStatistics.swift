import Foundation
import GRDB
import Interchange

/// Review progress of the pairs of one round (nil: pairs from no round, as imported ones) and
/// one prompt category (nil: uncategorised).
public struct ReviewProgress: Codable, Hashable, Sendable {
    public var round: Int?
    public var category: String?
    public var pairs: Int
    /// Pairs with `overlap` or more verdicts other than skip.
    public var complete: Int
    /// Pairs with some verdicts, but fewer than `overlap`.
    public var started: Int
    /// Verdicts other than skip.
    public var verdicts: Int
    public var skips: Int
}

/// What one reviewer has done, and how fast.
public struct ReviewerActivity: Codable, Hashable, Sendable {
    public var reviewerId: Int64
    /// Comparisons, skips included.
    public var comparisons: Int
    public var skips: Int
    /// Comparisons recorded at or after the `since` asked for.
    public var recent: Int
    /// Median and total time spent per comparison, over comparisons whose time was measured.
    public var medianTimeMs: Int?
    public var totalTimeMs: Int
    public var timedComparisons: Int
    public var lastComparisonAt: Date?

    /// Comparisons per hour of time spent on them.
    public var perHour: Double? { totalTimeMs == 0 ? nil : Double(timedComparisons) * 3_600_000 / Double(totalTimeMs) }
}

extension Workspace {
    /// Progress per round and category, rounds in order (pairs of no round last).
    public func reviewProgress(overlap: Int) throws -> [ReviewProgress] {
        try readReview { try $0.progress(overlap: overlap) }
    }

    /// Every reviewer's comparisons, with how many came at or after `since` and their timing.
    public func reviewerActivity(since: Date) throws -> [ReviewerActivity] {
        try readReview { try $0.activity(since: since) }
    }
}
