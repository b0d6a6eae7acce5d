import Foundation
import Tokenization

/// One line of a JSONL dataset file: its object and its images, paths resolved against the file.
struct JSONLRow {
    let file: URL
    let line: Int
    let json: JSONValue
    let images: [URL]

    /// An error naming the file and the line.
    func error(_ problem: String) -> TrainingError { TrainingError("\(file.path):\(line): \(problem)") }
}

enum JSONLRows {
    /// Every non-empty line as a JSON object with its `images` (or TRL's single `image`); a line
    /// that is not one is an error naming the file and the line.
    static func read(_ url: URL) throws -> [JSONLRow] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw TrainingError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        let base = url.deletingLastPathComponent()
        var rows: [JSONLRow] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            func fail(_ problem: String) -> TrainingError { TrainingError("\(url.path):\(number + 1): \(problem)") }
            let json: JSONValue
            do { json = try JSONValue(parsing: String(trimmed)) } catch { throw fail("not valid JSON: \(error)") }
            guard json.objectValue != nil else { throw fail("not a JSON object") }
            var images: [URL] = []
            if let list = json["images"] ?? json["image"].map({ JSONValue.array([$0]) }), !list.isNull {
                guard let paths = list.arrayValue?.compactMap(\.stringValue), paths.count == list.arrayValue?.count else {
                    throw fail("images must be a list of file paths")
                }
                images = paths.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : base.appendingPathComponent($0) }
            }
            rows.append(JSONLRow(file: url, line: number + 1, json: json, images: images))
        }
        return rows
    }
}
