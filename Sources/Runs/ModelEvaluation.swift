import Evaluation
import Foundation
import Imaging
import Interchange
import JSON
import Preferences
import ShapesWorld
import Training
import VLM

/// `vlm-align eval`: a model (a folder or a workspace checkpoint) against its reference. On
/// expert pairs, preference accuracy and reward margin; on prompts, the per-token KL of answers
/// sampled from the policy, and task metrics of its greedy answers per category — judged by a
/// ShapesWorld's oracle, or against the rows' reference answers (`completion`). Each alignment
/// metric carries a seeded percentile bootstrap 95% interval (`Bootstrap`).
public struct ModelEvaluation {
    public enum Model: Sendable, Equatable {
        case folder(URL)
        case checkpoint(Int64)
    }

    public var model: Model
    /// nil: the checkpoint's parent in the workspace (a folder needs one).
    public var reference: Model?
    public var workspace: Workspace?
    /// TRL preference JSONL: the expert pairs.
    public var pairs: URL?
    /// Prompt rows (`id`, `images`, `prompt`, optional `category` and `completion`).
    public var prompts: URL?
    /// A ShapesWorld folder (world.json) whose oracle judges the answers to `prompts`.
    public var world: URL?
    public var beta: Float = 0.1
    public var seed: UInt64 = 0
    public var resamples = Bootstrap.defaultResamples
    public var batchSize = 8
    public var maxNewTokens = 32
    /// BERTScore of the answers against the references (text metrics) through this encoder.
    public var encoder: SentenceEncoder?
    /// false: only the task metrics of the answers to `prompts` (no KL, no reference loaded).
    public var measuresKL = true

    public init(model: Model) { self.model = model }

    public func run() throws -> ModelEvaluationReport {
        guard pairs != nil || prompts != nil else { throw EvaluationInputError("nothing to evaluate: give --pairs FILE and/or --prompts FILE") }
        if world != nil, prompts == nil { throw EvaluationInputError("--world judges the answers to --prompts: give --prompts FILE") }
        let (folder, modelName, parent) = try resolve(model, role: "model")
        var referenceFolder: URL?, referenceName = "none"
        if pairs != nil || measuresKL {
            guard let referenceModel = reference ?? parent.map(Model.checkpoint) else {
                switch model {
                case .folder: throw EvaluationInputError("a model folder needs --reference DIR|ID (the model it is compared with)")
                case .checkpoint(let id): throw EvaluationInputError("checkpoint #\(id) has no parent: give --reference DIR|ID")
                }
            }
            (referenceFolder, referenceName, _) = try resolve(referenceModel, role: "reference")
        }
        // the inputs are read before any model is loaded, so a bad file fails fast
        let rows = try prompts.map(PromptRow.read) ?? []
        let judgingWorld = try world.map { try World.load(from: $0) }
        if let pairs { _ = try JSONLines.read(pairs) }

        let policy = try ModelFolder.load(folder)
        let processor = try policy.processor(folder: folder)
        let trainer = try referenceFolder.map {
            try DPOTrainer(policy: policy, adapters: nil, reference: .model(try ModelFolder.load($0)),
                           settings: DPOSettings(beta: beta), padToken: processor.padToken)
        }
        var report = ModelEvaluationReport(model: modelName, reference: referenceName)
        if let pairs, let trainer {
            let tokenized = try PreferenceDataset.pairs(pairs, processor: processor)
            var accuracies: [Double] = [], margins: [Double] = []
            for batch in batches(tokenized) {
                let lp = try PairScorer.logProbs(policy, pairs: batch, padToken: processor.padToken)
                let lr = try trainer.referenceLogProbs(batch)
                for (p, r) in zip(lp, lr) {
                    let rc = Double(beta) * (p.chosen - r.chosen), rr = Double(beta) * (p.rejected - r.rejected)
                    accuracies.append(rc > rr ? 1 : 0)
                    margins.append(rc - rr)
                }
            }
            report.pairs = tokenized.count
            report.preferenceAccuracy = Bootstrap.mean(accuracies, seed: seed, resamples: resamples)
            report.rewardMargin = Bootstrap.mean(margins, seed: seed &+ 1, resamples: resamples)
        }
        guard let prompts, !rows.isEmpty else { return report }
        let generationPrompts = try rows.map { try $0.generationPrompt(processor) }
        report.prompts = rows.count
        if let trainer, measuresKL {
            // KL: answers sampled from the policy, scored by both models; each prompt a unit
            let sampling = SamplingSettings(temperature: 1, seed: seed, maxNewTokens: maxNewTokens, stopTokens: processor.stopTokens)
            let units = try AlignmentMetrics.klTerms(
                trainer, prompts: generationPrompts.map { PreferencePair(prompt: $0.tokens, chosen: [], rejected: [], images: $0.images) },
                sampling: sampling, batchSize: batchSize)
            report.kl = Bootstrap.ratio(units, seed: seed &+ 2, resamples: resamples)
        }
        // task metrics on greedy answers
        let greedy = SamplingSettings(temperature: 0, maxNewTokens: maxNewTokens, stopTokens: processor.stopTokens)
        var answers: [String] = []
        for batch in batches(generationPrompts) {
            for tokens in try Generator.generate(policy, prompts: batch, settings: greedy, padToken: processor.padToken) {
                answers.append(try processor.decodeAnswer(tokens))
            }
        }
        if let judgingWorld {
            let judged = try judgingWorld.judge(zip(rows, answers).map { AnswerRecord(id: $0.0.id, answer: $0.1) }, file: prompts.path)
            report.task = .oracle(judged.categories + [judged.overall])
        } else if rows.allSatisfy({ $0.reference != nil }) {
            var categories: [(String, [Int])] = []
            for (i, row) in rows.enumerated() {
                if let k = categories.firstIndex(where: { $0.0 == row.category }) { categories[k].1.append(i) } else { categories.append((row.category, [i])) }
            }
            if categories.count > 1 || categories.first?.0 != "all" { categories.append(("all", Array(rows.indices))) }
            report.task = .text(try categories.map { name, indices in
                try TextTaskMetrics.compute(category: name, hypotheses: indices.map { answers[$0] },
                                            references: indices.map { rows[$0].reference! }, encoder: encoder)
            })
        } else if let missing = rows.first(where: { $0.reference == nil }) {
            report.notes.append("\(prompts.path):\(missing.line): no completion (reference answer) and no --world: no task metrics")
        }
        return report
    }

    private func batches<T>(_ items: [T]) -> [[T]] {
        stride(from: 0, to: items.count, by: max(batchSize, 1)).map { Array(items[$0..<min(items.count, $0 + max(batchSize, 1))]) }
    }

    /// The folder of a model, a name for it, and its parent checkpoint (for a checkpoint).
    private func resolve(_ model: Model, role: String) throws -> (URL, String, Int64?) {
        switch model {
        case .folder(let folder):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw EvaluationInputError("\(role) \(folder.path): no such folder")
            }
            return (folder, folder.path, nil)
        case .checkpoint(let id):
            guard let workspace else { throw EvaluationInputError("\(role) checkpoint #\(id) names a checkpoint of a workspace: give --workspace DIR") }
            let checkpoint: Checkpoint
            do { checkpoint = try workspace.checkpoint(id) } catch {
                throw EvaluationInputError("\(role): no checkpoint #\(id) in the workspace \(workspace.root.path) (\(error))")
            }
            return (workspace.root.appending(path: checkpoint.folder), "checkpoint #\(id)", checkpoint.parentId)
        }
    }
}

public struct EvaluationInputError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One row of a prompt file.
struct PromptRow {
    var line: Int
    var id: String
    var category: String
    var prompt: ChatValue
    var images: [URL]
    /// The reference answer: `completion` (text, or the assistant messages' text), else `answer`.
    var reference: String?
    var source: JSONLine

    static func read(_ file: URL) throws -> [PromptRow] {
        try JSONLines.read(file).enumerated().map { index, line in
            let row = try line.object()
            guard let field = row["prompt"] ?? row["text"] else { throw line.error("needs prompt (text or messages)") }
            let prompt: ChatValue
            do { prompt = try ChatValue(json: field, field: "prompt") } catch { throw line.error("\(error)") }
            var reference: String?
            if let completion = row["completion"] ?? row["answer"] {
                do { reference = try ChatValue(json: completion, field: "completion").text } catch { throw line.error("\(error)") }
            }
            let id = row["id"].map { $0.stringValue ?? $0.serialized(indent: 0) } ?? "\(index)"
            return PromptRow(line: line.number, id: id, category: row["category"]?.stringValue ?? "all", prompt: prompt,
                             images: try line.images(of: row), reference: reference, source: line)
        }
    }

    func generationPrompt(_ processor: any Processor) throws -> GenerationPrompt {
        do {
            return try processor.generationPrompt(prompt, images: try images.map { try RGBImage(contentsOf: $0) })
        } catch let error as InputError {
            throw error
        } catch {
            throw source.error("\(error)")
        }
    }
}

/// Text metrics of one category's greedy answers against its reference answers.
public struct TextTaskMetrics: Sendable {
    public var category: String
    public var count: Int
    public var exactMatch: Double
    /// Exact match after the VQA convention's normalisation (`ExactMatch.vqaShare`).
    public var vqaExactMatch: Double
    public var tokenF1: Double
    public var bleu: Double
    public var chrf: Double
    public var rougeL: Double
    public var bertscoreF1: Double?

    static func compute(category: String, hypotheses h: [String], references r: [String], encoder: SentenceEncoder?) throws -> TextTaskMetrics {
        let bert = try encoder.map { try BERTScore.scores(hypotheses: h, references: r, encoder: $0) }
        return TextTaskMetrics(category: category, count: h.count, exactMatch: ExactMatch.share(hypotheses: h, references: r),
                               vqaExactMatch: ExactMatch.vqaShare(hypotheses: h, references: r),
                               tokenF1: TokenF1.mean(hypotheses: h, references: r), bleu: CorpusBLEU.score(hypotheses: h, references: r),
                               chrf: CorpusChrF.score(hypotheses: h, references: r), rougeL: RougeL.meanF(hypotheses: h, references: r),
                               bertscoreF1: bert.map { $0.reduce(0) { $0 + $1.f1 } / Double(max(h.count, 1)) })
    }

    var values: [(String, JSONValue)] {
        var values: [(String, JSONValue)] = [("count", .int(count)), ("exact_match", .double(exactMatch)),
                                             ("vqa_exact_match", .double(vqaExactMatch)), ("token_f1", .double(tokenF1)), ("bleu", .double(bleu)), ("chrf", .double(chrf)), ("rouge_l", .double(rougeL))]
        if let bertscoreF1 { values.append(("bertscore_f1", .double(bertscoreF1))) }
        return values
    }
}

public struct ModelEvaluationReport {
    public enum Task {
        /// The oracle's summaries per category, "all" last.
        case oracle([CategorySummary])
        case text([TextTaskMetrics])
    }

    public var model: String
    public var reference: String
    public var pairs = 0
    public var preferenceAccuracy: Interval?
    public var rewardMargin: Interval?
    public var prompts = 0
    public var kl: Interval?
    public var task: Task?
    public var notes: [String] = []

    /// The metrics a checkpoint stores (`Workspace.recordMetrics`): each alignment metric and its
    /// interval as `NAME`, `NAME_lower`, `NAME_upper`; the oracle's or text metrics of category C
    /// as `C/METRIC` (counts left out).
    public var checkpointMetrics: [String: Double] {
        var metrics: [String: Double] = [:]
        for (name, interval) in [("preference_accuracy", preferenceAccuracy), ("reward_margin", rewardMargin), ("kl", kl)] {
            guard let interval else { continue }
            metrics[name] = interval.estimate
            metrics[name + "_lower"] = interval.lower
            metrics[name + "_upper"] = interval.upper
        }
        for (category, values) in categories {
            for (key, value) in values { if case .double(let d) = value { metrics["\(category)/\(key)"] = d } }
        }
        return metrics
    }

    /// Per category: (name, [(metric, value)]), "all" last.
    public var categories: [(String, [(String, JSONValue)])] {
        switch task {
        case .oracle(let summaries):
            return summaries.map { s in
                (s.category, [("count", .int(s.answers)), ("accuracy", .double(s.accuracy)),
                              ("hallucination_rate", .double(s.hallucinationRate)),
                              ("object_hallucination_rate", .double(s.mentionHallucinationRate)),
                              ("mentioned_objects", .int(s.mentions)), ("hallucinated_objects", .int(s.hallucinatedMentions))])
            }
        case .text(let metrics): return metrics.map { ($0.category, $0.values) }
        case nil: return []
        }
    }

    public var json: JSONValue {
        func interval(_ i: Interval?) -> JSONValue { i?.json ?? .null }
        let kind: JSONValue = switch task {
        case .oracle: .string("oracle")
        case .text: .string("text")
        case nil: .null
        }
        return .object([
            ("model", .string(model)), ("reference", .string(reference)),
            ("pairs", .int(pairs)), ("preference_accuracy", interval(preferenceAccuracy)), ("reward_margin", interval(rewardMargin)),
            ("prompts", .int(prompts)), ("kl", interval(kl)),
            ("task", kind), ("categories", .object(categories.map { ($0.0, .object($0.1)) })),
            ("notes", .array(notes.map(JSONValue.string))),
        ])
    }

    public var table: String {
        var lines = ["\(model) against \(reference)"]
        func row(_ name: String, _ i: Interval?, _ unit: String) {
            guard let i else { return }
            lines.append(name.padding(toLength: 22, withPad: " ", startingAt: 0)
                         + String(format: "%9.4f  [%.4f, %.4f] 95%% bootstrap, %@", i.estimate, i.lower, i.upper, unit))
        }
        row("preference accuracy", preferenceAccuracy, "\(pairs) pairs")
        row("reward margin", rewardMargin, "\(pairs) pairs")
        row("KL per token", kl, "\(prompts) prompts")
        let categories = self.categories
        if let first = categories.first {
            let names = first.1.map(\.0)
            let width = max(12, categories.map(\.0.count).max() ?? 0)
            lines.append("")
            lines.append("category".padding(toLength: width, withPad: " ", startingAt: 0) + names.map { "  " + $0 }.joined())
            for (name, values) in categories {
                var line = name.padding(toLength: width, withPad: " ", startingAt: 0)
                for (key, value) in values {
                    let text: String = switch value {
                    case .int(let n): "\(n)"
                    case .double(let d): String(format: "%.4f", d)
                    default: value.serialized(indent: 0)
                    }
                    line += "  " + String(repeating: " ", count: max(0, key.count - text.count)) + text
                }
                lines.append(line)
            }
        }
        lines += notes
        return lines.joined(separator: "\n")
    }
}
