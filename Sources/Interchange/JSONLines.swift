import Foundation
import JSON

/// One line of a JSON Lines file: where it is, and its bytes.
public struct JSONLine: Sendable {
    public let file: URL
    /// 1-based.
    public let number: Int
    public let bytes: Data

    /// An error naming the file and this line.
    public func error(_ problem: String) -> InputError { InputError(file: file.path, line: number, problem) }

    /// The line as a JSON object (key order kept).
    public func object() throws -> JSONValue {
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw self.error("not valid JSON: \(error)") }
        guard json.objectValue != nil else { throw self.error("not a JSON object") }
        return json
    }

    /// The line decoded as `Row`; what is wrong is said with its place in the object.
    public func decode<Row: Decodable>(_ type: Row.Type) throws -> Row {
        do {
            return try JSONDecoder().decode(Row.self, from: bytes)
        } catch let decoding as DecodingError {
            _ = try object()  // a syntax error or a non-object is said as such
            throw self.error(decoding.reason)
        }
    }

    /// The images of a TRL row: its `images` list, or the single `image`, each path relative to
    /// the file unless absolute.
    public func images(of row: JSONValue) throws -> [URL] {
        guard let list = row["images"] ?? row["image"].map({ JSONValue.array([$0]) }), !list.isNull else { return [] }
        guard let items = list.arrayValue, case let paths = items.compactMap(\.stringValue), paths.count == items.count else {
            throw error("images must be a list of file paths")
        }
        return paths.map { JSONLines.resolve($0, against: file) }
    }
}

/// The one JSON Lines reader: one value per non-blank line (CRLF line ends too); every error
/// names the file, the line and what is wrong.
public enum JSONLines {
    /// The longest line read (a row names its images; it does not hold them).
    public static let maximumLineBytes = 1 << 24

    public static func read(_ file: URL) throws -> [JSONLine] {
        guard FileManager.default.fileExists(atPath: file.path) else { throw InputError(file: file.path, "no such file") }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw InputError(file: file.path, "cannot read: \(error.localizedDescription)")
        }
        guard String(data: data, encoding: .utf8) != nil else { throw InputError(file: file.path, "not UTF-8 text") }
        var lines: [JSONLine] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard line.count <= maximumLineBytes else {
                throw InputError(file: file.path, line: index + 1, "\(line.count) bytes, longer than the limit of \(maximumLineBytes) bytes a line")
            }
            lines.append(JSONLine(file: file, number: index + 1, bytes: Data(line)))
        }
        if lines.isEmpty { throw InputError(file: file.path, "no rows") }
        return lines
    }

    /// Every line decoded as `Row`, with its line number.
    public static func read<Row: Decodable>(_ type: Row.Type, from file: URL) throws -> [(line: Int, row: Row)] {
        try read(file).map { ($0.number, try $0.decode(Row.self)) }
    }

    /// A path as a JSONL file names it: relative to the file's folder unless absolute.
    public static func resolve(_ path: String, against file: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : file.deletingLastPathComponent().appendingPathComponent(path)
    }
}

extension DecodingError {
    /// A decoding error as a person reads it: where in the object, and what is wrong.
    public var reason: String {
        func at(_ path: [CodingKey]) -> String {
            let spelled = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return spelled.hasPrefix(".") ? String(spelled.dropFirst()) : spelled
        }
        switch self {
        case let .keyNotFound(key, context):
            let parent = at(context.codingPath)
            return "missing \"\(key.stringValue)\"" + (parent.isEmpty ? "" : " in \(parent)")
        case let .valueNotFound(_, context):
            return "\(at(context.codingPath)): null where a value is needed"
        case let .typeMismatch(_, context), let .dataCorrupted(context):
            let place = at(context.codingPath)
            return (place.isEmpty ? "" : "\(place): ") + context.debugDescription
        @unknown default:
            return "\(self)"
        }
    }
}
