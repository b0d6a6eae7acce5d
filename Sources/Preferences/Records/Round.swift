import Foundation
import GRDB

public enum RoundGoal: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case coverage
    case edgeCases = "edge-cases"
    case failureCluster = "failure-cluster"
    case convergence
}

public enum RoundStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case generating, reviewing, training, evaluating, done, abandoned
}

/// One turn of the loop: candidates from `parentCheckpointId`, reviews, training, evaluation.
public struct Round: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public var number: Int
    public var parentCheckpointId: Int64
    public var goal: RoundGoal
    public var status: RoundStatus
    public var createdAt: Date
    /// When `round eval` recorded the metrics of the round's checkpoint.
    public var evaluatedAt: Date?
}
