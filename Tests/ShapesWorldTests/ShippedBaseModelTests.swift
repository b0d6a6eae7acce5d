import Foundation
import Interchange
import Testing
import VLM
@testable import ShapesWorld

/// models/shapesworld-base is what its card says: the same weights (by content hash), and the
/// stated accuracy on the card's held-out scenes.
@Suite(.timeLimit(.minutes(10))) struct ShippedBaseModelTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../models/shapesworld-base").standardizedFileURL

    /// A card line `- key: value`.
    static func card(_ key: String) throws -> String {
        let text = try String(contentsOf: folder.appendingPathComponent("MODEL_CARD.md"), encoding: .utf8)
        let prefix = "- \(key): "
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(prefix) }, "MODEL_CARD.md has no \(key) line")
        return String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
    }

    @Test func theWeightsAreTheOnesTheCardNames() throws {
        let digest = try SHA256.hex(fileAt: Self.folder.appendingPathComponent("model.safetensors"))
        #expect(digest == (try Self.card("model.safetensors sha256")))
        let total = try FileManager.default.contentsOfDirectory(at: Self.folder, includingPropertiesForKeys: [.fileSizeKey])
            .map { try $0.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0 }.reduce(0, +)
        #expect(total <= 24 << 20, "the shipped folder is \(total) bytes")
    }

    @Test func itAnswersHeldOutScenesAsAccuratelyAsItsCardSays() throws {
        // the card's check: the first scenes of the seed-7 world's held-out split, greedy answers
        let scenes = Int(try Self.card("check scenes"))!
        let stated = Double(try Self.card("check accuracy").dropLast())! / 100  // "93.1%"
        let world = World.generate(WorldOptions(seed: 7, trainScenes: 8000, evalScenes: scenes, poolScenes: 0, rounds: 0))
        let byID = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0) })
        let prompts = world.prompts.filter { $0.split == "eval" && $0.category != .unanswerable }
        let model = try ModelFolder.load(Self.folder)
        let processor = try model.processor(folder: Self.folder)
        var right = 0
        for start in stride(from: 0, to: prompts.count, by: 64) {
            let chunk = prompts[start..<min(start + 64, prompts.count)]
            let inputs = try chunk.map { prompt in
                try processor.generationPrompt(.messages([.user(image: true, prompt.text)]), images: [byID[prompt.sceneID]!.render()])
            }
            let answers = try Generator.generate(model, prompts: inputs, settings: SamplingSettings(maxNewTokens: 48, stopTokens: processor.stopTokens),
                                                 padToken: processor.padToken)
            for (prompt, tokens) in zip(chunk, answers) {
                let judgement = Oracle.judge(try processor.decodeAnswer(tokens), to: prompt.question, in: byID[prompt.sceneID]!)
                if judgement.correct { right += 1 }
            }
        }
        let accuracy = Double(right) / Double(prompts.count)
        #expect(abs(accuracy - stated) <= 0.03, "accuracy \(accuracy) on \(prompts.count) questions; the card says \(stated)")
    }
}
