import Foundation
import Imaging
import Interchange
import JSON
import VLM

/// A model's answers to every row of a prompt file: `id`, `images` (or `image`; relative to the
/// file unless absolute) and `prompt` (text or messages; `text` also read), in batches.
public enum Answers {
    public struct Answer {
        /// The row's `id`, or its 0-based index when it has none.
        public var id: JSONValue
        public var text: String
    }

    public static func generate(_ file: URL, model: any VisionLanguageModel, processor: any Processor,
                                settings: SamplingSettings, batchSize: Int) throws -> [Answer] {
        let rows = try JSONLines.read(file)
        var answers: [Answer] = []
        // each batch its own seed, drawn from the given one: with one seed for all, the rows at the
        // same place in two batches would draw the same random numbers
        var seeds = SeededGenerator(seed: settings.seed)
        for start in stride(from: 0, to: rows.count, by: max(batchSize, 1)) {
            var ids: [JSONValue] = [], prompts: [GenerationPrompt] = []
            for (offset, line) in rows[start..<min(rows.count, start + max(batchSize, 1))].enumerated() {
                let row = try line.object()
                guard let field = row["prompt"] ?? row["text"] else { throw line.error("needs prompt (text or messages)") }
                do {
                    let prompt = try ChatValue(json: field, field: "prompt")
                    let images = try line.images(of: row).map { try RGBImage(contentsOf: $0) }
                    prompts.append(try processor.generationPrompt(prompt, images: images))
                } catch let error as InputError {
                    throw error
                } catch {
                    throw line.error("\(error)")
                }
                ids.append(row["id"] ?? .int(start + offset))
            }
            var batchSettings = settings
            batchSettings.seed = seeds.next()
            let generated = try Generator.generate(model, prompts: prompts, settings: batchSettings, padToken: processor.padToken)
            for (id, tokens) in zip(ids, generated) { answers.append(Answer(id: id, text: try processor.decodeAnswer(tokens))) }
        }
        return answers
    }
}
