import Foundation
import GRDB
import Interchange

/// A verdict to record, as the review app submits it.
public struct NewComparison: Sendable {
    public var pairID: Int64
    public var reviewerID: Int64
    public var verdict: Verdict
    public var reasonTags: [String]
    public var rubric: [String: Double]?
    public var leftShown: Side?
    public var timeSpentMs: Int?
    /// An optional free-text note; blank is none.
    public var comment: String?

    public init(pairID: Int64, reviewerID: Int64, verdict: Verdict, reasonTags: [String] = [], rubric: [String: Double]? = nil,
                leftShown: Side? = nil, timeSpentMs: Int? = nil, comment: String? = nil) {
        self.pairID = pairID
        self.reviewerID = reviewerID
        self.verdict = verdict
        self.reasonTags = reasonTags
        self.rubric = rubric
        self.leftShown = leftShown
        self.timeSpentMs = timeSpentMs
        self.comment = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
        if self.comment?.isEmpty == true { self.comment = nil }
    }
}

public enum RecordOutcome: Equatable, Sendable {
    case added
    /// The same verdict, tags, scores and comment were already recorded (a retried submission).
    case unchanged
    /// The reviewer changed their mind: the latest verdict (with its tags, scores and comment) counts;
    /// the comparison keeps its first submission time.
    case replaced(previous: Verdict)
}

extension Workspace {
    /// Records one reviewer's verdict on one pair. A reviewer has one comparison per pair, so a
    /// retried submission is `.unchanged` and counts once, and a changed one replaces it.
    @discardableResult
    public func recordComparison(_ new: NewComparison) throws -> (comparison: Comparison, outcome: RecordOutcome) {
        try database.write { db in
            guard try Pair.exists(db, id: new.pairID) else { throw StoreError.notFound(kind: "pair", id: "\(new.pairID)") }
            _ = try Reviewer.voter(new.reviewerID, in: db)
            return try Comparison.record(new, in: db)
        }
    }

    /// Every comparison, oldest first.
    public func comparisons() throws -> [Comparison] {
        try database.read { try Comparison.order(Column("id")).fetchAll($0) }
    }

    public func comparisons(ofPair id: Int64) throws -> [Comparison] {
        try database.read { try Comparison.filter(Column("pairId") == id).order(Column("id")).fetchAll($0) }
    }

    /// Pairs this reviewer has not compared that have fewer than `overlap` comparisons other than
    /// skips, oldest round first: the review queue before reservations (gold pairs are mixed in
    /// apart).
    public func pairsNeedingReview(by reviewerID: Int64, overlap: Int, limit: Int) throws -> [Pair] {
        try database.read { db in
            try Pair.fetchAll(db, sql: """
                SELECT pair.* FROM pair
                WHERE NOT EXISTS (SELECT 1 FROM comparison c WHERE c.pairId = pair.id AND c.reviewerId = ?)
                  AND NOT EXISTS (SELECT 1 FROM goldPair g WHERE g.pairId = pair.id)
                  AND (SELECT count(*) FROM comparison c WHERE c.pairId = pair.id AND c.verdict <> 'skip') < ?
                ORDER BY pair.round IS NULL, pair.round, pair.id
                LIMIT ?
                """, arguments: [reviewerID, overlap, limit])
        }
    }
}

extension Comparison {
    static func record(_ new: NewComparison, at now: Date = Date(), in db: Database) throws -> (comparison: Comparison, outcome: RecordOutcome) {
        var comparison = Comparison(id: nil, pairId: new.pairID, reviewerId: new.reviewerID, verdict: new.verdict,
                                    reasonTags: new.reasonTags, rubric: new.rubric, leftShown: new.leftShown,
                                    timeSpentMs: new.timeSpentMs, createdAt: now, comment: new.comment)
        let sql = "SELECT * FROM comparison WHERE pairId = ? AND reviewerId = ?"
        guard let existing = try Comparison.fetchOne(db, cachedSQL: sql, arguments: [new.pairID, new.reviewerID]) else {
            try comparison.insert(db)
            return (comparison, .added)
        }
        if existing.verdict == new.verdict, existing.reasonTags == new.reasonTags, existing.rubric == new.rubric, existing.comment == new.comment {
            return (existing, .unchanged)
        }
        // When the verdict was first given stays: activity and undo order by it.
        comparison.id = existing.id
        comparison.createdAt = existing.createdAt
        try comparison.update(db)
        return (comparison, .replaced(previous: existing.verdict))
    }
}
