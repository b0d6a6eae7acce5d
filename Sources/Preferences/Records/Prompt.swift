import Foundation
import GRDB
import Interchange

public enum Split: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case train
    case heldOut = "held-out"
}

/// A question about one or more images. Identified by content: the same images and the same
/// prompt value are one prompt, however often they are imported.
public struct Prompt: Codable, Hashable, Sendable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var contentHash: String
    /// The ID the prompt set gave it (ShapesWorld's prompt IDs, for one), if any.
    public var externalId: String?
    public var body: ChatValue
    /// `body`'s words alone, for display and search.
    public var text: String
    public var category: String?
    public var tags: [String]
    public var split: Split
    public var createdAt: Date

    public static let images = hasMany(PromptImage.self).order(Column("position"))

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder { ChatValue.canonicalEncoder }

    /// The content hash of a prompt: its images, in order, and its canonical JSON.
    static func contentHash(images: [String], body: ChatValue) -> String {
        SHA256.hex("prompt\n\(images.joined(separator: ","))\n\(body.canonicalJSON)")
    }
}

/// The image at `position` (0-based) of a prompt.
public struct PromptImage: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public var promptId: Int64
    public var position: Int
    public var blob: String
}
