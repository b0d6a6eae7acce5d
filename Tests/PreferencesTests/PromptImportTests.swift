import Foundation
import GRDB
import Interchange
import Testing
@testable import Preferences

@Suite(.timeLimit(.minutes(10))) struct PromptImportTests {
    static func writePromptSet(in folder: TemporaryFolder) throws -> URL {
        try FileManager.default.createDirectory(at: folder.appending("pics"), withIntermediateDirectories: true)
        try Fixtures.png(width: 4, height: 4, seed: 1).write(to: folder.appending("pics/one.png"))
        try Fixtures.png(width: 5, height: 2, seed: 2).write(to: folder.appending("pics/two.png"))
        try Fixtures.jpegHeader(width: 32, height: 24).write(to: folder.appending("pics/three.jpg"))
        // 175 bytes that claim 65500 × 65500 pixels: refused from the header
        try Fixtures.jpegHeader(width: 65500, height: 65500).write(to: folder.appending("pics/bomb.jpg"))
        return try folder.write("""
            {"id": "scene-1-counting", "images": ["pics/one.png"], "text": "How many circles?", "category": "counting", "tags": ["easy", "circles"]}
            {"images": ["pics/two.png", "pics/one.png"], "text": "Which picture has more red?", "category": "comparison", "split": "held-out"}
            {"images": ["pics/three.jpg"], "text": "Where is the square?"}
            """, to: "prompts.jsonl")
    }

    @Test func promptSetKeepsImagesInOrderCategoryTagsAndSplit() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let report = try workspace.importPrompts(from: try Self.writePromptSet(in: folder))
        #expect(report.rows == 3 && report.promptsAdded == 3 && report.imagesAdded == 3)
        let prompts = try workspace.database.read { try Prompt.order(Column("id")).fetchAll($0) }
        #expect(prompts.map(\.text) == ["How many circles?", "Which picture has more red?", "Where is the square?"])
        #expect(prompts.map(\.category) == ["counting", "comparison", nil])
        #expect(prompts.map(\.tags) == [["easy", "circles"], [], []])
        #expect(prompts.map(\.split) == [.train, .heldOut, .train])
        #expect(prompts.map(\.externalId) == ["scene-1-counting", nil, nil])
        let second = try workspace.images(ofPrompt: prompts[1].id!)
        #expect(second.map(\.sha256) == [SHA256.hex(try Data(contentsOf: folder.appending("pics/two.png"))),
                                         SHA256.hex(try Data(contentsOf: folder.appending("pics/one.png")))])
        let third = try workspace.images(ofPrompt: prompts[2].id!)
        #expect(third.count == 1 && third[0].format == .jpeg && third[0].width == 32 && third[0].height == 24)
    }

    /// Images outside the import file's folder are read only when the user says so.
    @Test func outsidePathsNeedTheUsersWord() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        try FileManager.default.createDirectory(at: folder.appending("set"), withIntermediateDirectories: true)
        try Fixtures.png(width: 4, height: 4, seed: 3).write(to: folder.appending("shared.png"))
        let file = try folder.write(#"{"images": ["../shared.png"], "text": "q"}"#, to: "set/prompts.jsonl")
        #expect(throws: StoreError.self) { try workspace.importPrompts(from: file) }
        // ShapesWorld's layout: files in subfolders name ../images/…, inside the dataset's folder
        #expect(try workspace.importPrompts(from: file, images: ImagePolicy(root: folder.url)).imagesAdded == 1)
        let elsewhere = try folder.write(#"{"images": ["/etc/hostname"], "text": "q"}"#, to: "set/absolute.jsonl")
        #expect(throws: StoreError.self) { try workspace.importPrompts(from: elsewhere, images: ImagePolicy(root: folder.url)) }
        #expect(try workspace.importPrompts(from: file, images: ImagePolicy(allowOutsidePaths: true)).changedNothing)
    }

    @Test func reimportChangesNothingAndPairsOverTheSamePromptReuseIt() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let file = try Self.writePromptSet(in: folder)
        try workspace.importPrompts(from: file)
        let digest = try workspace.contentDigest()
        #expect(try workspace.importPrompts(from: file).changedNothing)
        #expect(try workspace.contentDigest() == digest)

        let pairs = try folder.write(#"{"images": ["pics/one.png"], "prompt": "How many circles?", "chosen": "3", "rejected": "4"}"#,
                                     to: "pairs.jsonl")
        let report = try workspace.importPairs(from: pairs)
        #expect(report.promptsAdded == 0 && report.imagesAdded == 0 && report.pairsAdded == 1)
        let pair = try workspace.pair(1)
        #expect(try workspace.prompt(pair.promptId).category == "counting")
    }

    @Test(arguments: [
        (#"{"images": [], "text": "q", "tag": ["x"]}"#, #"tag: unknown key"#),
        (#"{"images": [], "text": "q", "split": "test"}"#, "split: "),
        (#"{"images": ["pics/none.png"], "text": "q"}"#, #"image "pics/none.png" not found"#),
        (#"{"images": []}"#, #"missing "text""#),
        (#"{"images": [], "text": "q""#, "not valid JSON"),
        (#"{"images": ["pics/bomb.jpg"], "text": "q"}"#, #"image "pics/bomb.jpg": the image is 65500x65500 = 4290250000 pixels, over the limit"#),
        (#"{"images": ["../outside.png"], "text": "q"}"#, #"image "../outside.png" is outside "#),
        (#"{"images": ["/etc/hostname"], "text": "q"}"#, #"image "/etc/hostname" is outside "#),
    ])
    func badRowIsAnErrorWithLineAndStoresNothing(line: String, problem: String) throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let good = try String(contentsOf: try Self.writePromptSet(in: folder), encoding: .utf8)
        let file = try folder.write(good + "\n" + line + "\n", to: "bad.jsonl")
        let error = try #require(throws: StoreError.self) { try workspace.importPrompts(from: file) }
        guard case let .badInput(path, lineNumber, message) = error else { Issue.record("unexpected \(error)"); return }
        #expect(path == file.path && lineNumber == 4 && message.contains(problem), "\(message)")
        #expect(try workspace.rowCounts().values.allSatisfy { $0 == 0 })
        #expect(try workspace.blobFileCount() == 0)
    }
}
