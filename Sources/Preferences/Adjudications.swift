import Foundation
import GRDB
import Interchange

extension Workspace {
    /// Records an admin's decision on a pair (replacing an earlier one). The verdict is about the
    /// pair's candidates and judges them (not a skip); the reason must say something.
    @discardableResult
    public func adjudicate(pairID: Int64, verdict: Verdict, reason: String, by adjudicatorID: Int64, now: Date = Date()) throws -> Adjudication {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard verdict != .skip else { throw StoreError.refused("an adjudication decides the pair: a, b, tie or both-bad, not skip") }
        guard !reason.isEmpty else { throw StoreError.refused("an adjudication needs a reason") }
        return try database.write { db in
            guard try Pair.exists(db, id: pairID) else { throw StoreError.notFound(kind: "pair", id: "\(pairID)") }
            let adjudicator = try Reviewer.voter(adjudicatorID, in: db)
            guard adjudicator.role == .admin else { throw StoreError.refused("only admins adjudicate; \"\(adjudicator.name)\" is a reviewer") }
            let adjudication = Adjudication(pairId: pairID, verdict: verdict, reason: reason, adjudicatorId: adjudicatorID, decidedAt: now)
            try adjudication.save(db)
            return adjudication
        }
    }

    /// Every adjudication, by pair.
    public func adjudications() throws -> [Adjudication] {
        try database.read { try Adjudication.order(Column("pairId")).fetchAll($0) }
    }
}
