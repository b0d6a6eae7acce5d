import Foundation
import GRDB

public enum PairReason: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case coverage
    case uncertainty
    case failureCluster = "failure-cluster"
    case imported
}

/// Two candidate answers to the same prompt, put before reviewers.
public struct Pair: Codable, Hashable, Sendable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var promptId: Int64
    public var candidateA: Int64
    public var candidateB: Int64
    /// The round that created it; nil for imported pairs.
    public var round: Int?
    public var reason: PairReason
    public var createdAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
