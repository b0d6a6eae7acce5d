import Foundation
import GRDB
import Interchange

extension Workspace {
    /// Signs a reviewer in: a new session lasting `lifetime` seconds. Returns the session token,
    /// shown this once (only its hash is stored), and the session. Expired sessions are removed.
    public func openSession(reviewerID: Int64, lifetime: TimeInterval, now: Date = Date()) throws -> (token: String, session: ReviewSession) {
        let token = randomToken()
        return try database.write { db in
            guard let reviewer = try Reviewer.fetchOne(db, id: reviewerID) else { throw StoreError.notFound(kind: "reviewer", id: "\(reviewerID)") }
            guard !reviewer.disabled else { throw StoreError.refused("reviewer \"\(reviewer.name)\" is disabled") }
            try ReviewSession.filter(Column("expiresAt") <= now).deleteAll(db)
            let session = ReviewSession(tokenHash: SHA256.hex(token), reviewerId: reviewerID, csrfToken: randomToken(), createdAt: now,
                                        expiresAt: now.addingTimeInterval(lifetime))
            try session.insert(db)
            return (token, session)
        }
    }

    /// The unexpired session with this token and its reviewer, unless the reviewer is disabled.
    public func session(token: String, now: Date = Date()) throws -> (session: ReviewSession, reviewer: Reviewer)? {
        try database.read { db in
            guard let session = try ReviewSession.filter(Column("tokenHash") == SHA256.hex(token) && Column("expiresAt") > now).fetchOne(db),
                  let reviewer = try Reviewer.fetchOne(db, id: session.reviewerId), !reviewer.disabled
            else { return nil }
            return (session, reviewer)
        }
    }

    /// Signs out: the session with this token stops working.
    public func closeSession(token: String) throws {
        _ = try database.write { db in try ReviewSession.filter(Column("tokenHash") == SHA256.hex(token)).deleteAll(db) }
    }
}
