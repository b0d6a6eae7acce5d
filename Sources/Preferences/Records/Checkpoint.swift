import Foundation
import GRDB
import Interchange

/// A model, as a Hugging Face folder under `checkpoints/`, with where it came from.
public struct Checkpoint: Codable, Hashable, Sendable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// The metrics lineage shows beside each checkpoint, in this order (the alignment metrics of
    /// the design).
    public static let keyMetrics = ["preference_accuracy", "reward_margin", "kl"]

    public var id: Int64?
    public var name: String
    public var parentId: Int64?
    public var kind: CheckpointKind
    public var round: Int?
    public var datasetVersionId: Int64?
    /// The full training configuration, a JSON object ("{}" for imported models).
    public var trainingConfig: String
    public var metrics: [String: Double]
    /// Relative to the workspace root.
    public var folder: String
    /// SHA-256 over the folder's files (relative path and content of each).
    public var contentHash: String
    public var createdAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder { ChatValue.canonicalEncoder }
}

/// A move of the current-checkpoint pointer. The latest move names the current checkpoint.
public struct CheckpointPointer: Codable, Hashable, Sendable, FetchableRecord, MutablePersistableRecord {
    public enum Reason: String, Codable, Sendable, DatabaseValueConvertible {
        case registered, trained, rollback
    }

    public var id: Int64?
    public var checkpointId: Int64
    public var reason: Reason
    public var movedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
