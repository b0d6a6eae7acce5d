import Foundation
import Preferences

/// How the review app runs: where it listens, how it hands pairs out and how sign-ins last.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    /// Reviewers per pair.
    public var overlap: Int
    /// How long a handed-out pair stays reserved for its reviewer.
    public var hold: TimeInterval
    /// The share of each reviewer's pairs that are gold pairs, mixed in unmarked (while they last).
    public var goldRate: Double
    /// How long a sign-in lasts at most.
    public var sessionLifetime: TimeInterval
    /// How long a sign-in lasts unused.
    public var sessionIdle: TimeInterval
    /// Whether the session cookie is `Secure` and named with the `__Host-` prefix, so browsers send
    /// it over HTTPS only and no other host can set it. Nil: yes unless the app listens on
    /// loopback only (served beyond this machine, it is meant to be behind a TLS proxy).
    public var secureCookies: Bool?

    public init(host: String = "127.0.0.1", port: Int = 8080, overlap: Int = 2, hold: TimeInterval = 5 * 60, goldRate: Double = 0.1,
                sessionLifetime: TimeInterval = 12 * 3600, sessionIdle: TimeInterval = 3600, secureCookies: Bool? = nil) {
        self.host = host
        self.port = port
        self.overlap = overlap
        self.hold = hold
        self.goldRate = goldRate
        self.sessionLifetime = sessionLifetime
        self.sessionIdle = sessionIdle
        self.secureCookies = secureCookies
    }

    var sessionLimits: SessionLimits { SessionLimits(lifetime: sessionLifetime, idle: sessionIdle) }

    var usesSecureCookies: Bool { secureCookies ?? !Self.isLoopback(host) }

    var sessionCookieName: String { usesSecureCookies ? "__Host-vlm_session" : "vlm_session" }

    /// `localhost`, `::1` or an IPv4 address in 127.0.0.0/8.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        return octets.count == 4 && octets.allSatisfy { $0 != nil } && octets[0] == 127
    }
}
