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

    public init(pairID: Int64, reviewerID: Int64, verdict: Verdict, reasonTags: [String] = [], rubric: [String: Double]? = nil,
                leftShown: Side? = nil, timeSpentMs: Int? = nil) {
        self.pairID = pairID
        self.reviewerID = reviewerID
        self.verdict = verdict
        self.reasonTags = reasonTags
        self.rubric = rubric
        self.leftShown = leftShown
        self.timeSpentMs = timeSpentMs
    }
}

public enum RecordOutcome: Equatable, Sendable {
    case added
    /// The same verdict, tags and scores were already recorded (a retried submission).
    case unchanged
    /// The reviewer changed their mind: the latest verdict (with its tags and scores) counts;
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

    public func comparisons(ofPair id: Int64) throws -> [Comparison] {
        try database.read { try Comparison.filter(Column("pairId") == id).order(Column("id")).fetchAll($0) }
    }

    /// Pairs this reviewer has not compared that have fewer than `overlap` comparisons other than
    /// skips, oldest round first: the review queue before reservations.
    public func pairsNeedingReview(by reviewerID: Int64, overlap: Int, limit: Int) throws -> [Pair] {
        try database.read { db in
            try Pair.fetchAll(db, sql: """
                SELECT pair.* FROM pair
                WHERE NOT EXISTS (SELECT 1 FROM comparison c WHERE c.pairId = pair.id AND c.reviewerId = ?)
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
                                    timeSpentMs: new.timeSpentMs, createdAt: now)
        let sql = "SELECT * FROM comparison WHERE pairId = ? AND reviewerId = ?"
        guard let existing = try Comparison.fetchOne(db, cachedSQL: sql, arguments: [new.pairID, new.reviewerID]) else {
            try comparison.insert(db)
            return (comparison, .added)
        }
        if existing.verdict == new.verdict, existing.reasonTags == new.reasonTags, existing.rubric == new.rubric {
            return (existing, .unchanged)
        }
        // When the verdict was first given stays: activity and undo order by it.
        comparison.id = existing.id
        comparison.createdAt = existing.createdAt
        try comparison.update(db)
        return (comparison, .replaced(previous: existing.verdict))
    }
}

/// The review state as one read transaction sees it: whatever one of its methods returns agrees
/// with what the others return, however many reviewers and verdicts arrive meanwhile (every
/// reviewer a vote names is among `reviewers()`). Valid only inside `Workspace.readReview`.
public struct ReviewSnapshot {
    let db: Database

    public func reviewers() throws -> [Reviewer] {
        try Reviewer.order(Column("id")).fetchAll(db)
    }

    /// Every vote other than skips.
    public func votes() throws -> [Vote] {
        try Workspace.votes(in: db)
    }

    /// As `Workspace.reviewProgress(overlap:)`.
    public func progress(overlap: Int) throws -> [ReviewProgress] {
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

    /// As `Workspace.reviewerActivity(since:)`: one for every reviewer.
    public func activity(since: Date) throws -> [ReviewerActivity] {
        let comparisons = Dictionary(grouping: try Comparison.order(Column("id")).fetchAll(db), by: \.reviewerId)
        return try reviewers().map { reviewer in
            let mine = comparisons[reviewer.id!] ?? []
            let times = mine.compactMap(\.timeSpentMs).sorted()
            return ReviewerActivity(
                reviewerId: reviewer.id!, comparisons: mine.count, skips: mine.filter { $0.verdict == .skip }.count,
                recent: mine.filter { $0.createdAt >= since }.count,
                medianTimeMs: times.isEmpty ? nil : times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2,
                totalTimeMs: times.reduce(0, +), timedComparisons: times.count, lastComparisonAt: mine.map(\.createdAt).max())
        }
    }

    /// A pair's prompt and its candidates' answers, as text.
    public func texts(ofPair id: Int64) throws -> (prompt: String, a: String, b: String) {
        guard let pair = try Pair.fetchOne(db, id: id) else { throw StoreError.notFound(kind: "pair", id: "\(id)") }
        guard let prompt = try Prompt.fetchOne(db, id: pair.promptId), let a = try Candidate.fetchOne(db, id: pair.candidateA),
              let b = try Candidate.fetchOne(db, id: pair.candidateB)
        else { throw StoreError.notFound(kind: "pair content", id: "\(id)") }
        return (prompt.text, a.text, b.text)
    }

    public func datasetVersions() throws -> [DatasetVersion] {
        try DatasetVersion.order(Column("id")).fetchAll(db)
    }
}

extension Workspace {
    /// Runs `body` on one snapshot of the review state (one read transaction).
    public func readReview<T>(_ body: (ReviewSnapshot) throws -> T) throws -> T {
        try database.read { db in try body(ReviewSnapshot(db: db)) }
    }
}
