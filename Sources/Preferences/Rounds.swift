import Foundation
import GRDB

/// A round with its pair counts.
public struct RoundSummary: Sendable {
    public var round: Round
    public var pairs: Int
    /// Pairs with at least one verdict other than skip.
    public var reviewedPairs: Int
    public var comparisons: Int
}

extension Workspace {
    /// Opens the next round. Its parent is the current checkpoint unless one is named.
    public func startRound(goal: RoundGoal, parentCheckpointID: Int64? = nil) throws -> Round {
        try database.write { db in
            let parent: Int64
            if let parentCheckpointID {
                guard try Checkpoint.exists(db, id: parentCheckpointID) else {
                    throw StoreError.notFound(kind: "checkpoint", id: "\(parentCheckpointID)")
                }
                parent = parentCheckpointID
            } else {
                guard let current = try Self.currentCheckpoint(in: db) else {
                    throw StoreError.refused("no current checkpoint to start a round from; import a model first")
                }
                parent = current.id!
            }
            let number = (try Int.fetchOne(db, sql: "SELECT max(number) FROM round") ?? 0) + 1
            let round = Round(number: number, parentCheckpointId: parent, goal: goal, status: .generating, createdAt: Date(),
                              evaluatedAt: nil)
            try round.insert(db)
            return round
        }
    }

    public func setStatus(_ status: RoundStatus, ofRound number: Int) throws {
        try database.write { db in
            guard var round = try Round.fetchOne(db, key: number) else { throw StoreError.notFound(kind: "round", id: "\(number)") }
            round.status = status
            try round.update(db)
        }
    }

    public func rounds() throws -> [RoundSummary] {
        try database.read { db in
            try Round.order(Column("number")).fetchAll(db).map { round in
                let counts = try Row.fetchOne(db, sql: """
                    SELECT count(*) AS pairs,
                           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM comparison c WHERE c.pairId = pair.id AND c.verdict <> 'skip')) AS reviewed,
                           coalesce(sum((SELECT count(*) FROM comparison c WHERE c.pairId = pair.id)), 0) AS comparisons
                    FROM pair WHERE round = ?
                    """, arguments: [round.number])!
                return RoundSummary(round: round, pairs: counts["pairs"], reviewedPairs: counts["reviewed"], comparisons: counts["comparisons"])
            }
        }
    }
}
