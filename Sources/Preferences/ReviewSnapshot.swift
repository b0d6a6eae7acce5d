import Foundation
import GRDB
import Interchange

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

    /// Progress per round and category, rounds in order (pairs of no round last).
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

    /// Every reviewer's comparisons, with how many came at or after `since` and their timing.
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

    /// Every reviewer's accuracy on the gold pairs they judged.
    public func goldAccuracy() throws -> [GoldAccuracy] {
        try Workspace.goldAccuracy(in: db)
    }

    public func goldPairCount() throws -> Int {
        try GoldPair.fetchCount(db)
    }

    /// Every adjudication, by pair.
    public func adjudications() throws -> [Adjudication] {
        try Adjudication.order(Column("pairId")).fetchAll(db)
    }

    /// The comparisons with a comment on these pairs.
    public func commented(onPairs ids: [Int64]) throws -> [Comparison] {
        try Comparison.filter(ids.contains(Column("pairId")) && Column("comment") != nil).fetchAll(db)
    }

    /// The latest comparisons with a comment, newest first, and how many have one.
    public func commented(limit: Int) throws -> (comparisons: [Comparison], count: Int) {
        let commented = Comparison.filter(Column("comment") != nil)
        return (try commented.order(Column("createdAt").desc, Column("id").desc).limit(limit).fetchAll(db), try commented.fetchCount(db))
    }
}

extension Workspace {
    /// Runs `body` on one snapshot of the review state (one read transaction).
    public func readReview<T>(_ body: (ReviewSnapshot) throws -> T) throws -> T {
        try database.read { db in try body(ReviewSnapshot(db: db)) }
    }
}
