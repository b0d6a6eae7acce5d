import Foundation
import Interchange
import JSON

/// Hypotheses and their references from two JSON Lines files, one JSON string per line, line i
/// of each a pair (blank lines skipped, as every JSONL reader of the project does). Errors name
/// the file and the line: a line that is not valid JSON or not a string, files of different
/// lengths (the first line without a partner).
public struct TextPairs: Sendable {
    public var hypotheses: [String]
    public var references: [String]

    public init(hypotheses: [String], references: [String]) {
        precondition(hypotheses.count == references.count, "one reference per hypothesis")
        (self.hypotheses, self.references) = (hypotheses, references)
    }

    public var count: Int { hypotheses.count }

    public init(hypotheses: URL, references: URL) throws {
        let h = try Self.strings(hypotheses), r = try Self.strings(references)
        guard h.count == r.count else {
            let (longer, extra) = h.count > r.count ? (hypotheses, h[r.count]) : (references, r[h.count])
            throw InputError(file: longer.path, line: extra.line,
                             "\(hypotheses.path) has \(h.count) lines and \(references.path) has \(r.count): this line has no partner")
        }
        self.init(hypotheses: h.map(\.text), references: r.map(\.text))
    }

    /// The strings of a file, one a line, with their line numbers.
    public static func strings(_ file: URL) throws -> [(line: Int, text: String)] {
        try JSONLines.read(file).map { line in
            let value: JSONValue
            do { value = try JSONValue(parsing: line.bytes) } catch { throw line.error("not valid JSON: \(error)") }
            guard let text = value.stringValue else { throw line.error("\(value.typeName) where a JSON string is expected") }
            return (line.number, text)
        }
    }
}
