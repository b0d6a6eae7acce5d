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
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT round, category, count(*) AS pairs, sum(verdicts >= ?) AS complete, sum(verdicts > 0 AND verdicts < ?) AS started,
                       sum(verdicts) AS verdicts, sum(skips) AS skips
                FROM (SELECT pair.round, prompt.category,
                             (SELECT count(*) FROM comparison c WHERE c.pairId = pair.id AND c.verdict <> 'skip') AS verdicts,
                             (SELECT count(*) FROM comparison c WHERE c.pairId = pair.id AND c.verdict = 'skip') AS skips
                      FROM pair JOIN prompt ON prompt.id = pair.promptId)
                GROUP BY round, category
                ORDER BY round IS NULL, round, category IS NULL, category
                """, arguments: [overlap, overlap]).map { row in
                ReviewProgress(round: row["round"], category: row["category"], pairs: row["pairs"], complete: row["complete"],
                               started: row["started"], verdicts: row["verdicts"], skips: row["skips"])
            }
        }
    }

    /// Every reviewer's comparisons, with how many came at or after `since` and their timing.
    public func reviewerActivity(since: Date) throws -> [ReviewerActivity] {
        try database.read { db in
            let comparisons = Dictionary(grouping: try Comparison.order(Column("id")).fetchAll(db), by: \.reviewerId)
            return try Reviewer.order(Column("id")).fetchAll(db).map { reviewer in
                let mine = comparisons[reviewer.id!] ?? []
                let times = mine.compactMap(\.timeSpentMs).sorted()
                return ReviewerActivity(
                    reviewerId: reviewer.id!, comparisons: mine.count, skips: mine.filter { $0.verdict == .skip }.count,
                    recent: mine.filter { $0.createdAt >= since }.count,
                    medianTimeMs: times.isEmpty ? nil : times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2,
                    totalTimeMs: times.reduce(0, +), timedComparisons: times.count, lastComparisonAt: mine.map(\.createdAt).max())
            }
        }
    }
}
