import Foundation
import GRDB
import Interchange

/// Optional scores for the two answers as the reviewer saw them: criterion → score.
public struct ShownScores: Codable, Hashable, Sendable {
    public var left: [String: Double]
    public var right: [String: Double]

    public init(left: [String: Double] = [:], right: [String: Double] = [:]) {
        self.left = left
        self.right = right
    }

    /// As a comparison's rubric: keys `a.CRITERION` and `b.CRITERION` for the pair's candidates;
    /// nil when there are no scores.
    func rubric(leftShown: Side) -> [String: Double]? {
        var rubric: [String: Double] = [:]
        for (side, scores) in [(leftShown, left), (leftShown.other, right)] {
            for (criterion, score) in scores { rubric["\(side.rawValue).\(criterion)"] = score }
        }
        return rubric.isEmpty ? nil : rubric
    }
}

/// How far one reviewer is through the queue.
public struct ReviewerProgress: Codable, Hashable, Sendable {
    /// Their comparisons, skips included.
    public var done: Int
    /// Pairs they have not compared that still need verdicts.
    public var remaining: Int
}

extension Workspace {
    /// The pair this reviewer compares next, handed out to them until `now + hold` with
    /// `leftShown` on the left. A pair they already hold comes first, the one handed out last
    /// first (so the pair of an undone verdict comes straight back), in the order it was shown
    /// before. Otherwise, when gold pairs are due (`goldRate` of their comparisons, counted as
    /// `gold + 1 ≤ goldRate × (comparisons + 1)`), the first gold pair they have not compared,
    /// whatever its other verdicts; then the first other pair, oldest round first, that they have
    /// not compared and whose verdicts (skips aside) and other reviewers' unexpired assignments
    /// leave one of `overlap` slots free. Nil when nothing is left for them (gold pairs are only
    /// mixed in). One transaction: two reviewers asking at once cannot both take a pair's last slot.
    public func assignPair(to reviewerID: Int64, overlap: Int, hold: TimeInterval, goldRate: Double = 0, now: Date = Date(),
                           leftShown: Side = Bool.random() ? .a : .b) throws -> Assignment? {
        try database.write { db in
            _ = try Reviewer.voter(reviewerID, in: db)
            let held = try Row.fetchAll(db, sql: """
                SELECT assignment.*,
                       EXISTS (SELECT 1 FROM comparison c WHERE c.pairId = assignment.pairId AND c.reviewerId = assignment.reviewerId) AS compared,
                       EXISTS (SELECT 1 FROM goldPair g WHERE g.pairId = assignment.pairId) AS gold,
                       (SELECT count(*) FROM comparison c WHERE c.pairId = assignment.pairId AND c.verdict <> 'skip')
                       + (SELECT count(*) FROM assignment o WHERE o.pairId = assignment.pairId AND o.reviewerId <> assignment.reviewerId
                                                              AND o.expiresAt > ?) AS taken
                FROM assignment WHERE reviewerId = ? ORDER BY handedOutAt DESC
                """, arguments: [now, reviewerID])
            for row in held {
                var assignment = try Assignment(row: row)
                // An expired hold is still theirs while the pair has room (a gold pair always has); otherwise it lapses.
                if !row["compared"], assignment.expiresAt > now || row["gold"] || row["taken"] < overlap {
                    assignment.expiresAt = now.addingTimeInterval(hold)
                    try assignment.update(db)
                    return assignment
                }
                try assignment.delete(db)
            }
            let counts = try Row.fetchOne(db, sql: """
                SELECT count(*) AS comparisons, count(g.pairId) AS gold
                FROM comparison c LEFT JOIN goldPair g ON g.pairId = c.pairId WHERE c.reviewerId = ?
                """, arguments: [reviewerID])!
            let goldDue = Double(counts["gold"] as Int + 1) <= goldRate * Double(counts["comparisons"] as Int + 1)
            let gold = goldDue ? try Int64.fetchOne(db, sql: """
                SELECT g.pairId FROM goldPair g
                WHERE NOT EXISTS (SELECT 1 FROM comparison c WHERE c.pairId = g.pairId AND c.reviewerId = ?)
                ORDER BY g.pairId LIMIT 1
                """, arguments: [reviewerID]) : nil
            guard let pairID = try gold ?? Int64.fetchOne(db, sql: """
                SELECT pair.id FROM pair
                WHERE NOT EXISTS (SELECT 1 FROM comparison c WHERE c.pairId = pair.id AND c.reviewerId = ?)
                  AND NOT EXISTS (SELECT 1 FROM goldPair g WHERE g.pairId = pair.id)
                  AND (SELECT count(*) FROM comparison c WHERE c.pairId = pair.id AND c.verdict <> 'skip')
                      + (SELECT count(*) FROM assignment a WHERE a.pairId = pair.id AND a.expiresAt > ?) < ?
                ORDER BY pair.round IS NULL, pair.round, pair.id
                LIMIT 1
                """, arguments: [reviewerID, now, overlap])
            else { return nil }
            let assignment = Assignment(pairId: pairID, reviewerId: reviewerID, leftShown: leftShown, handedOutAt: now,
                                        expiresAt: now.addingTimeInterval(hold))
            try assignment.insert(db)
            return assignment
        }
    }

    /// Records a reviewer's verdict on a pair handed out to them, about the answers as shown; the
    /// time spent is the time since it was handed out. A pair they already compared through the
    /// app takes a changed verdict (`.replaced`) or a retried one (`.unchanged`); any other pair is
    /// refused.
    @discardableResult
    public func recordVerdict(_ shown: ShownVerdict, onPair pairID: Int64, by reviewerID: Int64, reasonTags: [String] = [],
                              scores: ShownScores = ShownScores(), comment: String? = nil, now: Date = Date()) throws -> (comparison: Comparison, outcome: RecordOutcome) {
        try database.write { db in
            let reviewer = try Reviewer.voter(reviewerID, in: db)
            let leftShown: Side, timeSpentMs: Int?
            if let assignment = try Assignment.fetchOne(db, key: ["pairId": pairID, "reviewerId": reviewerID]) {
                leftShown = assignment.leftShown
                timeSpentMs = Int((now.timeIntervalSince(assignment.handedOutAt) * 1000).rounded())
                try assignment.delete(db)
            } else if let earlier = try Comparison.filter(Column("pairId") == pairID && Column("reviewerId") == reviewerID).fetchOne(db),
                      let shownBefore = earlier.leftShown {
                leftShown = shownBefore
                timeSpentMs = earlier.timeSpentMs
            } else {
                throw StoreError.refused("pair \(pairID) was not handed out to reviewer \"\(reviewer.name)\"; ask for the next pair first")
            }
            return try Comparison.record(
                NewComparison(pairID: pairID, reviewerID: reviewerID, verdict: shown.verdict(leftShown: leftShown), reasonTags: reasonTags,
                              rubric: scores.rubric(leftShown: leftShown), leftShown: leftShown, timeSpentMs: timeSpentMs,
                              comment: comment),
                at: now, in: db)
        }
    }

    /// Withdraws the reviewer's latest verdict given in the app and hands its pair back to them,
    /// shown as before, so it is the next pair they see. Nil when they have no such verdict.
    public func undoLastVerdict(by reviewerID: Int64, hold: TimeInterval, now: Date = Date()) throws -> Comparison? {
        try database.write { db in
            _ = try Reviewer.voter(reviewerID, in: db)
            guard let last = try Comparison.filter(Column("reviewerId") == reviewerID && Column("leftShown") != nil)
                .order(Column("createdAt").desc, Column("id").desc).fetchOne(db),
                let leftShown = last.leftShown
            else { return nil }
            try last.delete(db)
            try Assignment(pairId: last.pairId, reviewerId: reviewerID, leftShown: leftShown, handedOutAt: now,
                           expiresAt: now.addingTimeInterval(hold)).insert(db, onConflict: .replace)
            return last
        }
    }

    /// How many pairs the reviewer compared, and how many still wait for them under `overlap`.
    /// Gold pairs count among them as the reviewer's own until answered, so every verdict, gold
    /// or not, takes one off and nothing tells a gold pair apart; they are only mixed in, so once
    /// no other pair waits (and none is held) nothing remains.
    public func progress(of reviewerID: Int64, overlap: Int) throws -> ReviewerProgress {
        try database.read { db in
            let done = try Int.fetchOne(db, sql: "SELECT count(*) FROM comparison WHERE reviewerId = ?", arguments: [reviewerID])!
            let counts = try Row.fetchOne(db, sql: """
                SELECT count(*) FILTER (WHERE NOT gold
                           AND (SELECT count(*) FROM comparison c WHERE c.pairId = p.id AND c.verdict <> 'skip') < ?2) AS others,
                       count(*) FILTER (WHERE gold) AS gold,
                       count(*) FILTER (WHERE gold AND EXISTS (SELECT 1 FROM assignment a WHERE a.pairId = p.id AND a.reviewerId = ?1)) AS held
                FROM (SELECT id, EXISTS (SELECT 1 FROM goldPair g WHERE g.pairId = pair.id) AS gold FROM pair) p
                WHERE NOT EXISTS (SELECT 1 FROM comparison c WHERE c.pairId = p.id AND c.reviewerId = ?1)
                """, arguments: [reviewerID, overlap])!
            let others: Int = counts["others"], gold: Int = counts["gold"], held: Int = counts["held"]
            let remaining = others == 0 && held == 0 ? 0 : others + gold
            return ReviewerProgress(done: done, remaining: remaining)
        }
    }
}

extension Reviewer {
    /// The reviewer with this ID, who must be enabled to vote.
    static func voter(_ id: Int64, in db: Database) throws -> Reviewer {
        guard let reviewer = try Reviewer.fetchOne(db, id: id) else { throw StoreError.notFound(kind: "reviewer", id: "\(id)") }
        guard !reviewer.disabled else { throw StoreError.refused("reviewer \"\(reviewer.name)\" is disabled") }
        return reviewer
    }
}

/// A pair as its reviewer sees it: the prompt, its images and the two answers in the order they
/// were handed out. Which candidate is which, and which checkpoint wrote it, stays out.
public struct ShownPair: Codable, Hashable, Sendable {
    public var pairId: Int64
    public var prompt: String
    public var category: String?
    /// SHA-256 of each image, in order.
    public var images: [String]
    /// Each image's size in pixels, in the same order.
    public var imageSizes: [ImageSize]
    public var left: String
    public var right: String
}

/// An image's width and height in pixels.
public struct ImageSize: Codable, Hashable, Sendable {
    public var width: Int
    public var height: Int
}

extension Workspace {
    public func shownPair(_ assignment: Assignment) throws -> ShownPair {
        try database.read { db in
            guard let pair = try Pair.fetchOne(db, id: assignment.pairId) else { throw StoreError.notFound(kind: "pair", id: "\(assignment.pairId)") }
            let prompt = try Prompt.fetchOne(db, id: pair.promptId)!
            let a = try Candidate.fetchOne(db, id: pair.candidateA)!, b = try Candidate.fetchOne(db, id: pair.candidateB)!
            let (left, right) = assignment.leftShown == .a ? (a, b) : (b, a)
            let images = try Prompt.images(ofPrompt: prompt.id!, in: db)
            return ShownPair(pairId: pair.id!, prompt: prompt.text, category: prompt.category, images: images.map(\.sha256),
                             imageSizes: images.map { ImageSize(width: $0.width, height: $0.height) }, left: left.text, right: right.text)
        }
    }
}
