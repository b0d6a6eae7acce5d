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

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A pair in a dataset version, and which of its candidates is the chosen one.
public struct DatasetEntry: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public var datasetVersionId: Int64
    public var pairId: Int64
    public var chosen: Side
}
