import Foundation
import GRDB

/// A reviewer signed in to the review app. Only the SHA-256 of the session token (the cookie's
/// value) is kept; the CSRF token is not a credential on its own and is kept as it is.
public struct ReviewSession: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "session"

    public var tokenHash: String
    public var reviewerId: Int64
    public var csrfToken: String
    public var createdAt: Date
    /// When it stops working unless used again: each use moves it forward by the idle time, never
    /// past the session's lifetime (`SessionLimits`).
    public var expiresAt: Date
}
