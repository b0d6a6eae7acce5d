import Foundation
import Imaging
import Interchange
import Preferences
import VLM

/// How a round samples its candidate answers.
public struct CandidateSampling: Sendable {
    /// Answers sampled per prompt (at least 2); the first two that differ make the pair.
    public var samples = 2
    public var temperature: Float = 1
    public var topP: Float = 1
    public var maxNewTokens = 48
    public var batchSize = 64
    public var seed: UInt64 = 0

    public init() {}

    var record: Sampling {
        Sampling(temperature: Double(temperature), topP: topP < 1 ? Double(topP) : nil, maxNewTokens: maxNewTokens)
    }
}

/// A model loaded from a workspace checkpoint, with its processor.
struct LoadedModel {
    var model: any VisionLanguageModel
    var processor: any Processor

    init(_ folder: URL) throws {
        model = try ModelFolder.load(folder)
        processor = try model.processor(folder: folder)
    }
}

/// Two different sampled answers to one prompt.
struct SampledPair {
    var prompt: Prompt
    var images: [URL]
    var a: String
    var seedA: UInt64
    var b: String
    var seedB: UInt64

    func stored(reason: PairReason) -> NewRoundPair {
        NewRoundPair(promptID: prompt.id!, a: Self.body(a, like: prompt), seedA: Int64(bitPattern: seedA), b: Self.body(b, like: prompt),
                     seedB: Int64(bitPattern: seedB), reason: reason)
    }

    /// An answer as the prompt's form wants it: an assistant turn for a conversation.
    static func body(_ text: String, like prompt: Prompt) -> ChatValue {
        if case .messages = prompt.body { return .messages([.assistant(text)]) }
        return .plain(text)
    }
}

extension CandidateSampling {
    /// Samples `samples` answers to each prompt, batch by batch, and pairs the first two that
    /// differ; a prompt whose answers are all the same gives no pair. Stops once `target` pairs
    /// are made. `progress` is told the prompts done.
    func pairs(_ prompts: [Prompt], target: Int, from model: LoadedModel, workspace: Workspace,
               progress: (Int, Int) -> Void) throws -> [SampledPair] {
        precondition(samples >= 2)
        var made: [SampledPair] = []
        var seeds = SeededGenerator(seed: seed)
        var done = 0
        for start in stride(from: 0, to: prompts.count, by: max(batchSize, 1)) where made.count < target {
            let batch = Array(prompts[start..<min(prompts.count, start + max(batchSize, 1))])
            let images = try batch.map { prompt in try workspace.images(ofPrompt: prompt.id!).map { workspace.blobURL($0.sha256) } }
            let inputs = try zip(batch, images).map { prompt, urls in
                try model.processor.generationPrompt(prompt.body, images: try urls.map { try RGBImage(contentsOf: $0) })
            }
            var answers = [[(String, UInt64)]](repeating: [], count: batch.count)
            for _ in 0..<samples {
                let seed = seeds.next()
                let settings = SamplingSettings(temperature: temperature, topP: topP, seed: seed, maxNewTokens: maxNewTokens,
                                                stopTokens: model.processor.stopTokens)
                let generated = try Generator.generate(model.model, prompts: inputs, settings: settings, padToken: model.processor.padToken)
                for (i, tokens) in generated.enumerated() { answers[i].append((try model.processor.decodeAnswer(tokens), seed)) }
            }
            for (i, prompt) in batch.enumerated() where made.count < target {
                let first = answers[i][0]
                guard let other = answers[i].first(where: { $0.0 != first.0 }) else { continue }
                made.append(SampledPair(prompt: prompt, images: images[i], a: first.0, seedA: first.1, b: other.0, seedB: other.1))
            }
            done += batch.count
            progress(done, prompts.count)
        }
        return made
    }
}
