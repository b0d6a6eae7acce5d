import Foundation
import JSON
import Tokenization

/// The committed fixtures written by tools/fixtures/tokenizer_fixtures.py.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }

    static func json(_ relativePath: String) throws -> JSONValue {
        try JSONValue(parsing: try Data(contentsOf: url(relativePath)))
    }

    /// A fixture file every test of a kind reads; a missing or broken one is a programming error.
    static func load(_ relativePath: String) -> JSONValue {
        do {
            return try json(relativePath)
        } catch {
            fatalError("fixture \(relativePath): \(error)")
        }
    }
}

/// An empty string when the arrays are equal, else the first difference and its neighbourhood,
/// so that a failing test does not print whole id lists.
func difference(_ actual: [Int], _ expected: [Int]) -> String {
    if actual == expected { return "" }
    let i = (0..<min(actual.count, expected.count)).first { actual[$0] != expected[$0] } ?? min(actual.count, expected.count)
    let window = { (a: [Int]) in Array(a[max(0, i - 3)..<min(a.count, i + 4)]) }
    return "first difference at index \(i) (lengths \(actual.count) vs \(expected.count)): actual …\(window(actual))… expected …\(window(expected))…"
}

extension JSONValue {
    var ints: [Int] { arrayValue?.compactMap(\.intValue) ?? [] }

    /// `self` with the top-level members of `overrides` replacing its own; under "model", only
    /// the members given are replaced (the fixture tool's `with_overrides`).
    func overriding(with overrides: JSONValue) -> JSONValue {
        guard case .object(var members) = self, let changes = overrides.objectValue else { return self }
        for (key, value) in changes {
            var newValue = value
            if key == "model", let baseModel = self["model"] {
                newValue = baseModel.replacingMembers(with: value)
            }
            if let i = members.firstIndex(where: { $0.0 == key }) {
                members[i].1 = newValue
            } else {
                members.append((key, newValue))
            }
        }
        return .object(members)
    }

    private func replacingMembers(with changes: JSONValue) -> JSONValue {
        guard case .object(var members) = self, let list = changes.objectValue else { return self }
        for (key, value) in list {
            if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = value } else { members.append((key, value)) }
        }
        return .object(members)
    }
}
