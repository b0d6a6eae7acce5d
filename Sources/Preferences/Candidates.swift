import Foundation
import GRDB
import Interchange

extension Workspace {
    /// Adds a model answer to a prompt, or returns the identical one already stored (same prompt,
    /// answer, checkpoint, sampling and seed).
    @discardableResult
    public func addCandidate(promptID: Int64, body: ChatValue, checkpointID: Int64? = nil, sampling: Sampling? = nil,
                             seed: Int64? = nil) throws -> Candidate {
        try database.write { db in
            guard let prompt = try Prompt.fetchOne(db, id: promptID) else { throw StoreError.notFound(kind: "prompt", id: "\(promptID)") }
            var checkpoint: Checkpoint?
            if let checkpointID {
                checkpoint = try Checkpoint.fetchOne(db, id: checkpointID)
                if checkpoint == nil { throw StoreError.notFound(kind: "checkpoint", id: "\(checkpointID)") }
            }
            return try Candidate.findOrInsert(prompt: prompt, body: body, checkpoint: checkpoint, sampling: sampling, seed: seed,
                                              in: db).candidate
        }
    }

    /// Puts two answers to the same prompt up for review, or returns the pair they already form
    /// (in either order).
    @discardableResult
    public func addPair(_ a: Int64, _ b: Int64, round: Int? = nil, reason: PairReason) throws -> Pair {
        try database.write { db in
            let candidates = try [a, b].map { id in
                guard let candidate = try Candidate.fetchOne(db, id: id) else { throw StoreError.notFound(kind: "candidate", id: "\(id)") }
                return candidate
            }
            if let round, try Round.fetchOne(db, key: round) == nil { throw StoreError.notFound(kind: "round", id: "\(round)") }
            return try Pair.findOrInsert(candidates[0], candidates[1], round: round, reason: reason, in: db).pair
        }
    }

    public func pair(_ id: Int64) throws -> Pair {
        guard let pair = try database.read({ try Pair.fetchOne($0, id: id) }) else { throw StoreError.notFound(kind: "pair", id: "\(id)") }
        return pair
    }

    public func candidate(_ id: Int64) throws -> Candidate {
        guard let candidate = try database.read({ try Candidate.fetchOne($0, id: id) }) else {
            throw StoreError.notFound(kind: "candidate", id: "\(id)")
        }
        return candidate
    }
}

extension Candidate {
    static func findOrInsert(prompt: Prompt, body: ChatValue, checkpoint: Checkpoint?, sampling: Sampling?, seed: Int64?,
                             in db: Database) throws -> (candidate: Candidate, added: Bool) {
        let hash = contentHash(prompt: prompt.contentHash, body: body, checkpoint: checkpoint?.contentHash, sampling: sampling, seed: seed)
        if let existing = try Candidate.fetchOne(db, cachedSQL: "SELECT * FROM candidate WHERE contentHash = ?", arguments: [hash]) { return (existing, false) }
        var candidate = Candidate(id: nil, contentHash: hash, promptId: prompt.id!, body: body, text: body.text,
                                  checkpointId: checkpoint?.id, sampling: sampling, seed: seed, createdAt: Date())
        try candidate.insert(db)
        return (candidate, true)
    }
}

extension Pair {
    /// The pair of these two candidates in either order; a new one with `a` as A when none.
    static func findOrInsert(_ a: Candidate, _ b: Candidate, round: Int?, reason: PairReason,
                             in db: Database) throws -> (pair: Pair, added: Bool) {
        guard a.promptId == b.promptId else {
            throw StoreError.refused("candidates \(a.id!) and \(b.id!) answer different prompts; a pair compares answers to one prompt")
        }
        guard a.id != b.id else { throw StoreError.refused("a pair needs two different candidates (got \(a.id!) twice)") }
        // Through the pairCandidates index.
        let sql = "SELECT * FROM pair WHERE min(candidateA, candidateB) = ? AND max(candidateA, candidateB) = ?"
        if let existing = try Pair.fetchOne(db, cachedSQL: sql, arguments: [min(a.id!, b.id!), max(a.id!, b.id!)]) { return (existing, false) }
        var pair = Pair(id: nil, promptId: a.promptId, candidateA: a.id!, candidateB: b.id!, round: round, reason: reason, createdAt: Date())
        try pair.insert(db)
        return (pair, true)
    }

    /// Which side a candidate is on.
    func side(of candidateID: Int64) -> Side { candidateID == candidateA ? .a : .b }
}
