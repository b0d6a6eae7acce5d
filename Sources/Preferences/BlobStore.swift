import Foundation
import GRDB
import Interchange

extension Workspace {
    /// Where the blob with this SHA-256 lives: `blobs/ab/abcdef…`.
    public func blobURL(_ sha256: String) -> URL {
        blobsFolder.appending(path: String(sha256.prefix(2))).appending(path: sha256)
    }

    /// The stored image with this SHA-256, if any.
    public func imageBlob(_ sha256: String) throws -> ImageBlob? {
        try database.read { try ImageBlob.fetchOne($0, key: sha256) }
    }

    /// Stores image bytes under their hash and records them, unless already stored. Runs inside
    /// the caller's transaction: if that rolls back, the file stays but nothing refers to it.
    /// Returns the record and whether it is new.
    @discardableResult
    func storeImage(_ bytes: Data, in db: Database) throws -> (blob: ImageBlob, added: Bool) {
        let sha256 = SHA256.hex(bytes)
        if let existing = try ImageBlob.fetchOne(db, cachedSQL: "SELECT * FROM blob WHERE sha256 = ?", arguments: [sha256]) { return (existing, false) }
        let header: ImageFormat.Header
        do { header = try ImageFormat.header(of: bytes) } catch { throw StoreError.refused("image \(sha256.prefix(12)): \(error)") }
        try writeBlobFile(bytes, sha256: sha256)
        let blob = ImageBlob(sha256: sha256, byteCount: bytes.count, format: header.format,
                             width: header.width, height: header.height, createdAt: Date())
        try blob.insert(db)
        return (blob, true)
    }

    /// Stores the image files of one import line (checked earlier by `images`), counting new
    /// blobs in `report`; returns their hashes in order.
    func storeImages(_ urls: [URL], line: Int, from images: ImageFiles, report: inout ImportReport, in db: Database) throws -> [String] {
        try urls.map { url in
            let stored = try storeImage(try images.bytes(of: url, line: line), in: db)
            if stored.added { report.imagesAdded += 1 }
            return stored.blob.sha256
        }
    }

    /// Writes to a temporary name, syncs it to the disk and renames, so a blob file is either
    /// whole or absent, even after a power cut, before the record that names it commits.
    private func writeBlobFile(_ bytes: Data, sha256: String) throws {
        let destination = blobURL(sha256)
        if FileManager.default.fileExists(atPath: destination.path) { return }
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        do { try DurableFiles.write(bytes, to: destination) } catch let error as InputError {
            throw StoreError.refused("cannot store blob \(destination.path): \(error.problem)")
        }
    }
}
