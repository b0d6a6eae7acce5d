import ArgumentParser
import Evaluation
import Foundation
import Preferences
import Rounds
import Runs
import ShapesWorld
import Training
import VLM

extension RoundGoal: ExpressibleByArgument {
    public init?(argument: String) { self.init(label: argument) }
    public var defaultValueDescription: String { label }
    public static var allValueStrings: [String] { allCases.map(\.label) }
}

extension RoundTraining.DataScope: ExpressibleByArgument {}
extension RoundTraining.ReferenceChoice: ExpressibleByArgument {}
extension MiningStrategy: ExpressibleByArgument {}

/// The sentence encoder that clusters failures: `failures`, `round start` and `align`.
struct EncoderOption: ParsableArguments {
    @Option(help: "all-MiniLM-L6-v2's model folder, to cluster failures by sentence embeddings (default: $VLM_ALIGN_MINILM, then .build-minilm; none found: token statistics).")
    var minilm: String?

    /// The encoder named, or found where it is looked for; nil when none is named or found.
    func encoder() throws -> SentenceEncoder? {
        let named = minilm != nil || ProcessInfo.processInfo.environment[MiniLMFiles.environmentVariable] != nil
        return named ? try SentenceEncoder(locating: minilm) : try? SentenceEncoder(locating: nil)
    }
}

/// How a round picks and samples its pairs: `round start` and `align`.
struct RoundStartOptions: ParsableArguments {
    @Option(help: "Prompt pool JSONL to import first (id, images, text, category, tags, split; ShapesWorld's pools/round-N.jsonl). Repeatable.")
    var prompts: [String] = []
    @Option(name: .customLong("held-out"), help: "Prompt pool imported as held-out: its pairs, reviewed once, are what every round is evaluated on. Repeatable.")
    var heldOut: [String] = []
    @Option(help: "Train pairs to put up for review.") var pairs = 200
    @Option(help: "Answers sampled per prompt (≥ 2); the first two that differ make its pair.") var samples = 2
    @Option(help: "Sampling temperature.") var temperature: Float = 1
    @Option(name: .customLong("top-p"), help: "Nucleus sampling.") var topP: Float = 1
    @Option(name: .customLong("max-new-tokens")) var maxNewTokens = 48
    @Option(name: .customLong("sample-batch-size"), help: "Prompts per generation batch.") var sampleBatchSize = 64
    @Option(name: .customLong("sample-seed")) var sampleSeed: UInt64 = 0
    @Option(name: .customLong("mining-pool"), help: "Edge cases: candidate pairs sampled per pair kept.") var miningPool = 3
    @OptionGroup var encoder: EncoderOption

    func request(goal: RoundGoal, beta: Double) throws -> RoundStart {
        var start = RoundStart()
        start.goal = goal
        start.promptFiles = prompts.map { URL(fileURLWithPath: $0) }
        start.heldOutFiles = heldOut.map { URL(fileURLWithPath: $0) }
        start.pairs = pairs
        start.sampling.samples = samples
        start.sampling.temperature = temperature
        start.sampling.topP = topP
        start.sampling.maxNewTokens = maxNewTokens
        start.sampling.batchSize = sampleBatchSize
        start.sampling.seed = sampleSeed
        start.miningPool = miningPool
        start.beta = beta
        if goal == .failureCluster { start.encoder = try encoder.encoder() }
        return start
    }
}

/// The simulated reviewers: `round simulate` and `align`.
struct SimulateOptions: ParsableArguments {
    @Option(help: "The ShapesWorld folder the prompts come from (its oracle judges).") var world: String
    @Option(help: "Reviewer profiles and counts: careful, biased, sloppy (e.g. careful:2,sloppy:1).") var reviewers = "careful:1"
    @Option(help: "Reviewers per pair.") var overlap = 1
    @Option(help: "Who reviews the held-out pairs, the yardstick every round is measured with (default: --reviewers).")
    var heldOutReviewers: String?
    @Option(help: "Reviewers per held-out pair (default: --overlap).") var heldOutOverlap: Int?
    @Option(name: .customLong("review-seed")) var reviewSeed: UInt64 = 0

    func request() throws -> ReviewSimulation {
        var simulation = ReviewSimulation(world: URL(fileURLWithPath: world), reviewers: try ReviewSimulation.parseReviewers(reviewers))
        simulation.overlap = overlap
        simulation.heldOutReviewers = try heldOutReviewers.map(ReviewSimulation.parseReviewers)
        simulation.heldOutOverlap = heldOutOverlap
        simulation.seed = reviewSeed
        return simulation
    }
}

/// What a round trains on and how: `round train` and `align`.
struct RoundTrainOptions: ParsableArguments {
    @Option(help: "cumulative: every round's resolved pairs so far; round: this round's only.") var data = RoundTraining.DataScope.cumulative
    @Option(help: "DPO's reference: parent (the round's parent checkpoint) or sft (its SFT ancestor; full fine-tuning).")
    var reference = RoundTraining.ReferenceChoice.parent
    @Option(help: "How several verdicts on a pair resolve: majority, unanimous or reliability-weighted.") var policy = ResolutionPolicy.majority
    @OptionGroup var dpo: DPOOptions
    @OptionGroup var loop: LoopOptions
    @OptionGroup var lora: LoRAOptions
    @Option(help: "Hold the frozen base's linear weights in NF4 (QLoRA, with --lora-rank): nf4 or nf4-vision.") var quantize: Quantization?
    @Option(name: .customLong("cache-dir"), help: "Where reference log-probs are cached (default: WORKSPACE/rounds/cache).") var cacheDir: String?

    func validate() throws {
        if quantize != nil && lora.loraRank == nil {
            throw ValidationError("--quantize needs --lora-rank: an NF4 base is frozen, only adapters train on it")
        }
    }

    func request() throws -> RoundTraining {
        var training = RoundTraining()
        training.data = data
        training.reference = reference
        training.policy = policy
        training.dpo = try dpo.settings()
        training.training = try loop.options()
        training.lora = lora.settings
        training.freezeVision = lora.freezeVision
        training.quantize = quantize
        training.cacheDirectory = cacheDir.map { URL(fileURLWithPath: $0) }
        return training
    }
}

/// What a round is evaluated on besides the held-out expert pairs: `round eval` and `align`.
struct RoundEvalOptions: ParsableArguments {
    @Option(name: .customLong("eval-prompts"), help: "Held-out prompt rows (id, images, prompt, category): KL and task metrics per category.")
    var evalPrompts: String?
    @Option(name: .customLong("eval-batch-size")) var evalBatchSize = 32

    func request(world: String?, beta: Float, maxNewTokens: Int) -> RoundEvaluation {
        var evaluation = RoundEvaluation()
        evaluation.prompts = evalPrompts.map { URL(fileURLWithPath: $0) }
        evaluation.world = world.map { URL(fileURLWithPath: $0) }
        evaluation.beta = beta
        evaluation.batchSize = evalBatchSize
        evaluation.maxNewTokens = maxNewTokens
        return evaluation
    }
}

/// Stage progress: a live line on a terminal, a line per tenth otherwise.
final class StageLine {
    private let live = isatty(STDOUT_FILENO) != 0
    private var shown: (stage: String, tenth: Int)?

    func show(_ p: RoundProgress) {
        let tenth = p.total > 0 ? p.done * 10 / p.total : 10
        let text = "\(p.stage): \(p.done)/\(p.total)"
        if live {
            print("\r\u{1B}[K" + text, terminator: p.done >= p.total ? "\n" : "")
        } else if shown?.stage != p.stage || shown!.tenth != tenth {
            print(text)
        }
        shown = (p.stage, tenth)
        fflush(nil)
    }
}

/// The row `align` and `round status` print for a round.
func roundRow(_ row: RoundsStatus.Row, categories: [String]) -> [String] {
    let m = row.checkpoint?.metrics ?? [:]
    func f(_ key: String, _ format: String = "%.3f") -> String { row.evaluated ? m[key].map { String(format: format, $0) } ?? "-" : "-" }
    return ["\(row.round.number)", row.round.goal.label, row.round.status.rawValue, "\(row.reviewedPairs)/\(row.pairsTotal)",
            row.checkpoint.map { "#\($0.id!)" } ?? "-", f("preference_accuracy"), f("reward_margin", "%.4f"), f("kl", "%.4f")]
        + categories.map { f("\($0)/accuracy") } + [f("all/hallucination_rate")]
}

func roundHeader(categories: [String]) -> [String] {
    ["round", "goal", "status", "pairs/total", "checkpoint", "pref.acc", "margin", "KL"] + categories.map { "acc " + $0 } + ["halluc."]
}

/// The categories the rounds' checkpoints were judged on, "all" last.
func judgedCategories(_ rows: [RoundsStatus.Row]) -> [String] {
    let keys = Set(rows.flatMap { $0.checkpoint?.metrics.keys.map { $0 } ?? [] }.filter { $0.hasSuffix("/accuracy") }
        .map { String($0.dropLast("/accuracy".count)) })
    return keys.subtracting(["all"]).sorted() + (keys.contains("all") ? ["all"] : [])
}
