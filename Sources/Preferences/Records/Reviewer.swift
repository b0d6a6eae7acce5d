import Foundation
import GRDB

public enum Role: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case admin
    case reviewer
}

/// An expert who compares answers. Only the SHA-256 of their access token is kept.
public struct Reviewer: Codable, Hashable, Sendable, Identifiable, FetchableRecord, MutablePersistableRecord {
    /// The reviewer imported verdicts are recorded under. It has no token.
    public static let importedName = "imported"

    public var id: Int64?
    public var name: String
    public var role: Role
    public var tokenHash: String?
    public var createdAt: Date
    public var disabled: Bool

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
