import Foundation
import GRDB
import Interchange

/// How long a sign-in lasts: at most `lifetime` after it was opened, and it ends sooner when left
/// unused for `idle`.
public struct SessionLimits: Hashable, Sendable {
    public var lifetime: TimeInterval
    public var idle: TimeInterval

    public init(lifetime: TimeInterval, idle: TimeInterval) {
        self.lifetime = lifetime
        self.idle = idle
    }

    /// When a session opened at `createdAt` and used at `now` stops working unless used again.
    func expiry(createdAt: Date, usedAt now: Date) -> Date {
        min(createdAt.addingTimeInterval(lifetime), now.addingTimeInterval(idle))
    }

    /// A session's expiry moves forward only once it would move by this much, so that most
    /// requests read the session without writing it. A session therefore ends between
    /// `idle - renewalStep` and `idle` after its last use.
    var renewalStep: TimeInterval { min(idle / 10, 60) }
}

extension Workspace {
    /// Signs a reviewer in: a new session within `limits`. Returns the session token, shown this
    /// once (only its hash is stored), and the session. Expired sessions are removed.
    public func openSession(reviewerID: Int64, limits: SessionLimits, now: Date = Date()) throws -> (token: String, session: ReviewSession) {
        let token = randomToken()
        return try database.write { db in
            guard let reviewer = try Reviewer.fetchOne(db, id: reviewerID) else { throw StoreError.notFound(kind: "reviewer", id: "\(reviewerID)") }
            guard !reviewer.disabled else { throw StoreError.refused("reviewer \"\(reviewer.name)\" is disabled") }
            try ReviewSession.filter(Column("expiresAt") <= now).deleteAll(db)
            let session = ReviewSession(tokenHash: SHA256.hex(token), reviewerId: reviewerID, csrfToken: randomToken(), createdAt: now,
                                        expiresAt: limits.expiry(createdAt: now, usedAt: now))
            try session.insert(db)
            return (token, session)
        }
    }

    /// The unexpired session with this token and its reviewer, unless the reviewer is disabled.
    /// Using a session keeps it from expiring for `limits.idle` more, up to its lifetime.
    public func session(token: String, limits: SessionLimits, now: Date = Date()) throws -> (session: ReviewSession, reviewer: Reviewer)? {
        let tokenHash = SHA256.hex(token)
        let found = try database.read { db -> (ReviewSession, Reviewer)? in
            guard let session = try ReviewSession.filter(Column("tokenHash") == tokenHash && Column("expiresAt") > now).fetchOne(db),
                  let reviewer = try Reviewer.fetchOne(db, id: session.reviewerId), !reviewer.disabled
            else { return nil }
            return (session, reviewer)
        }
        guard let (stored, reviewer) = found else { return nil }
        var session = stored
        let renewed = limits.expiry(createdAt: session.createdAt, usedAt: now)
        if renewed.timeIntervalSince(session.expiresAt) >= limits.renewalStep {
            // A session signed out meanwhile stays gone: this updates no row then.
            try database.write { db in
                _ = try ReviewSession.filter(Column("tokenHash") == tokenHash).updateAll(db, Column("expiresAt").set(to: renewed))
            }
            session.expiresAt = renewed
        }
        return (session, reviewer)
    }

    /// Signs out: the session with this token stops working.
    public func closeSession(token: String) throws {
        _ = try database.write { db in try ReviewSession.filter(Column("tokenHash") == SHA256.hex(token)).deleteAll(db) }
    }
}
