import Foundation
import GRDB
import Interchange

extension Workspace {
    /// Writes a dataset version as TRL vision preference JSONL: `train.jsonl` (and
    /// `held-out.jsonl` when it has held-out pairs), the images under `images/` named by their
    /// hash, and `dataset.json` describing the version. Returns the files written.
    @discardableResult
    public func exportDataset(_ version: DatasetVersion, to folder: URL) throws -> [URL] {
        let (rowsBySplit, blobs) = try database.read { db in
            var rows: [Split: [TRLPreferenceRow]] = [:]
            var blobs: [String: ImageBlob] = [:]
            for entry in try DatasetEntry.filter(Column("datasetVersionId") == version.id!).order(Column("pairId")).fetchAll(db) {
                let pair = try Pair.fetchOne(db, id: entry.pairId)!
                let prompt = try Prompt.fetchOne(db, id: pair.promptId)!
                let (chosen, rejected) = entry.chosen == .a ? (pair.candidateA, pair.candidateB) : (pair.candidateB, pair.candidateA)
                let images = try Prompt.images(ofPrompt: prompt.id!, in: db)
                for image in images { blobs[image.sha256] = image }
                rows[prompt.split, default: []].append(TRLPreferenceRow(
                    images: images.map { "images/\($0.sha256).\($0.format.fileExtension)" }, prompt: prompt.body,
                    chosen: try Candidate.fetchOne(db, id: chosen)!.body, rejected: try Candidate.fetchOne(db, id: rejected)!.body))
            }
            return (rows, blobs.values.sorted { $0.sha256 < $1.sha256 })
        }

        return try writeFolder(folder) { staging in
            try FileManager.default.createDirectory(at: staging.appending(path: "images"), withIntermediateDirectories: true)
            for blob in blobs {
                try FileManager.default.copyItem(at: blobURL(blob.sha256),
                                                 to: staging.appending(path: "images/\(blob.sha256).\(blob.format.fileExtension)"))
            }
            let encoder = ChatValue.canonicalEncoder
            var files: [String] = []
            for split in Split.allCases {
                guard let rows = rowsBySplit[split] else { continue }
                let lines = try rows.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }
                try Data(lines.joined().utf8).write(to: staging.appending(path: "\(split.rawValue).jsonl"))
                files.append("\(split.rawValue).jsonl")
            }
            let pretty = JSONEncoder()
            pretty.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            pretty.dateEncodingStrategy = .iso8601
            try pretty.encode(version).write(to: staging.appending(path: "dataset.json"))
            return files + ["dataset.json"]
        }
    }

    /// Fills a staging folder beside `folder` and renames it into place, so an interrupted export
    /// leaves no half-written folder under the requested name. `folder` must be absent or empty.
    func writeFolder(_ folder: URL, fill: (URL) throws -> [String]) throws -> [URL] {
        let manager = FileManager.default
        if manager.fileExists(atPath: folder.path) {
            guard (try? manager.contentsOfDirectory(atPath: folder.path))?.isEmpty == true else {
                throw StoreError.refused("\(folder.path) exists and is not an empty folder; export into a new folder")
            }
            try manager.removeItem(at: folder)
        }
        let parent = folder.deletingLastPathComponent()
        try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appending(path: ".\(folder.lastPathComponent).partial-\(UUID().uuidString)")
        try manager.createDirectory(at: staging, withIntermediateDirectories: true)
        do {
            let files = try fill(staging)
            try manager.moveItem(at: staging, to: folder)
            return files.map { folder.appending(path: $0) }
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }
}
