import Foundation
import Interchange
import GRDB

/// One row of a prompt set: `{"id": "...", "images": [...], "text": "...", "category": "...",
/// "tags": [...], "split": "train" | "held-out"}`; only `images` and `text` are required (this is
/// the pool format ShapesWorld writes). Unknown keys are an error, so a misspelt field is not
/// silently dropped.
struct PromptRow: Decodable {
    var id: String?
    var images: [String]
    var text: String
    var category: String?
    var tags: [String]
    var split: Split

    private enum Keys: String, CodingKey, CaseIterable { case id, images, text, category, tags, split }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let known = Set(Keys.allCases.map(\.rawValue))
        if let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: [AnyKey(stringValue: unknown)],
                debugDescription: "unknown key (a prompt row has \(Keys.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        let container = try decoder.container(keyedBy: Keys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        images = try container.decode([String].self, forKey: .images)
        text = try container.decode(String.self, forKey: .text)
        category = try container.decodeIfPresent(String.self, forKey: .category)
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        split = try container.decodeIfPresent(Split.self, forKey: .split) ?? .train
    }
}

extension Workspace {
    /// Imports a prompt set (JSONL, one prompt per line, image paths relative to the file). Checked
    /// whole first, stored in one transaction; prompts already stored are left as they are.
    @discardableResult
    public func importPrompts(from file: URL, images policy: ImagePolicy = ImagePolicy()) throws -> ImportReport {
        let rows = try Self.rows(PromptRow.self, from: file)
        var images = ImageFiles(source: file, policy: policy)
        let imageURLs = try rows.map { line, row in try row.images.map { try images.check($0, line: line) } }
        // image files first: the transaction that holds the writer only records
        let staged = try stageImages(zip(rows, imageURLs).map { ($0.0.line, $0.1) }, from: images)
        return try database.write { db in
            var report = ImportReport(file: file.lastPathComponent, rows: rows.count)
            for ((_, row), lineImages) in zip(rows, staged) {
                let blobs = try recordImages(lineImages, report: &report, in: db)
                let prompt = try Prompt.findOrInsert(images: blobs, body: .plain(row.text), externalID: row.id, category: row.category,
                                                     tags: row.tags, split: row.split, in: db)
                if prompt.added { report.promptsAdded += 1 }
                if prompt.prompt.split != row.split { report.promptsKeptInOtherSplit += 1 }
            }
            return report
        }
    }
}
