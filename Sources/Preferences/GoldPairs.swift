import Foundation
import GRDB
import Interchange

/// One reviewer's accuracy on gold pairs: their verdicts (skips left out) that match the gold
/// verdict, with a 95% Wilson score interval.
public struct GoldAccuracy: Codable, Hashable, Sendable {
    public var reviewerId: Int64
    public var answered: Int
    public var correct: Int

    public var rate: Double? { answered == 0 ? nil : Double(correct) / Double(answered) }

    /// The Wilson score interval at 95% (z = 1.96): unlike the normal approximation it stays in
    /// [0, 1] and is not zero-width at 0 or 1 of a few answers. Nil with no answers.
    public var interval: ClosedRange<Double>? {
        guard answered > 0 else { return nil }
        let z = 1.959964, n = Double(answered), p = Double(correct) / n
        let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        return max(0, centre - half)...min(1, centre + half)
    }
}

extension Workspace {
    /// Marks a pair as gold with its known verdict (about its candidates; not a skip), replacing an
    /// earlier mark. `markedBy` is the admin who marks it.
    @discardableResult
    public func markGold(pairID: Int64, verdict: Verdict, by adminID: Int64, now: Date = Date()) throws -> GoldPair {
        guard verdict != .skip else { throw StoreError.refused("a gold verdict is a, b, tie or both-bad, not skip") }
        return try database.write { db in
            guard try Pair.exists(db, id: pairID) else { throw StoreError.notFound(kind: "pair", id: "\(pairID)") }
            let admin = try Reviewer.voter(adminID, in: db)
            guard admin.role == .admin else { throw StoreError.refused("only admins mark gold pairs; \"\(admin.name)\" is a reviewer") }
            let gold = GoldPair(pairId: pairID, verdict: verdict, markedById: adminID, markedAt: now)
            try gold.save(db)
            return gold
        }
    }

    /// Every gold pair, by pair.
    public func goldPairs() throws -> [GoldPair] {
        try database.read { try GoldPair.order(Column("pairId")).fetchAll($0) }
    }

    /// Every reviewer's accuracy on the gold pairs they judged.
    public func goldAccuracy() throws -> [GoldAccuracy] {
        try database.read { try Self.goldAccuracy(in: $0) }
    }

    static func goldAccuracy(in db: Database) throws -> [GoldAccuracy] {
        try Row.fetchAll(db, sql: """
            SELECT c.reviewerId, count(*) AS answered, sum(c.verdict = g.verdict) AS correct
            FROM comparison c JOIN goldPair g ON g.pairId = c.pairId
            WHERE c.verdict <> 'skip'
            GROUP BY c.reviewerId ORDER BY c.reviewerId
            """).map { GoldAccuracy(reviewerId: $0["reviewerId"], answered: $0["answered"], correct: $0["correct"]) }
    }
}
