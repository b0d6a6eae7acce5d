import Foundation
import GRDB

/// How the verdicts of several reviewers on one pair become one.
public enum ResolutionPolicy: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// The verdict of more than half of the non-skip votes.
    case majority
    /// The verdict every non-skip vote agrees on.
    case unanimous
    /// The verdict holding more than half of the votes' weight, each reviewer weighted by how
    /// often they agree with the majority of the others.
    case reliabilityWeighted = "reliability-weighted"
}

/// An immutable snapshot of resolved pairs, named by the SHA-256 of its pairs and verdicts.
public struct DatasetVersion: Codable, Hashable, Sendable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var contentHash: String
    public var policy: ResolutionPolicy
    /// Pairs in the version: resolved to A or B.
    public var pairCount: Int
    public var trainCount: Int
    public var heldOutCount: Int
    /// Pairs left out because they resolved to a tie, to both bad, or did not resolve.
    public var tieCount: Int
    public var bothBadCount: Int
    public var unresolvedCount: Int
    public var createdAt: Date
    /// Pairs whose verdict is an admin's adjudication, and pairs whose verdict is their gold
    /// verdict, rather than the reviewers' resolved one (in the version or left out as ties).
    public var adjudicatedCount = 0
    public var goldCount = 0
    /// The gold rule it was frozen under, if any, and the reviewers it dropped or down-weighted.
    public var minGoldAccuracy: Double?
    public var belowGold: BelowGold?
    public var belowGoldReviewers: [Int64] = []

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A pair in a dataset version, and which of its candidates is the chosen one.
public struct DatasetEntry: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public var datasetVersionId: Int64
    public var pairId: Int64
    public var chosen: Side
    public var source: VerdictSource = .reviewers
}

/// Where a dataset entry's verdict came from: the reviewers' verdicts resolved by the policy, an
/// admin's adjudication, or the pair's gold verdict.
public enum VerdictSource: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case reviewers
    case adjudication
    case gold
}

/// What `dataset freeze --min-gold-accuracy` does with the verdicts of reviewers below it.
public enum BelowGold: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Their verdicts are left out.
    case drop
    /// Their verdicts weigh their gold accuracy over the minimum (less than 1) in the resolution.
    case downWeight = "down-weight"
}
