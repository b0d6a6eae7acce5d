import Foundation
import GRDB
import Interchange

/// What reviewers mark besides their verdict, per workspace: the rubric's dimensions (each
/// answer scored 1–5 on each) and the reason tags, each with the key that toggles it on the
/// review page and, optionally, the guidelines' section it links to.
public struct ReviewVocabulary: Codable, Hashable, Sendable {
    public struct Criterion: Codable, Hashable, Sendable {
        /// How verdicts store it (`a.ID`, `b.ID` in a comparison's rubric): lowercase letters, digits, `_`.
        public var id: String
        public var label: String
    }

    public struct Tag: Codable, Hashable, Sendable {
        /// How verdicts store it: lowercase letters, digits, `_`.
        public var id: String
        public var label: String
        /// One lowercase letter or digit, not one the review page keeps for itself.
        public var key: String
        /// The ID of the guidelines' heading it links to; default: the heading named as `label`.
        public var guidelines: String?
    }

    public var rubric: [Criterion]
    public var reasonTags: [Tag]

    /// Accuracy and grounding, and the ShapesWorld oracle's reason tags.
    public static let standard = ReviewVocabulary(
        rubric: [Criterion(id: "accuracy", label: "Accuracy"), Criterion(id: "grounding", label: "Grounding")],
        reasonTags: ReasonTag.allCases.map { Tag(id: $0.rawValue, label: $0.label, key: String($0.key), guidelines: nil) })

    /// Keys the review page keeps: verdicts (1, 2, t, b, s), undo (u), the box view (v), zoom (z)
    /// and the guidelines (?).
    public static let reservedKeys: Set<String> = ["1", "2", "t", "b", "s", "u", "v", "z", "?"]

    /// The problems with this vocabulary, worded for whoever wrote it; empty when it is usable.
    public var problems: [String] {
        var problems: [String] = []
        func isID(_ id: String) -> Bool { !id.isEmpty && id.count <= 40 && id.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" } }
        if rubric.count > 6 { problems.append("at most 6 rubric dimensions, not \(rubric.count)") }
        if reasonTags.count > 20 { problems.append("at most 20 reason tags, not \(reasonTags.count)") }
        for (kind, ids) in [("rubric dimension", rubric.map(\.id)), ("reason tag", reasonTags.map(\.id))] {
            for id in ids where !isID(id) { problems.append("\(kind) ID \"\(id)\" is not 1–40 lowercase letters, digits or _") }
            for id in Set(ids) where ids.filter({ $0 == id }).count > 1 { problems.append("\(kind) ID \"\(id)\" is given twice") }
        }
        for label in rubric.map(\.label) + reasonTags.map(\.label) where label.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append("every rubric dimension and reason tag needs a label")
        }
        let keys = reasonTags.map(\.key)
        for tag in reasonTags {
            if tag.key.count != 1 || !tag.key.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) {
                problems.append("reason tag \"\(tag.id)\": key \"\(tag.key)\" is not one lowercase letter or digit")
            } else if Self.reservedKeys.contains(tag.key) {
                problems.append("reason tag \"\(tag.id)\": key \"\(tag.key)\" is the review page's own (\(Self.reservedKeys.sorted().joined(separator: " ")))")
            }
        }
        for key in Set(keys) where keys.filter({ $0 == key }).count > 1 { problems.append("key \"\(key)\" is given to two reason tags") }
        return problems.sorted()
    }
}

extension Workspace {
    /// The workspace's rubric and reason tags (`ReviewVocabulary.standard` until set).
    public func reviewVocabulary() throws -> ReviewVocabulary {
        guard let json = try setting("vocabulary") else { return .standard }
        return try JSONDecoder().decode(ReviewVocabulary.self, from: Data(json.utf8))
    }

    /// Sets the rubric and reason tags from a JSON file `{"rubric": [{"id", "label"}], "reasonTags":
    /// [{"id", "label", "key", "guidelines"?}]}`; a key left out keeps the standard one. Refused,
    /// naming every problem, when they are unusable.
    @discardableResult
    public func setReviewVocabulary(from file: URL) throws -> ReviewVocabulary {
        struct Given: Decodable {
            var rubric: [ReviewVocabulary.Criterion]?
            var reasonTags: [ReviewVocabulary.Tag]?
        }
        let given: Given
        do {
            given = try JSONDecoder().decode(Given.self, from: try Self.contents(of: file))
        } catch let error as DecodingError {
            throw StoreError.badInput(file: file.path, line: nil, problem: "not a rubric and reason tags file: \(Self.describe(error))")
        }
        let vocabulary = ReviewVocabulary(rubric: given.rubric ?? ReviewVocabulary.standard.rubric,
                                          reasonTags: given.reasonTags ?? ReviewVocabulary.standard.reasonTags)
        let problems = vocabulary.problems
        guard problems.isEmpty else { throw StoreError.badInput(file: file.path, line: nil, problem: problems.joined(separator: "; ")) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try setSetting("vocabulary", String(decoding: try encoder.encode(vocabulary), as: UTF8.self))
        return vocabulary
    }

    /// The workspace's review guidelines (Markdown), if set.
    public func reviewGuidelines() throws -> String? {
        try setting("guidelines")
    }

    /// Sets the review guidelines from a Markdown file (UTF-8, at most 256 KiB).
    public func setReviewGuidelines(from file: URL) throws {
        let data = try Self.contents(of: file)
        guard data.count <= 256 * 1024 else { throw StoreError.badInput(file: file.path, line: nil, problem: "\(data.count) bytes; guidelines are at most 256 KiB") }
        guard let text = String(data: data, encoding: .utf8) else { throw StoreError.badInput(file: file.path, line: nil, problem: "not UTF-8 text") }
        try setSetting("guidelines", text)
    }

    private func setting(_ name: String) throws -> String? {
        try database.read { try String.fetchOne($0, sql: "SELECT value FROM reviewSetting WHERE name = ?", arguments: [name]) }
    }

    private func setSetting(_ name: String, _ value: String) throws {
        try database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO reviewSetting (name, value, updatedAt) VALUES (?, ?, ?)", arguments: [name, value, Date()])
        }
    }

    private static func contents(of file: URL) throws -> Data {
        do {
            return try Data(contentsOf: file)
        } catch {
            throw StoreError.badInput(file: file.path, line: nil, problem: "cannot read: \(error.localizedDescription)")
        }
    }

    /// A decoding error as one line: what was wrong, and where.
    private static func describe(_ error: DecodingError) -> String {
        let (context, what): (DecodingError.Context, String) = switch error {
        case let .keyNotFound(key, context): (context, "\"\(key.stringValue)\" is missing")
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context): (context, context.debugDescription)
        @unknown default: (DecodingError.Context(codingPath: [], debugDescription: ""), "\(error)")
        }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? what : "at \(path): \(what)"
    }
}
