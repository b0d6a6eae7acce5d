import Foundation
import GRDB
import Interchange

/// How one exported pair was judged: a line of `reviews.jsonl`, beside the TRL row it describes.
struct ExportedReview: Encodable {
    struct Judgement: Encodable {
        var reviewer: String
        /// About the pair's candidates: `chosen` is the one the version chose.
        var verdict: String
        var reasonTags: [String]
        var rubric: [String: Double]?
        var comment: String?
    }

    struct Decision: Encodable {
        var verdict: String
        var reason: String
        var adjudicator: String
    }

    var split: Split
    /// The row's line in its split's file (1-based).
    var line: Int
    var pairId: Int64
    /// Where the verdict came from: the reviewers' verdicts, an adjudication or the gold verdict.
    var source: VerdictSource
    var verdicts: [Judgement]
    var adjudication: Decision?
}

extension Workspace {
    /// Writes a dataset version as TRL vision preference JSONL: `train.jsonl` (and
    /// `held-out.jsonl` when it has held-out pairs), the images under `images/` named by their
    /// hash, `dataset.json` describing the version, and `reviews.jsonl`: for each row, how it was
    /// judged (every reviewer's verdict, tags, scores and comment, about `chosen` and `rejected`,
    /// and the adjudication). Returns the files written.
    @discardableResult
    public func exportDataset(_ version: DatasetVersion, to folder: URL) throws -> [URL] {
        let (rowsBySplit, blobs, reviews) = try database.read { db in
            var rows: [Split: [TRLPreferenceRow]] = [:]
            var blobs: [String: ImageBlob] = [:]
            var reviews: [ExportedReview] = []
            let names = Dictionary(uniqueKeysWithValues: try Reviewer.fetchAll(db).map { ($0.id!, $0.name) })
            for entry in try DatasetEntry.filter(Column("datasetVersionId") == version.id!).order(Column("pairId")).fetchAll(db) {
                let pair = try Pair.fetchOne(db, id: entry.pairId)!
                let prompt = try Prompt.fetchOne(db, id: pair.promptId)!
                let (chosen, rejected) = entry.chosen == .a ? (pair.candidateA, pair.candidateB) : (pair.candidateB, pair.candidateA)
                let images = try Prompt.images(ofPrompt: prompt.id!, in: db)
                for image in images { blobs[image.sha256] = image }
                rows[prompt.split, default: []].append(TRLPreferenceRow(
                    images: images.map { "images/\($0.sha256).\($0.format.fileExtension)" }, prompt: prompt.body,
                    chosen: try Candidate.fetchOne(db, id: chosen)!.body, rejected: try Candidate.fetchOne(db, id: rejected)!.body))
                // Verdicts about A and B, as about chosen and rejected.
                func named(_ verdict: Verdict) -> String {
                    switch verdict {
                    case .a, .b: verdict == entry.chosen.verdict ? "chosen" : "rejected"
                    default: verdict.rawValue
                    }
                }
                let comparisons = try Comparison.filter(Column("pairId") == entry.pairId && Column("verdict") != Verdict.skip.rawValue)
                    .order(Column("id")).fetchAll(db)
                let adjudication = try Adjudication.fetchOne(db, key: entry.pairId)
                reviews.append(ExportedReview(
                    split: prompt.split, line: rows[prompt.split]!.count, pairId: entry.pairId, source: entry.source,
                    verdicts: comparisons.map { ExportedReview.Judgement(reviewer: names[$0.reviewerId] ?? "#\($0.reviewerId)", verdict: named($0.verdict),
                                                                          reasonTags: $0.reasonTags, rubric: $0.rubric, comment: $0.comment) },
                    adjudication: adjudication.map { ExportedReview.Decision(verdict: named($0.verdict), reason: $0.reason,
                                                                             adjudicator: names[$0.adjudicatorId] ?? "#\($0.adjudicatorId)") }))
            }
            return (rows, blobs.values.sorted { $0.sha256 < $1.sha256 }, reviews)
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
            let compact = JSONEncoder()
            compact.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let lines = try reviews.map { String(decoding: try compact.encode($0), as: UTF8.self) + "\n" }
            try Data(lines.joined().utf8).write(to: staging.appending(path: "reviews.jsonl"))
            return files + ["dataset.json", "reviews.jsonl"]
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
