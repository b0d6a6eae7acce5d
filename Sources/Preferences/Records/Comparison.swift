import Foundation
import GRDB
import Interchange

public enum Side: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case a
    case b

    public var other: Side { self == .a ? .b : .a }

    /// The verdict that prefers this side.
    public var verdict: Verdict { self == .a ? .a : .b }
}

/// One reviewer's verdict on one pair, with what they were shown and how long they took.
public struct Comparison: Codable, Hashable, Sendable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var pairId: Int64
    public var reviewerId: Int64
    public var verdict: Verdict
    public var reasonTags: [String]
    /// Optional per-criterion scores (criterion name → score).
    public var rubric: [String: Double]?
    /// Which candidate was shown on the left; nil when nothing was shown (imported verdicts).
    public var leftShown: Side?
    public var timeSpentMs: Int?
    public var createdAt: Date
    /// The reviewer's optional free-text note.
    public var comment: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder { ChatValue.canonicalEncoder }
}
