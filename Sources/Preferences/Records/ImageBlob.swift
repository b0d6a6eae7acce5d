import Foundation
import GRDB

/// An image, stored once under `blobs/` and named by the SHA-256 of its bytes.
public struct ImageBlob: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "blob"

    public var sha256: String
    public var byteCount: Int
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    public var createdAt: Date
}
