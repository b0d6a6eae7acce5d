import ArgumentParser
import Foundation
import JSON
import Preferences
import Rounds
import Runs
import Training

struct RoundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "round",
        abstract: "One round of the loop: start, review (or simulate), train, eval, close; status.",
        discussion: """
            A round samples pairs of answers from the current checkpoint, waits for verdicts (the review \
            app or `round simulate`), trains DPO from its parent on the frozen dataset version, is \
            evaluated on the held-out expert pairs, and closes, making its checkpoint current. A \
            command out of order is refused, changing nothing, with what to do next (docs/rounds.md).
            """,
        subcommands: [RoundStartCommand.self, RoundSimulateCommand.self, RoundTrainCommand.self, RoundEvalCommand.self,
                      RoundCloseCommand.self, RoundStatusCommand.self])
}

extension AlignmentRounds {
    /// The rounds of the workspace, showing progress on standard output.
    static func open(_ location: WorkspaceOption) throws -> AlignmentRounds {
        var rounds = AlignmentRounds(workspace: try location.open())
        let line = StageLine()
        rounds.progress = line.show
        return rounds
    }
}

struct RoundStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Open the next round: sample pairs of answers from the current checkpoint for review.")

    @OptionGroup var location: WorkspaceOption
    @Option(help: "coverage (stratified over categories), edge-cases (the pairs the model is least sure of), failures (prompts like the largest held-out failure clusters) or convergence.")
    var goal = RoundGoal.coverage
    @OptionGroup var options: RoundStartOptions
    @Option(help: "β of the model's confidence p (edge cases) and of the rewards (failures).") var beta: Double = 0.1

    func run() throws {
        let started = try AlignmentRounds.open(location).start(try options.request(goal: goal, beta: beta))
        print("round \(started.round.number) (\(started.round.goal.label)) open from checkpoint #\(started.round.parentCheckpointId): "
              + "\(started.pairs) pairs to review" + (started.heldOutPairs > 0 ? ", and \(started.heldOutPairs) held-out pairs" : ""))
        for note in started.notes { print("  " + note) }
    }
}

struct RoundSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Review the open round's pairs by simulated reviewers (the ShapesWorld oracle behind them).")

    @OptionGroup var location: WorkspaceOption
    @OptionGroup var options: SimulateOptions

    func run() throws {
        let reviews = try AlignmentRounds.open(location).simulate(options.request())
        let verdicts = reviews.verdicts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("round \(reviews.round): \(reviews.comparisons) verdicts (\(verdicts))"
              + (reviews.alpha.map { String(format: "; Krippendorff's α %.3f", $0) } ?? ""))
    }
}

struct RoundTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Freeze the round's dataset version and train DPO on it from the round's parent.")

    @OptionGroup var location: WorkspaceOption
    @OptionGroup var options: RoundTrainOptions
    @Flag(help: "Continue the round's interrupted training from its saved state.") var resume = false
    @Flag(help: "One JSON object per step.") var json = false

    func run() throws {
        var request = try options.request()
        request.resume = resume
        let stop = StopSignal()
        stop.install()
        let progress = ProgressLine(json: json)
        let result = try AlignmentRounds.open(location).train(request, stop: stop) { event in
            if case let .step(report, isEval) = event { progress.show(report, isEval: isEval) }
        }
        guard let checkpoint = result.checkpoint else {
            FileHandle.standardError.write(Data("stopped; continue with `vlm-align round train --resume`\n".utf8))
            throw ExitCode(130)
        }
        print("trained checkpoint #\(checkpoint.id!) (round \(checkpoint.round!), dataset version #\(checkpoint.datasetVersionId!)); "
              + "next: `vlm-align round eval`")
    }
}

struct RoundEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "The three alignment metrics of the round's checkpoint on the held-out expert pairs; task metrics per category.")

    @OptionGroup var location: WorkspaceOption
    @OptionGroup var options: RoundEvalOptions
    @Option(help: "The ShapesWorld whose oracle judges the answers to --eval-prompts.") var world: String?
    @Option(help: "β of the rewards.") var beta: Float = 0.1
    @Option(name: .customLong("max-new-tokens")) var maxNewTokens = 48
    @Flag(help: "The report as JSON.") var json = false

    func run() throws {
        let report = try AlignmentRounds.open(location).evaluate(options.request(world: world, beta: beta, maxNewTokens: maxNewTokens))
        print(json ? report.json.serialized(indent: 2) : report.table + "\nnext: `vlm-align round close`")
    }
}

struct RoundCloseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Close the evaluated round: its checkpoint becomes current.")

    @OptionGroup var location: WorkspaceOption

    func run() throws {
        let (round, checkpoint) = try AlignmentRounds.open(location).close()
        print("round \(round.number) closed; checkpoint #\(checkpoint.id!) is current")
    }
}

struct RoundStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Where each round stands, and whether the loop has converged.")

    @OptionGroup var location: WorkspaceOption
    @Flag(help: "As JSON: one object per round, and the convergence.") var json = false

    func run() throws {
        let status = try AlignmentRounds(workspace: try location.open()).status()
        if json {
            print(statusJSON(status).serialized(indent: 2))
            return
        }
        guard !status.rows.isEmpty else {
            print("no rounds yet; start one with `vlm-align round start`")
            return
        }
        let categories = judgedCategories(status.rows)
        print(table(roundHeader(categories: categories), status.rows.map { roundRow($0, categories: categories) }))
        print((status.convergence.converged ? "converged: " : "not converged: ") + status.convergence.reason)
    }
}

/// The status as JSON: per round its goal, status, pairs, checkpoint and evaluated metrics
/// (accuracy per category), and the convergence.
func statusJSON(_ status: RoundsStatus) -> JSONValue {
    let categories = judgedCategories(status.rows)
    return .object([
        ("rounds", .array(status.rows.map { row in
            let m = row.evaluated ? row.checkpoint?.metrics ?? [:] : [:]
            func number(_ key: String) -> JSONValue { m[key].map(JSONValue.double) ?? .null }
            return .object([
                ("round", .int(row.round.number)), ("goal", .string(row.round.goal.label)), ("status", .string(row.round.status.rawValue)),
                ("pairs", .int(row.reviewedPairs)), ("pairs_total", .int(row.pairsTotal)), ("held_out_pairs", .int(row.heldOutPairs)),
                ("checkpoint", row.checkpoint.map { .int(Int($0.id!)) } ?? .null),
                ("preference_accuracy", number("preference_accuracy")), ("reward_margin", number("reward_margin")), ("kl", number("kl")),
                ("accuracy", .object(categories.compactMap { c in m["\(c)/accuracy"].map { (c, JSONValue.double($0)) } })),
                ("hallucination_rate", number("all/hallucination_rate")),
            ])
        })),
        ("converged", .bool(status.convergence.converged)), ("convergence", .string(status.convergence.reason)),
    ])
}
