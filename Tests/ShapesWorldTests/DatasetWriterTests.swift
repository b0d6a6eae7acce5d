import Foundation
import Imaging
import Interchange
import Testing
@testable import ShapesWorld

@Suite(.timeLimit(.minutes(10))) struct DatasetWriterTests {
    static func written(_ options: WorldOptions = Fixtures.smallOptions) throws -> (World, URL) {
        let directory = try Fixtures.temporaryDirectory().appendingPathComponent("world")
        let world = World.generate(options)
        try DatasetWriter.write(world, to: directory)
        return (world, directory)
    }

    @Test func writesEveryPartOfTheWorld() throws {
        let (world, directory) = try Self.written()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let sft = try JSONLines.read(SupervisedRecord.self, from: directory.appendingPathComponent("sft/train.jsonl")).map(\.row)
        #expect(sft.count == world.prompts.filter { $0.split == "train" }.count)
        for record in sft {
            // images are relative to the JSONL file, and they are the scene's rendering
            let url = directory.appendingPathComponent("sft").appendingPathComponent(record.images[0]).standardized
            let sceneID = String(record.id.prefix(11))
            #expect(try RGBImage(contentsOf: url) == world.scenes.first { $0.id == sceneID }!.render())
            #expect(record.prompt[0].content.parts.map(\.isImage) == [true, false])
            #expect(record.completion[0].role == "assistant")
            #expect(record.completion[0].content.parts[0].text == world.prompts.first { $0.id == record.id }!.reference)
        }
        for category in Category.allCases {
            let eval = try JSONLines.read(SupervisedRecord.self, from: directory.appendingPathComponent("eval/\(category.rawValue).jsonl")).map(\.row)
            #expect(eval.allSatisfy { $0.category == category })
            #expect(eval.count == world.prompts.filter { $0.split == "eval" && $0.category == category }.count)
        }
        let pool = try JSONLines.read(PoolRecord.self, from: directory.appendingPathComponent("pools/round-2.jsonl")).map(\.row)
        #expect(pool.count == world.prompts.filter { $0.split == "round-2" }.count)
        #expect(pool.allSatisfy { $0.images[0].hasPrefix("../images/") && !$0.text.isEmpty && $0.tags.first == $0.category.rawValue })
        // the held-out and pool scenes are not in the SFT set
        let trainImages = Set(sft.flatMap(\.images))
        #expect(trainImages.isDisjoint(with: pool.flatMap(\.images)))

        let pairs = try JSONLines.read(PreferenceRecord.self, from: directory.appendingPathComponent("pairs/synthetic.jsonl")).map(\.row)
        #expect(pairs.count == sft.count)
        let scenes = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0) })
        let prompts = Dictionary(uniqueKeysWithValues: world.prompts.map { ($0.id, $0) })
        for pair in pairs {
            let prompt = prompts[pair.id]!
            let chosen = pair.chosen[0].content.parts[0].text!, rejected = pair.rejected[0].content.parts[0].text!
            #expect(Oracle.compare(chosen, rejected, question: prompt.question, in: scenes[prompt.sceneID]!).verdict == .a)
        }
        let reloaded = try World.load(from: directory)
        #expect(firstDifference(reloaded.prompts, world.prompts) == nil)
        #expect(firstDifference(reloaded.scenes, world.scenes) == nil)
    }

    /// One conversation per train scene, holding exactly that scene's questions and reference
    /// answers, the image in the first user turn only, and not every conversation in the
    /// category order the prompts were made in.
    @Test func conversationsHoldEachSceneQuestionsInASeededOrder() throws {
        let (world, directory) = try Self.written()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let records = try JSONLines.read(ConversationRecord.self, from: directory.appendingPathComponent("sft/conversations.jsonl")).map(\.row)
        let train = world.prompts.filter { $0.split == "train" }
        var sceneOrder: [String] = []
        for prompt in train where sceneOrder.last != prompt.sceneID { sceneOrder.append(prompt.sceneID) }
        #expect(records.map(\.id) == sceneOrder)
        var reordered = 0
        for record in records {
            let prompts = train.filter { $0.sceneID == record.id }
            #expect(record.images == ["../" + World.imagePath(record.id)])
            #expect(record.messages.map(\.role) == Array(repeating: ["user", "assistant"], count: prompts.count).flatMap { $0 })
            #expect(record.messages.map { $0.content.parts.filter(\.isImage).count } == [1] + Array(repeating: 0, count: 2 * prompts.count - 1))
            let asked = stride(from: 0, to: record.messages.count, by: 2).map {
                (record.messages[$0].content.parts.last!.text!, record.messages[$0 + 1].content.parts[0].text!)
            }
            #expect(Set(asked.map { "\($0.0)|\($0.1)" }) == Set(prompts.map { "\($0.text)|\($0.reference)" }))
            if asked.map(\.0) != prompts.map(\.text) { reordered += 1 }
        }
        #expect(reordered > records.count / 2)
        let again = try Self.written()
        defer { try? FileManager.default.removeItem(at: again.1.deletingLastPathComponent()) }
        #expect(try Data(contentsOf: again.1.appendingPathComponent("sft/conversations.jsonl"))
            == Data(contentsOf: directory.appendingPathComponent("sft/conversations.jsonl")))
    }

    @Test func modelFolderFiles() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = ModelRecipe(imageSize: 64)
        try folder.write(to: directory)
        func json(_ name: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name))) as! [String: Any]
        }
        let config = try json("config.json")
        #expect(config["model_type"] as? String == "idefics3")
        #expect(config["image_token_id"] as? Int == Vocabulary.specialTokens.firstIndex(of: "<image>"))
        let vision = config["vision_config"] as! [String: Any], text = config["text_config"] as! [String: Any]
        #expect(vision["image_size"] as? Int == 64 && vision["patch_size"] as? Int == 8)
        #expect(text["vocab_size"] as? Int == folder.tokens.count)
        #expect(folder.imageSequenceLength == 16)
        #expect((1_000_000...5_000_000).contains(folder.parameterCount))

        let tokenizer = try json("tokenizer.json")
        let model = tokenizer["model"] as! [String: Any]
        #expect(model["type"] as? String == "WordLevel")
        let vocabulary = model["vocab"] as! [String: Int]
        #expect(vocabulary.count == folder.tokens.count && Set(vocabulary.values) == Set(0..<folder.tokens.count))
        let added = tokenizer["added_tokens"] as! [[String: Any]]
        #expect(added.map { $0["content"] as! String } == Vocabulary.specialTokens)
        #expect(added.allSatisfy { $0["special"] as? Bool == true && vocabulary[$0["content"] as! String] == $0["id"] as? Int })

        let tokenizerConfig = try json("tokenizer_config.json")
        #expect(tokenizerConfig["eos_token"] as? String == "<end_of_utterance>")
        #expect((tokenizerConfig["chat_template"] as? String)?.contains("Assistant:") == true)
        #expect(try String(contentsOf: directory.appendingPathComponent("chat_template.jinja"), encoding: .utf8)
                == tokenizerConfig["chat_template"] as? String)
        let preprocessor = try json("preprocessor_config.json")
        #expect(preprocessor["image_processor_type"] as? String == "Idefics3ImageProcessor")
        #expect((preprocessor["size"] as? [String: Int])?["longest_edge"] == 64)
        #expect(preprocessor["do_image_splitting"] as? Bool == false)
        #expect(try json("processor_config.json")["image_seq_len"] as? Int == 16)
    }

    @Test func writingIsByteForByteRepeatable() throws {
        var options = Fixtures.smallOptions
        options.trainScenes = 5
        let (_, a) = try Self.written(options), (_, b) = try Self.written(options)
        defer {
            try? FileManager.default.removeItem(at: a.deletingLastPathComponent())
            try? FileManager.default.removeItem(at: b.deletingLastPathComponent())
        }
        for file in ["world.json", "sft/train.jsonl", "pairs/synthetic.jsonl", "images/scene-00003.png", "model/tokenizer.json",
                     "model/config.json"] {
            let same = try Data(contentsOf: a.appendingPathComponent(file)) == Data(contentsOf: b.appendingPathComponent(file))
            #expect(same, "\(file) differs")
        }
    }
}
