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
        try record(try stageImage(bytes), in: db)
    }

    /// An image whose file is in the blob store, its record not yet written.
    struct StagedImage {
        let sha256: String
        let byteCount: Int
        let header: ImageFormat.Header
    }

    /// Writes the image's blob file (content-addressed: a file no record names is harmless), so
    /// that an import can write its files before its transaction and hold the writer only for
    /// the records.
    func stageImage(_ bytes: Data) throws -> StagedImage {
        let sha256 = SHA256.hex(bytes)
        let header: ImageFormat.Header
        do { header = try ImageFormat.header(of: bytes) } catch { throw StoreError.refused("image \(sha256.prefix(12)): \(error)") }
        try writeBlobFile(bytes, sha256: sha256)
        return StagedImage(sha256: sha256, byteCount: bytes.count, header: header)
    }

    /// The record of a staged image, unless there is one.
    func record(_ image: StagedImage, in db: Database) throws -> (blob: ImageBlob, added: Bool) {
        if let existing = try ImageBlob.fetchOne(db, cachedSQL: "SELECT * FROM blob WHERE sha256 = ?", arguments: [image.sha256]) {
            return (existing, false)
        }
        let blob = ImageBlob(sha256: image.sha256, byteCount: image.byteCount, format: image.header.format,
                             width: image.header.width, height: image.header.height, createdAt: Date())
        try blob.insert(db)
        return (blob, true)
    }

    /// Writes the blob files of every line's images before the import's transaction; returns
    /// them by line, in order.
    func stageImages(_ urlsByLine: [(line: Int, urls: [URL])], from images: ImageFiles) throws -> [[StagedImage]] {
        var staged: [URL: StagedImage] = [:]
        return try urlsByLine.map { line, urls in
            try urls.map { url in
                if let known = staged[url] { return known }
                let image = try stageImage(try images.bytes(of: url, line: line))
                staged[url] = image
                TestPause.pass(.importBlob)
                return image
            }
        }
    }

    /// Records one import line's staged images, counting new blobs in `report`; returns their
    /// hashes in order.
    func recordImages(_ images: [StagedImage], report: inout ImportReport, in db: Database) throws -> [String] {
        try images.map { image in
            let stored = try record(image, in: db)
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
