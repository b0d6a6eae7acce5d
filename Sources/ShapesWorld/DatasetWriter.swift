import Foundation
import Interchange

/// A supervised example (TRL prompt–completion, conversational): SFT and evaluation sets.
public struct SupervisedRecord: Codable, Equatable, Sendable {
    public var id: String
    public var category: Category
    public var tags: [String]
    /// Paths relative to the JSONL file.
    public var images: [String]
    public var prompt: [ChatMessage]
    public var completion: [ChatMessage]
}

/// A scene's questions as one conversation (TRL conversational language modeling): the image
/// once, each question answered in turn, so one pass over the image teaches every answer.
public struct ConversationRecord: Codable, Equatable, Sendable {
    public var id: String
    public var images: [String]
    public var messages: [ChatMessage]
}

/// A preference pair in TRL's vision preference format.
public struct PreferenceRecord: Codable, Equatable, Sendable {
    public var id: String
    public var images: [String]
    public var prompt: [ChatMessage]
    public var chosen: [ChatMessage]
    public var rejected: [ChatMessage]
}

/// A prompt for a round's pool: what the store's `import prompts` reads.
public struct PoolRecord: Codable, Equatable, Sendable {
    public var id: String
    public var images: [String]
    public var text: String
    public var category: Category
    public var tags: [String]
}

/// Writes a world to a folder:
///
///     world.json                 scenes, prompts and options: what `shapes judge` reads
///     images/scene-NNNNN.png     one image per scene
///     sft/train.jsonl            the train split: prompt, image, reference answer (or the
///                                label noise's answer, when the options ask for noise)
///     sft/conversations.jsonl    the train split as one conversation per scene, the
///                                questions in a seeded order
///     text/train.jsonl           the train split without images: each question that the
///                                words answer after its scene written as words
///                                (`Scene.words`), the true answer
///     text/eval.jsonl            the held-out split so written
///     eval/<category>.jsonl      the held-out split, one file per category
///     pools/round-N.jsonl        prompts for round N's candidates, in the store's format
///     pairs/synthetic.jsonl      TRL preference pairs on the train split: the reference
///                                chosen over a plausible wrong answer
///     model/                     the Hugging Face model folder without weights
public enum DatasetWriter {
    /// Returns the train answers the SFT files teach (with the label noise, if any).
    @discardableResult
    public static func write(_ world: World, to directory: URL) throws -> TrainingAnswers {
        let files = FileManager.default
        let scenes = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0) })
        for folder in ["images", "sft", "text", "eval", "pools", "pairs"] {
            try files.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for scene in world.scenes {
            try scene.render().writePNG(to: directory.appendingPathComponent(World.imagePath(scene.id)))
        }
        let fromSubfolder = { (prompt: Prompt) in ["../" + World.imagePath(prompt.sceneID)] }
        func supervised(_ prompt: Prompt, answer: String? = nil) -> SupervisedRecord {
            SupervisedRecord(id: prompt.id, category: prompt.category, tags: prompt.tags, images: fromSubfolder(prompt),
                             prompt: [.user(image: true, prompt.text)], completion: [.assistant(answer ?? prompt.reference)])
        }
        let train = world.prompts.filter { $0.split == "train" }
        // the label noise, if any, is in these two files only
        let taught = world.trainingAnswers()
        try writeJSONL(train.map { supervised($0, answer: taught.answers[$0.id]) }, to: directory.appendingPathComponent("sft/train.jsonl"))
        try writeJSONL(conversations(train, answers: taught.answers, seed: world.options.seed),
                       to: directory.appendingPathComponent("sft/conversations.jsonl"))
        let held = world.prompts.filter { $0.split == "eval" }
        // what a decoder reads before it reads images: the truth, never the label noise
        func text(_ prompt: Prompt) -> SupervisedRecord {
            SupervisedRecord(id: prompt.id, category: prompt.category, tags: prompt.tags, images: [],
                             prompt: [.user(image: false, scenes[prompt.sceneID]!.words + " " + prompt.text)],
                             completion: [.assistant(prompt.reference)])
        }
        let fromWords = { (prompt: Prompt) in Scene.answerableFromWords.contains(prompt.category) }
        try writeJSONL(train.filter(fromWords).map(text), to: directory.appendingPathComponent("text/train.jsonl"))
        try writeJSONL(held.filter(fromWords).map(text), to: directory.appendingPathComponent("text/eval.jsonl"))
        for category in Category.allCases {
            try writeJSONL(held.filter { $0.category == category }.map { supervised($0) },
                           to: directory.appendingPathComponent("eval/\(category.rawValue).jsonl"))
        }
        for split in world.splits where split.hasPrefix("round-") {
            let pool = world.prompts.filter { $0.split == split }.map {
                PoolRecord(id: $0.id, images: fromSubfolder($0), text: $0.text, category: $0.category, tags: $0.tags)
            }
            try writeJSONL(pool, to: directory.appendingPathComponent("pools/\(split).jsonl"))
        }
        // the i-th pair of the earlier categories draws from stream 3 as it did before the
        // unanswerable category; the unanswerable ones from stream 5, each its own index
        var counters = [false: 0, true: 0]
        let pairs = train.map { prompt in
            let unanswerable = prompt.category == .unanswerable
            var rng = SeededGenerator(seed: world.options.seed, stream: unanswerable ? 5 : 3, index: counters[unanswerable]!)
            counters[unanswerable]! += 1
            let wrong = prompt.question.wrongAnswer(in: scenes[prompt.sceneID]!, using: &rng)
            return PreferenceRecord(id: prompt.id, images: fromSubfolder(prompt), prompt: [.user(image: true, prompt.text)],
                                    chosen: [.assistant(prompt.reference)], rejected: [.assistant(wrong.text)])
        }
        try writeJSONL(pairs, to: directory.appendingPathComponent("pairs/synthetic.jsonl"))
        try ModelRecipe(imageSize: world.options.style.width).write(to: directory.appendingPathComponent("model"))
        // the manifest last: a folder with world.json is a complete world
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(world).write(to: World.manifest(in: directory), options: .atomic)
        return taught
    }

    /// One conversation per scene, in scene order; its questions shuffled (Fisher–Yates on the
    /// world's own generator) so that every kind of question is also asked first, as evaluation
    /// asks it.
    static func conversations(_ prompts: [Prompt], answers: [String: String] = [:], seed: UInt64) -> [ConversationRecord] {
        var order: [String] = [], byScene: [String: [Prompt]] = [:]
        for prompt in prompts {
            if byScene[prompt.sceneID] == nil { order.append(prompt.sceneID) }
            byScene[prompt.sceneID, default: []].append(prompt)
        }
        return order.enumerated().map { i, sceneID in
            var questions = byScene[sceneID]!
            var rng = SeededGenerator(seed: seed, stream: 4, index: i)
            for j in stride(from: questions.count - 1, to: 0, by: -1) { questions.swapAt(j, rng.below(j + 1)) }
            let messages = questions.enumerated().flatMap { k, prompt in
                [ChatMessage.user(image: k == 0, prompt.text), ChatMessage.assistant(answers[prompt.id] ?? prompt.reference)]
            }
            return ConversationRecord(id: sceneID, images: ["../" + World.imagePath(sceneID)], messages: messages)
        }
    }

    /// One JSON object per line, keys sorted.
    public static func writeJSONL<T: Encodable>(_ records: [T], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for record in records {
            data += try encoder.encode(record)
            data += Data("\n".utf8)
        }
        try data.write(to: url, options: .atomic)
    }
}
