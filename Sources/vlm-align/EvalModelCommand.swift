import ArgumentParser
import Evaluation
import Foundation
import Preferences
import Runs

/// `vlm-align eval --model DIR|--checkpoint ID …` (the default of `eval`).
struct EvalModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "A model against its reference: preference accuracy, reward margin and KL with bootstrap 95% intervals, and task metrics per category.",
        discussion: """
            --pairs (TRL preference JSONL): preference accuracy and reward margin. --prompts (rows with \
            images, prompt, category and, for text metrics, completion): KL per token on answers sampled \
            from the model, and task metrics of its greedy answers per category, judged by the ShapesWorld \
            oracle with --world, else against each row's completion. Intervals: percentile bootstrap over \
            pairs / prompts, seeded. docs/evaluation.md defines each number.
            """
    )

    @Option(help: "Model folder to evaluate.") var model: String?
    @Option(help: "Workspace checkpoint ID to evaluate (with --workspace).") var checkpoint: Int64?
    @Option(help: "The workspace that --checkpoint (and a numeric --reference) name checkpoints of.") var workspace: String?
    @Option(help: "Reference: a model folder, or a checkpoint ID with --workspace (default: the checkpoint's parent).")
    var reference: String?
    @Option(help: "Expert preference pairs (TRL JSONL).") var pairs: String?
    @Option(help: "Prompt rows (JSONL): for KL and task metrics.") var prompts: String?
    @Option(help: "ShapesWorld folder whose oracle judges the answers to --prompts.") var world: String?
    @Option(help: "DPO beta of the rewards.") var beta: Float = 0.1
    @Option(help: "Seed of sampling and of the bootstrap.") var seed: UInt64 = 0
    @Option(help: "Bootstrap resamples.") var resamples = 1000
    @Option(help: "Most new tokens an answer may have.") var maxNewTokens = 32
    @Option(help: "Batch size.") var batchSize = 8
    @Flag(help: "BERTScore F1 of the answers against the completions (text metrics).") var bertscore = false
    @Option(help: "all-MiniLM-L6-v2's model folder (with --bertscore).") var minilm: String?
    @Flag(help: "Print one JSON object instead of tables.") var json = false
    @Flag(help: "Store the metrics and intervals in the checkpoint (with --checkpoint), for `report`.") var record = false

    func validate() throws {
        guard (model == nil) != (checkpoint == nil) else { throw ValidationError("give --model DIR or --checkpoint ID") }
        if checkpoint != nil, workspace == nil {
            throw ValidationError("--checkpoint names a checkpoint of a workspace: give --workspace DIR")
        }
        if record, checkpoint == nil { throw ValidationError("--record stores metrics in a checkpoint: give --checkpoint ID") }
        if pairs == nil, prompts == nil { throw ValidationError("nothing to evaluate: give --pairs FILE and/or --prompts FILE") }
    }

    func run() throws {
        let start: ModelEvaluation.Model = model.map { .folder(URL(fileURLWithPath: $0)) } ?? .checkpoint(checkpoint!)
        var evaluation = ModelEvaluation(model: start)
        evaluation.workspace = try workspace.map { try Workspace.open(at: URL(fileURLWithPath: $0)) }
        if let reference {
            if let id = Int64(reference), !FileManager.default.fileExists(atPath: reference) {
                guard workspace != nil else { throw ValidationError("--reference \(id) names a checkpoint: give --workspace DIR") }
                evaluation.reference = .checkpoint(id)
            } else {
                evaluation.reference = .folder(URL(fileURLWithPath: reference))
            }
        }
        evaluation.pairs = pairs.map { URL(fileURLWithPath: $0) }
        evaluation.prompts = prompts.map { URL(fileURLWithPath: $0) }
        evaluation.world = world.map { URL(fileURLWithPath: $0) }
        evaluation.beta = beta
        evaluation.seed = seed
        evaluation.resamples = resamples
        evaluation.maxNewTokens = maxNewTokens
        evaluation.batchSize = batchSize
        if bertscore { evaluation.encoder = try SentenceEncoder(locating: minilm) }
        let report = try evaluation.run()
        if record, let workspace = evaluation.workspace, let checkpoint {
            try workspace.recordMetrics(report.checkpointMetrics, forCheckpoint: checkpoint)
        }
        print(json ? report.json.serialized(indent: 0) : report.table)
    }
}
