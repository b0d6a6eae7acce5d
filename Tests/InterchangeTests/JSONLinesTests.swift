import Foundation
import Interchange
import JSON
import Testing

/// The one JSONL reader every input goes through.
@Suite(.timeLimit(.minutes(10))) struct JSONLinesTests {
    static func file(_ bytes: Data) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jsonl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("rows.jsonl")
        try bytes.write(to: url)
        return url
    }

    struct Row: Codable, Equatable { var id: Int }

    @Test func crlfBlankLinesAndLineNumbers() throws {
        let url = try Self.file(Data("{\"id\": 1}\r\n\r\n  \n{\"id\": 2}\r\n".utf8))
        let rows = try JSONLines.read(Row.self, from: url)
        #expect(rows.map(\.line) == [1, 4] && rows.map(\.row) == [Row(id: 1), Row(id: 2)])
    }

    @Test func imagesRelativeToTheFileAbsoluteOrTheSingleImageKey() throws {
        let url = try Self.file(Data("""
            {"images": ["a.png", "/data/b.png"]}
            {"image": "c.png"}
            {"images": null}
            {"images": "d.png"}
            """.utf8))
        let lines = try JSONLines.read(url)
        let folder = url.deletingLastPathComponent()
        #expect(try lines[0].images(of: lines[0].object()) == [folder.appendingPathComponent("a.png"), URL(fileURLWithPath: "/data/b.png")])
        #expect(try lines[1].images(of: lines[1].object()) == [folder.appendingPathComponent("c.png")])
        #expect(try lines[2].images(of: lines[2].object()).isEmpty)
        #expect { try lines[3].images(of: lines[3].object()) } throws: { "\($0)" == "\(url.path):4: images must be a list of file paths" }
    }

    @Test func badFilesAndLinesNameTheFileAndLine() throws {
        let cases: [(Data, String)] = [
            (Data("{\"id\": 1}\n{\"id\": \n".utf8), ":2: not valid JSON: invalid JSON at line 1"),
            (Data("[1]\n".utf8), ":1: not a JSON object"),
            (Data("{\"id\": \"one\"}\n".utf8), ":1: id: "),
            (Data("{}\n".utf8), ":1: missing \"id\""),
            (Data(" \n\n".utf8), ": no rows"),
            (Data([0xFF, 0xFE, 0x00]), ": not UTF-8 text"),
            // a line over the limit is refused, not read whole into a value
            (Data(("{\"id\": 1}\n{\"pad\": \"" + String(repeating: "x", count: JSONLines.maximumLineBytes) + "\"}\n").utf8),
             ":2: \(JSONLines.maximumLineBytes + 11) bytes, longer than the limit of \(JSONLines.maximumLineBytes) bytes a line"),
        ]
        for (bytes, problem) in cases {
            let url = try Self.file(bytes)
            #expect { try JSONLines.read(Row.self, from: url) } throws: { error in
                error is InputError && "\(error)".hasPrefix(url.path) && "\(error)".contains(problem)
            }
        }
        let missing = URL(fileURLWithPath: "/nonexistent/rows.jsonl")
        #expect(throws: InputError(file: missing.path, "no such file")) { try JSONLines.read(missing) }
    }
}
