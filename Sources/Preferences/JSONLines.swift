import Foundation

/// Reads a JSON Lines file into values, one per non-blank line; any line that does not decode
/// is an error naming the file, the line number and what is wrong.
enum JSONLines {
    static func read<Row: Decodable>(_ type: Row.Type, from file: URL) throws -> [(line: Int, row: Row)] {
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw StoreError.badInput(file: file.path, line: nil, problem: "no such file")
        }
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw StoreError.badInput(file: file.path, line: nil, problem: "cannot read: \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        var rows: [(line: Int, row: Row)] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                rows.append((index + 1, try decoder.decode(Row.self, from: Data(line))))
            } catch let error as DecodingError {
                throw StoreError.badInput(file: file.path, line: index + 1, problem: describe(error))
            } catch {
                throw StoreError.badInput(file: file.path, line: index + 1, problem: "\(error)")
            }
        }
        if rows.isEmpty { throw StoreError.badInput(file: file.path, line: nil, problem: "no rows") }
        return rows
    }

    /// A decoding error as a person reads it: where in the object, and what is wrong.
    static func describe(_ error: DecodingError) -> String {
        func at(_ path: [CodingKey]) -> String {
            let spelled = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return spelled.hasPrefix(".") ? String(spelled.dropFirst()) : spelled
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = at(context.codingPath)
            return "missing \"\(key.stringValue)\"" + (parent.isEmpty ? "" : " in \(parent)")
        case let .valueNotFound(_, context):
            return "\(at(context.codingPath)): null where a value is needed"
        case let .typeMismatch(_, context), let .dataCorrupted(context):
            if context.codingPath.isEmpty {
                let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return "not a valid JSON object" + (underlying.map { " (\($0))" } ?? (context.debugDescription.isEmpty ? "" : " (\(context.debugDescription))"))
            }
            return "\(at(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
