import ArgumentParser
import Foundation
import Interchange
import JSON
import Testing
import Training
import VLM
@testable import Runs
@testable import ShapesWorld
@testable import vlm_align

/// `shapes pretrain`, `shapes judge --versus --preferences` and the world–model fit, run
/// in-process on small worlds.
@Suite(.timeLimit(.minutes(10))) struct PretrainCommandTests {
    static func world(size: Int = 32, seed: UInt64 = 5, train: Int = 4, eval: Int = 4) throws -> URL {
        let directory = try Fixtures.temporaryDirectory().appendingPathComponent("world")
        let generate = try #require(try VLMAlign.parseAsRoot([
            "shapes", "generate", "--out", directory.path, "--seed", "\(seed)", "--size", "\(size)",
            "--train-scenes", "\(train)", "--eval-scenes", "\(eval)", "--rounds", "0"]) as? ShapesGenerate)
        try generate.run()
        return directory
    }

    static func run<C: ParsableCommand>(_ type: C.Type, _ arguments: [String]) throws {
        var command = try #require(try VLMAlign.parseAsRoot(arguments) as? C)
        try command.run()
    }

    /// `sft --image-words` on a world's data: the word loss is logged every step and falls while
    /// the answers train, and run.json records its weight and the world it read.
    @Test func sftWithImageWordsLogsAndRecordsTheWordLoss() throws {
        let world = try Self.world(train: 6)
        let out = world.deletingLastPathComponent().appendingPathComponent("sft")
        try Self.run(SFT.self, ["sft", "--model", world.appendingPathComponent("model").path, "--init-random",
                                "--data", world.appendingPathComponent("sft/train.jsonl").path, "--pack-by-image", "--freeze-vision", "--image-words", "2", "--out", out.path, "--max-steps", "12",
                                "--batch-size", "6", "--learning-rate", "3e-3", "--save-steps", "100"])
        let lines = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONValue(parsing: Data($0.utf8)) }.filter { $0["step"] != nil && $0["loss"] != nil }
        let words = lines.compactMap { $0["image_word_loss"]?.doubleValue }
        #expect(words.count == 12 && lines.allSatisfy { ($0["image_word_accuracy"]?.doubleValue ?? -1) >= 0 })
        #expect(words.suffix(3).reduce(0, +) < words.prefix(3).reduce(0, +), "word loss \(words)")
        let settings = try JSONValue(parsing: Data(contentsOf: out.appendingPathComponent("run.json")))
        #expect(settings["imageWords"]?["weight"]?.doubleValue == 2)
        #expect(settings["imageWords"]?["worldID"]?.stringValue == (try SHA256.hex(fileAt: World.manifest(in: world))))
        #expect(settings["imageWords"]?["places"] == nil)

        // with the objects' places: the same run records it, and an object's tokens have five words
        let placed = world.deletingLastPathComponent().appendingPathComponent("sft-places")
        let data = world.appendingPathComponent("sft/train.jsonl"), folder = world.appendingPathComponent("model")
        try Self.run(SFT.self, ["sft", "--model", folder.path, "--init-random", "--data", data.path, "--pack-by-image", "--freeze-vision",
                                "--image-words", "2", "--image-word-places", "--out", placed.path, "--max-steps", "1", "--batch-size", "6",
                                "--save-steps", "100"])
        let placedSettings = try JSONValue(parsing: Data(contentsOf: placed.appendingPathComponent("run.json")))
        #expect(placedSettings["imageWords"]?["places"]?.boolValue == true)
        let processor = try ModelFolder.processor(folder), tokens = try ModelFolder.shape(folder).imageTokensPerTile
        let targets = try ImageWordTargets.load(data: data, weight: 1, places: true, processor: processor, tokensPerImage: tokens)
        let loaded = try World.load(from: world)
        let trained = Set(loaded.prompts.filter { $0.split == "train" }.map(\.sceneID))
        let cell = loaded.options.style.width / Int(Double(tokens).squareRoot())
        for scene in loaded.scenes where trained.contains(scene.id) {
            let key = try ImageTokenWords.key(of: world.appendingPathComponent(World.imagePath(scene.id)))
            let expected = try scene.cellWords(cell: cell, places: true).map { try $0.flatMap { try processor.encode($0) } }
            #expect(targets.targets[key]?.map { $0.map(\.token) } == expected, "\(scene.id)")
            #expect(targets.targets[key]?.allSatisfy { $0.count == 1 || ($0.count == 5 && $0.allSatisfy { $0.probability == 0.2 }) } == true)
        }
    }

    @Test func pretrainingTrainsTheTowerAndNothingElse() throws {
        let world = try Self.world()
        let out = world.deletingLastPathComponent().appendingPathComponent("pretrain")
        try Self.run(ShapesPretrain.self, ["shapes", "pretrain", "--world", world.path, "--out", out.path, "--steps", "30",
                                           "--batch-size", "8", "--warmup-steps", "5", "--eval-steps", "15", "--eval-scenes", "4",
                                           "--seed", "3", "--centring-scenes", "16"])
        let lines = try String(contentsOf: out.appendingPathComponent("pretrain.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONValue(parsing: Data($0.utf8)) }
        let steps = lines.filter { $0["loss"] != nil }, evals = lines.filter { $0["eval_loss"] != nil }
        #expect(steps.count == 30 && evals.map { $0["step"]?.intValue } == [15, 30])
        let loss = steps.compactMap { $0["loss"]?.doubleValue }
        #expect(loss.prefix(3).reduce(0, +) > 1.5 * loss.suffix(3).reduce(0, +), "loss \(loss.prefix(3)) … \(loss.suffix(3))")
        #expect(evals.allSatisfy { ($0["eval_object_colour_accuracy"]?.doubleValue ?? -1) >= 0 })

        // the saved tower's outputs average zero over the fresh scenes it was centred on
        let centring = try #require(lines.first { $0["feature_mean_norm"] != nil })
        let pretraining = try TowerPretraining(world: world, settings: {
            var s = TowerPretraining.Settings()
            (s.steps, s.batchSize, s.centringScenes) = (30, 8, 16)
            return s
        }())
        let saved = try ModelFolder.load(out.appendingPathComponent("model"))
        let processor = try saved.processor(folder: out.appendingPathComponent("model"))
        let centred = try pretraining.meanFeatures(pretraining.scenesForCentring, model: saved, processor: processor)
        #expect(centred.allSatisfy { abs($0) < 1e-4 }, "largest |mean| \(centred.map(abs).max()!)")
        #expect((centring["feature_mean_norm"]?.doubleValue ?? 0) > 0)
        
        // the tower moved; the connector and decoder are the seeded fresh weights; no head was saved
        let trained = try ModelFolder.load(out.appendingPathComponent("model"))
        let fresh = try ModelFolder.initialize(world.appendingPathComponent("model"), seed: 3)
        #expect(trained.parameters.names == fresh.parameters.names)
        for name in trained.parameters.names {
            let same = trained.parameters[name].array == fresh.parameters[name].array
            switch trained.part(of: name) {
            case .vision where name.hasSuffix("weight") && !name.contains("norm"): #expect(!same, "\(name) did not train")
            case .vision: break
            case .connector, .language: #expect(same, "\(name) changed")
            }
        }
    }

    @Test func answersVersusAnswersBecomePreferencePairs() throws {
        let world = try Self.world(seed: 8, eval: 6)
        let manifest = try World.load(from: world)
        let prompts = manifest.prompts.filter { $0.split == "eval" }
        let folder = world.deletingLastPathComponent()
        let right = folder.appendingPathComponent("right.jsonl"), wrong = folder.appendingPathComponent("wrong.jsonl")
        try DatasetWriter.writeJSONL(prompts.map { AnswerRecord(id: $0.id, answer: $0.reference) }, to: right)
        // the first prompt answered the same in both: no pair
        try DatasetWriter.writeJSONL(prompts.enumerated().map { i, p in AnswerRecord(id: p.id, answer: i == 0 ? p.reference : "maybe") },
                                     to: wrong)
        for (flip, chosenIsRight) in [(0.0, true), (1.0, false)] {
            let out = folder.appendingPathComponent("preferences-\(flip).jsonl")
            try Self.run(ShapesJudge.self, ["shapes", "judge", "--world", world.path, "--answers", right.path, "--versus", wrong.path,
                                            "--preferences", out.path, "--flip-rate", "\(flip)"])
            let pairs = try JSONLines.read(PreferenceRecord.self, from: out).map(\.row)
            #expect(pairs.map(\.id) == prompts.dropFirst().map(\.id))
            for (pair, prompt) in zip(pairs, prompts.dropFirst()) {
                #expect(pair.chosen == [.assistant(chosenIsRight ? prompt.reference : "maybe")])
                #expect(pair.rejected == [.assistant(chosenIsRight ? "maybe" : prompt.reference)])
                #expect(pair.images == [world.appendingPathComponent("images/\(prompt.sceneID).png").standardizedFileURL.path])
                #expect(FileManager.default.fileExists(atPath: pair.images[0]))
            }
        }
        // a prompt the second file does not answer is an error naming it
        let short = folder.appendingPathComponent("short.jsonl")
        try DatasetWriter.writeJSONL([AnswerRecord(id: prompts[0].id, answer: "yes")], to: short)
        let judge = try #require(try VLMAlign.parseAsRoot(["shapes", "judge", "--world", world.path, "--answers", right.path,
                                                           "--versus", short.path]) as? ShapesJudge)
        #expect { try judge.run() } throws: { "\($0)".hasPrefix(short.path + ": no answer to prompt \"\(prompts[1].id)\"") }
    }

    @Test func aModelOfAnotherWorldIsRefusedBeforeTraining() throws {
        let small = try Self.world(size: 32), large = try Self.world(size: 64)
        let out = small.deletingLastPathComponent().appendingPathComponent("sft").path
        var sft = try #require(try VLMAlign.parseAsRoot(["sft", "--model", large.appendingPathComponent("model").path, "--init-random",
                                                         "--data", small.appendingPathComponent("sft/train.jsonl").path, "--out", out]) as? SFT)
        #expect { try sft.run() } throws: { error in
            "\(error)".hasPrefix(large.appendingPathComponent("model/preprocessor_config.json").path
                                 + ": the model takes 64-pixel images, but the world \(small.path) has 32-pixel ones")
        }
        #expect(!FileManager.default.fileExists(atPath: out))

        // the same size, a word short
        let model = small.deletingLastPathComponent().appendingPathComponent("short-model")
        try FileManager.default.copyItem(at: small.appendingPathComponent("model"), to: model)
        let tokenizer = model.appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: tokenizer, encoding: .utf8)
        try text.replacingOccurrences(of: "\"star\"", with: "\"starr\"").write(to: tokenizer, atomically: true, encoding: .utf8)
        sft = try #require(try VLMAlign.parseAsRoot(["sft", "--model", model.path, "--init-random",
                                                     "--data", small.appendingPathComponent("sft/train.jsonl").path, "--out", out]) as? SFT)
        #expect { try sft.run() } throws: { error in
            "\(error)".hasPrefix(tokenizer.path + ": the model's vocabulary lacks 1 words of the world \(small.path) (star…)")
        }
    }
}
