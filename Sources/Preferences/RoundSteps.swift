import Foundation
import GRDB
import Interchange

/// Two sampled answers to one prompt that a round puts up for review.
public struct NewRoundPair: Sendable {
    public var promptID: Int64
    public var a: ChatValue
    public var seedA: Int64
    public var b: ChatValue
    public var seedB: Int64
    public var reason: PairReason

    public init(promptID: Int64, a: ChatValue, seedA: Int64, b: ChatValue, seedB: Int64, reason: PairReason) {
        self.promptID = promptID
        self.a = a
        self.seedA = seedA
        self.b = b
        self.seedB = seedB
        self.reason = reason
    }
}

/// The steps of a round as the store keeps them: each one checks the round's status and moves it
/// in the same transaction, so a step refused changes nothing.
extension Workspace {
    /// The round still in progress (neither done nor abandoned), if any.
    public func openRound() throws -> Round? {
        try database.read { db in try Self.openRound(in: db) }
    }

    public func round(_ number: Int) throws -> Round {
        guard let round = try database.read({ try Round.fetchOne($0, key: number) }) else {
            throw StoreError.notFound(kind: "round", id: "\(number)")
        }
        return round
    }

    /// Opens the next round from `parentCheckpointID` with its candidates and pairs, all in one
    /// transaction; it is refused while another round is open. The round waits for reviews.
    public func openRound(goal: RoundGoal, parentCheckpointID: Int64, sampling: Sampling, pairs: [NewRoundPair]) throws -> Round {
        try database.write { db in
            if let open = try Self.openRound(in: db) { throw StoreError.refused(Self.stillOpen(open)) }
            guard let parent = try Checkpoint.fetchOne(db, id: parentCheckpointID) else {
                throw StoreError.notFound(kind: "checkpoint", id: "\(parentCheckpointID)")
            }
            let number = (try Int.fetchOne(db, sql: "SELECT max(number) FROM round") ?? 0) + 1
            let round = Round(number: number, parentCheckpointId: parentCheckpointID, goal: goal, status: .reviewing,
                              createdAt: Date(), evaluatedAt: nil)
            try round.insert(db)
            for new in pairs {
                guard let prompt = try Prompt.fetchOne(db, id: new.promptID) else { throw StoreError.notFound(kind: "prompt", id: "\(new.promptID)") }
                let a = try Candidate.findOrInsert(prompt: prompt, body: new.a, checkpoint: parent, sampling: sampling, seed: new.seedA, in: db)
                let b = try Candidate.findOrInsert(prompt: prompt, body: new.b, checkpoint: parent, sampling: sampling, seed: new.seedB, in: db)
                _ = try Pair.findOrInsert(a.candidate, b.candidate, round: number, reason: new.reason, in: db)
            }
            return round
        }
    }

    /// Moves a round from one of `from` to `to`; any other status is refused with `refusal`.
    @discardableResult
    public func moveRound(_ number: Int, from: Set<RoundStatus>, to: RoundStatus, refusal: (Round) -> String) throws -> Round {
        try database.write { db in
            guard var round = try Round.fetchOne(db, key: number) else { throw StoreError.notFound(kind: "round", id: "\(number)") }
            guard from.contains(round.status) else { throw StoreError.refused(refusal(round)) }
            round.status = to
            try round.update(db)
            return round
        }
    }

    /// Records the evaluation of a round's checkpoint: its metrics, and when.
    public func recordRoundEvaluation(_ number: Int, checkpointID: Int64, metrics: [String: Double]) throws {
        try database.write { db in
            guard var round = try Round.fetchOne(db, key: number) else { throw StoreError.notFound(kind: "round", id: "\(number)") }
            guard var checkpoint = try Checkpoint.fetchOne(db, id: checkpointID) else {
                throw StoreError.notFound(kind: "checkpoint", id: "\(checkpointID)")
            }
            checkpoint.metrics.merge(metrics) { _, new in new }
            try checkpoint.update(db)
            round.evaluatedAt = Date()
            try round.update(db)
        }
    }

    /// Closes an evaluated round: its checkpoint becomes current and the round is done.
    public func closeRound(_ number: Int, checkpointID: Int64) throws -> Round {
        try database.write { db in
            guard var round = try Round.fetchOne(db, key: number) else { throw StoreError.notFound(kind: "round", id: "\(number)") }
            guard round.status == .evaluating, round.evaluatedAt != nil else {
                throw StoreError.refused(round.status == .evaluating
                    ? "round \(number) is trained but not evaluated: run `vlm-align round eval` first"
                    : Self.notTrained(round))
            }
            try Self.movePointer(to: checkpointID, reason: .trained, in: db)
            round.status = .done
            try round.update(db)
            return round
        }
    }

    /// The checkpoint a round trained, if it has one.
    public func checkpoint(ofRound number: Int) throws -> Checkpoint? {
        try database.read { db in try Checkpoint.filter(Column("round") == number).order(Column("id").desc).fetchOne(db) }
    }

    /// Why another round cannot start, and what to do next.
    public static func stillOpen(_ round: Round) -> String {
        let next = switch round.status {
        case .generating, .reviewing: "review its pairs (`vlm-align review serve` or `vlm-align round simulate`), then `vlm-align round train`"
        case .training: "finish its training with `vlm-align round train --resume`"
        case .evaluating: round.evaluatedAt == nil ? "run `vlm-align round eval`, then `vlm-align round close`" : "run `vlm-align round close`"
        case .done, .abandoned: ""
        }
        return "round \(round.number) is still open (\(round.status.rawValue)): \(next)"
    }

    /// Why a round cannot be evaluated or closed yet.
    public static func notTrained(_ round: Round) -> String {
        switch round.status {
        case .generating, .reviewing: "round \(round.number) is not trained yet: run `vlm-align round train` first"
        case .training: "round \(round.number)'s training did not finish: run `vlm-align round train --resume`"
        case .done, .abandoned: "round \(round.number) is closed; start the next with `vlm-align round start`"
        case .evaluating: "round \(round.number) is trained"
        }
    }

    /// Prompts of a split that no pair asks yet, oldest first.
    public func unpairedPrompts(split: Split) throws -> [Prompt] {
        try database.read { db in
            try Prompt.fetchAll(db, sql: """
                SELECT * FROM prompt WHERE split = ? AND NOT EXISTS (SELECT 1 FROM pair WHERE pair.promptId = prompt.id) ORDER BY id
                """, arguments: [split])
        }
    }

    /// Pairs with their prompt and answers, in pair order: those of one round, or all.
    public func pairDetails(round: Int? = nil) throws -> [PairDetail] {
        try database.read { db in
            let pairs = try round.map { try Pair.filter(Column("round") == $0).order(Column("id")).fetchAll(db) }
                ?? Pair.order(Column("id")).fetchAll(db)
            var prompts: [Int64: Prompt] = [:]
            return try pairs.map { pair in
                if prompts[pair.promptId] == nil { prompts[pair.promptId] = try Prompt.fetchOne(db, id: pair.promptId) }
                return PairDetail(pair: pair, prompt: prompts[pair.promptId]!, a: try Candidate.fetchOne(db, id: pair.candidateA)!,
                                  b: try Candidate.fetchOne(db, id: pair.candidateB)!,
                                  images: try Prompt.images(ofPrompt: pair.promptId, in: db).map(\.sha256))
            }
        }
    }

    /// Records many verdicts in one transaction (as `recordComparison` records one).
    public func recordComparisons(_ new: [NewComparison]) throws {
        try database.write { db in
            for comparison in new {
                guard try Pair.exists(db, id: comparison.pairID) else { throw StoreError.notFound(kind: "pair", id: "\(comparison.pairID)") }
                _ = try Reviewer.voter(comparison.reviewerID, in: db)
                _ = try Comparison.record(comparison, in: db)
            }
        }
    }

    static func openRound(in db: Database) throws -> Round? {
        try Round.filter(!["done", "abandoned"].contains(Column("status"))).order(Column("number").desc).fetchOne(db)
    }
}

/// A pair with what a reviewer sees of it.
public struct PairDetail: Sendable {
    public var pair: Pair
    public var prompt: Prompt
    public var a: Candidate
    public var b: Candidate
    /// The prompt's images (blob hashes), in order.
    public var images: [String]
}
