import Foundation

/// How the review app runs: where it listens and how it hands pairs out.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    /// Reviewers per pair.
    public var overlap: Int
    /// How long a handed-out pair stays reserved for its reviewer.
    public var hold: TimeInterval
    /// How long a sign-in lasts.
    public var sessionLifetime: TimeInterval

    public init(host: String = "127.0.0.1", port: Int = 8080, overlap: Int = 2, hold: TimeInterval = 5 * 60,
                sessionLifetime: TimeInterval = 12 * 3600) {
        self.host = host
        self.port = port
        self.overlap = overlap
        self.hold = hold
        self.sessionLifetime = sessionLifetime
    }
}
