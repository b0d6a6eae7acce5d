import Foundation
import GRDB
import Interchange

/// A pair handed out to a reviewer, with the order its answers were shown in. Until it expires
/// it holds one of the pair's review slots, so two reviewers do not both fill the last one; the
/// reviewer's verdict removes it.
public struct Assignment: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public var pairId: Int64
    public var reviewerId: Int64
    /// The candidate shown on the left (the page's answer A).
    public var leftShown: Side
    public var handedOutAt: Date
    public var expiresAt: Date
}

/// A verdict as the reviewer gave it: about the answers as they were shown, left and right.
public enum ShownVerdict: String, Codable, Sendable, CaseIterable {
    case left
    case right
    case tie
    case bothBad = "both-bad"
    case skip

    /// A verdict about the pair's candidates as it reads with `leftShown` on the left.
    public init(_ verdict: Verdict, leftShown: Side) {
        switch verdict {
        case .a, .b: self = verdict == leftShown.verdict ? .left : .right
        case .tie: self = .tie
        case .bothBad: self = .bothBad
        case .skip: self = .skip
        }
    }

    /// The verdict about the pair's candidates, given which one was shown on the left.
    public func verdict(leftShown: Side) -> Verdict {
        switch self {
        case .left: leftShown.verdict
        case .right: leftShown.other.verdict
        case .tie: .tie
        case .bothBad: .bothBad
        case .skip: .skip
        }
    }
}
