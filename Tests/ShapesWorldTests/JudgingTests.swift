import Foundation
import Interchange
import Testing
@testable import ShapesWorld

@Suite(.timeLimit(.minutes(10))) struct JudgingTests {
    static func worldFolder() throws -> (World, URL) {
        let directory = try Fixtures.temporaryDirectory()
        var options = Fixtures.smallOptions
        (options.trainScenes, options.evalScenes, options.rounds) = (3, 2, 0)
        let world = World.generate(options)
        try DatasetWriter.write(world, to: directory)
        return (world, directory)
    }

    static func file(_ lines: [String], in directory: URL, name: String = "answers.jsonl") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url
    }

    @Test func scoresAnswersPerCategory() throws {
        let (world, directory) = try Self.worldFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let existence = world.prompts.filter { $0.category == .existence }
        let absent = try #require(world.prompts.first { $0.tags.contains("absent") })
        let counting = try #require(world.prompts.first { $0.category == .counting })
        var records = existence.map { AnswerRecord(id: $0.id, answer: $0.reference) }
        records.append(AnswerRecord(id: absent.id, answer: "yes"))
        records.append(AnswerRecord(id: counting.id, answer: counting.reference))
        records.append(AnswerRecord(id: counting.id, answer: "no idea"))
        let report = try world.judge(records, file: "answers.jsonl")
        #expect(report.answers.count == records.count)
        let byCategory = Dictionary(uniqueKeysWithValues: report.categories.map { ($0.category, $0) })
        let e = try #require(byCategory["existence"])
        #expect(e.answers == existence.count + 1)
        #expect(abs(e.accuracy - Double(existence.count) / Double(existence.count + 1)) < 1e-12)
        #expect(abs(e.hallucinationRate - 1 / Double(existence.count + 1)) < 1e-12)
        #expect(e.reasons == ["hallucinated_object": 1])
        // one hallucinated object among the "yes" answers' claimed objects
        let yeses = existence.filter { $0.reference == "yes" }.count + 1
        #expect(e.mentions == yeses && e.hallucinatedMentions == 1)
        #expect(abs(e.mentionHallucinationRate - 1 / Double(yeses)) < 1e-12)
        let c = try #require(byCategory["counting"])
        #expect(c.answers == 2 && c.accuracy == 0.5 && c.hallucinationRate == 0 && c.reasons == ["formatting": 1])
        #expect(report.categories.map(\.category) == ["existence", "counting"])
        #expect(report.overall.answers == records.count)
    }

    @Test func comparesPairs() throws {
        let (world, directory) = try Self.worldFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let prompt = try #require(world.prompts.first { $0.category == .counting })
        let wrong = String(Int(prompt.reference)! + 1)
        let report = try world.compare([AnswerPairRecord(id: prompt.id, a: wrong, b: prompt.reference),
                                        AnswerPairRecord(id: prompt.id, a: prompt.reference, b: prompt.reference)],
                                       file: "pairs.jsonl")
        #expect(report.pairs.map(\.comparison.verdict) == [.b, .tie])
        #expect(report.pairs[0].comparison.reasons == [.wrongCount])
        #expect(report.verdicts == ["b": 1, "tie": 1])
    }

    @Test func badAnswerFilesNameTheFileLineAndProblem() throws {
        let (world, directory) = try Self.worldFolder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let id = world.prompts[0].id
        let cases: [([String], String)] = [
            ([#"{"id": "\#(id)", "answer": "yes"}"#, #"{"id": "\#(id)", "answer": "#], ":2: not valid JSON"),
            ([#"{"id": "\#(id)"}"#], ":1: missing \"answer\""),
            ([#"{"id": "\#(id)", "answer": 3}"#], ":1: "),
            (["", "  "], ": no rows"),
        ]
        for (lines, problem) in cases {
            let url = try Self.file(lines, in: directory)
            #expect { try JSONLines.read(AnswerRecord.self, from: url).map(\.row) } throws: { error in
                "\(error)".hasPrefix(url.path) && "\(error)".contains(problem)
            }
        }
        let missing = directory.appendingPathComponent("nowhere.jsonl")
        #expect { try JSONLines.read(AnswerRecord.self, from: missing).map(\.row) } throws: { error in
            "\(error)" == missing.path + ": no such file"
        }
        let binary = directory.appendingPathComponent("binary.jsonl")
        try Data([0xFF, 0xFE, 0x00, 0x81]).write(to: binary)
        #expect { try JSONLines.read(AnswerRecord.self, from: binary).map(\.row) } throws: { error in "\(error)" == "\(binary.path): not UTF-8 text" }
        #expect {
            try world.judge([AnswerRecord(id: id, answer: "yes"), AnswerRecord(id: "scene-99999-counting", answer: "1")],
                            file: "mine.jsonl")
        } throws: { error in "\(error)" == "mine.jsonl:2: unknown prompt id \"scene-99999-counting\" (not in this world's world.json)" }
    }

    @Test func badWorldFoldersAreNamed() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = directory.appendingPathComponent("world.json")
        #expect { try World.load(from: directory) } throws: { error in "\(error)".hasPrefix(manifest.path + ": cannot read") }
        try Data("{\"format\": \"shapesworld/1\"}".utf8).write(to: manifest)
        #expect { try World.load(from: directory) } throws: { error in
            "\(error)".hasPrefix(manifest.path + ": not a ShapesWorld manifest: missing")
        }
        // a prompt whose subject is no longer unique cannot be judged
        var world = World.generate(Fixtures.smallOptions)
        let objects = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0.objects.count) })
        let i = try #require(world.prompts.firstIndex { $0.category == .grounding && objects[$0.sceneID]! > 1 })
        world.prompts[i].question = .grounding(subject: ObjectDescription())
        try JSONEncoder().encode(world).write(to: manifest)
        #expect { try World.load(from: directory) } throws: { error in "\(error)".contains("does not name exactly one object") }
    }
}
