import Foundation
import GRDB
import Interchange

/// One row of TRL's vision preference JSONL (`images`, or TRL's single `image`). Other keys
/// (ids, source columns) are ignored.
struct TRLPreferenceRow: Codable, Equatable {
    var images: [String]
    var prompt: ChatValue
    var chosen: ChatValue
    var rejected: ChatValue

    private enum Keys: String, CodingKey { case images, image, prompt, chosen, rejected }

    init(images: [String], prompt: ChatValue, chosen: ChatValue, rejected: ChatValue) {
        self.images = images
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if let single = try container.decodeIfPresent(String.self, forKey: .image), !container.contains(.images) {
            images = [single]
        } else {
            images = try container.decode([String].self, forKey: .images)
        }
        prompt = try container.decode(ChatValue.self, forKey: .prompt)
        chosen = try container.decode(ChatValue.self, forKey: .chosen)
        rejected = try container.decode(ChatValue.self, forKey: .rejected)
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(images, forKey: .images)
        try container.encode(prompt, forKey: .prompt)
        try container.encode(chosen, forKey: .chosen)
        try container.encode(rejected, forKey: .rejected)
    }
}

extension Workspace {
    /// Imports TRL preference JSONL: each row becomes a prompt, two candidates, a pair and the
    /// importing reviewer's verdict for the chosen answer; with no reviewer, no verdict: the pairs
    /// wait for reviewers. With `gold`, the chosen answer is also the pair's known verdict: the pair
    /// becomes a gold pair, mixed into reviewers' queues to measure them. The whole file is checked first (an error names the line) and then
    /// stored in one transaction, so a bad file or a killed process stores nothing of it. Rows
    /// already stored are left as they are.
    @discardableResult
    public func importPairs(from file: URL, split: Split = .train, reviewer reviewerName: String? = Reviewer.importedName,
                            images policy: ImagePolicy = ImagePolicy(), gold: Bool = false) throws
        -> ImportReport {
        let rows = try Self.rows(TRLPreferenceRow.self, from: file)
        let importer = try reviewerName.map { try self.reviewer(named: $0) }
        if let importer, importer.disabled { throw StoreError.refused("reviewer \"\(importer.name)\" is disabled") }

        var images = ImageFiles(source: file, policy: policy)
        var imageURLs: [[URL]] = []
        var seen: [String: (line: Int, chosen: String)] = [:]  // pair in this file → first line, chosen answer
        for (line, row) in rows {
            imageURLs.append(try row.images.map { try images.check($0, line: line) })
            func reject(_ problem: String) -> StoreError { .badInput(file: file.path, line: line, problem: problem) }
            if let problem = Prompt.placeholderProblem(images: row.images.count, body: row.prompt) { throw reject(problem) }
            for (name, answer) in [("chosen", row.chosen), ("rejected", row.rejected)] where answer.imagePlaceholders > 0 {
                throw reject("\(name) holds an image; answers are text")
            }
            let chosen = row.chosen.canonicalJSON, rejected = row.rejected.canonicalJSON
            if chosen == rejected { throw reject("chosen and rejected are the same answer") }
            let prompt = imageURLs.last!.map(\.path).joined(separator: ",") + "\n" + row.prompt.canonicalJSON
            let key = prompt + "\n" + [chosen, rejected].sorted().joined(separator: "\n")
            if let earlier = seen[key], earlier.chosen != chosen {
                throw reject("the same pair as line \(earlier.line) with chosen and rejected swapped")
            }
            seen[key] = seen[key] ?? (line, chosen)
        }

        // image files first: the transaction that holds the writer only records
        let staged = try stageImages(zip(rows, imageURLs).map { ($0.0.line, $0.1) }, from: images)
        return try database.write { db in
            var report = ImportReport(file: file.lastPathComponent, rows: rows.count)
            for ((_, row), lineImages) in zip(rows, staged) {
                let blobs = try recordImages(lineImages, report: &report, in: db)
                let prompt = try Prompt.findOrInsert(images: blobs, body: row.prompt, category: nil, tags: [], split: split, in: db)
                let chosen = try Candidate.findOrInsert(prompt: prompt.prompt, body: row.chosen, checkpoint: nil, sampling: nil, seed: nil, in: db)
                let rejected = try Candidate.findOrInsert(prompt: prompt.prompt, body: row.rejected, checkpoint: nil, sampling: nil, seed: nil, in: db)
                let pair = try Pair.findOrInsert(chosen.candidate, rejected.candidate, round: nil, reason: .imported, in: db)
                report.promptsAdded += prompt.added ? 1 : 0
                report.promptsKeptInOtherSplit += prompt.prompt.split != split ? 1 : 0
                report.candidatesAdded += (chosen.added ? 1 : 0) + (rejected.added ? 1 : 0)
                report.pairsAdded += pair.added ? 1 : 0
                if gold {
                    let known = GoldPair(pairId: pair.pair.id!, verdict: pair.pair.side(of: chosen.candidate.id!).verdict, markedById: nil, markedAt: Date())
                    if try GoldPair.fetchOne(db, key: known.pairId)?.verdict != known.verdict {
                        try known.save(db)
                        report.goldMarked += 1
                    }
                }
                guard let importer else { continue }
                let verdict = try Comparison.record(
                    NewComparison(pairID: pair.pair.id!, reviewerID: importer.id!, verdict: pair.pair.side(of: chosen.candidate.id!).verdict), in: db)
                switch verdict.outcome {
                case .added: report.verdictsAdded += 1
                case .replaced: report.verdictsChanged += 1
                case .unchanged: break
                }
            }
            return report
        }
    }
}
