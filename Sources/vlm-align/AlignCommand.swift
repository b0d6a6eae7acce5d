import ArgumentParser
import Foundation
import Preferences
import Rounds
import Runs
import Training

struct AlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "The unattended loop: rounds of start, simulated review, train, eval and close (goals coverage, edge-cases, failures, convergence).")

    @OptionGroup var location: WorkspaceOption
    @Option(help: "Rounds to run.") var rounds = 4
    @Option(help: "The rounds' goals in turn, comma-separated; the last repeats.")
    var goals = "coverage,edge-cases,failures,convergence"
    @OptionGroup var start: RoundStartOptions
    @OptionGroup var simulate: SimulateOptions
    @OptionGroup var train: RoundTrainOptions
    @OptionGroup var eval: RoundEvalOptions

    func run() throws {
        var request = Alignment(simulation: try simulate.request())
        request.rounds = rounds
        request.goals = try goals.split(separator: ",").map { name in
            guard let goal = RoundGoal(label: String(name)) else {
                throw ValidationError("--goals \(goals): no goal \"\(name)\" (coverage, edge-cases, failures, convergence)")
            }
            return goal
        }
        request.training = try train.request()
        request.start = try start.request(goal: .coverage, beta: Double(request.training.dpo.beta))
        if request.goals.contains(.failureCluster) { request.start.encoder = try start.encoder.encoder() }
        request.evaluation = eval.request(world: simulate.world, beta: request.training.dpo.beta, maxNewTokens: start.maxNewTokens)
        let stop = StopSignal()
        stop.install()
        let progress = ProgressLine(json: false)
        var categories: [String]?
        let status = try AlignmentRounds.open(location).align(request, stop: stop) { event in
            switch event {
            case let .stage(round, text): print("round \(round) — \(text)")
            // every tenth of the run, and each evaluation
            case let .training(.step(report, isEval)) where isEval || report.step % max(report.totalSteps / 10, 1) == 0:
                progress.show(report, isEval: isEval)
            case .training: break
            case let .roundClosed(row, convergence):
                let names = categories ?? judgedCategories([row])
                categories = names
                print(table(roundHeader(categories: names), [roundRow(row, categories: names)]))
                print((convergence.converged ? "converged: " : "not converged: ") + convergence.reason)
            }
        }
        guard status.rows.last?.round.status == .done else {
            FileHandle.standardError.write(Data("stopped; see `vlm-align round status`, continue with `vlm-align round train --resume`\n".utf8))
            throw ExitCode(130)
        }
        print("")
        let names = judgedCategories(status.rows)
        print(table(roundHeader(categories: names), status.rows.map { roundRow($0, categories: names) }))
        print((status.convergence.converged ? "converged: " : "not converged: ") + status.convergence.reason)
    }
}
