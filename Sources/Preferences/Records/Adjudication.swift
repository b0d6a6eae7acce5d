import Foundation
import GRDB
import Interchange

/// An admin's final word on a pair, with the reason: it wins over the reviewers' verdicts in
/// `dataset freeze`; agreement statistics still see only the reviewers' own verdicts.
public struct Adjudication: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public var pairId: Int64
    /// About the pair's candidates: A, B, tie or both bad.
    public var verdict: Verdict
    public var reason: String
    public var adjudicatorId: Int64
    public var decidedAt: Date
}
