import Foundation
import Preferences
import Runs
import Training

/// `vlm-align align`: rounds unattended — start, simulated review, train, evaluate, close — with
/// the goals in turn (by default coverage, edge cases, failures, convergence), the last one for
/// every later round.
public struct Alignment: Sendable {
    public var rounds = 4
    public var goals: [RoundGoal] = [.coverage, .edgeCases, .failureCluster, .convergence]
    public var start = RoundStart()
    public var simulation: ReviewSimulation
    public var training = RoundTraining()
    public var evaluation = RoundEvaluation()

    public init(simulation: ReviewSimulation) { self.simulation = simulation }
}

/// A stage of the loop, as it begins.
public enum AlignmentEvent {
    case stage(round: Int, String)
    case training(RunEvent)
    case roundClosed(RoundsStatus.Row, Convergence)
}

extension AlignmentRounds {
    /// Runs `rounds` rounds from the current checkpoint (the prompt pools imported by the first).
    /// Returns the status at the end; stops early, with the round left where it is, when `stop` asks.
    public func align(_ request: Alignment, stop: StopSignal? = nil, events: (AlignmentEvent) -> Void) throws -> RoundsStatus {
        guard !request.goals.isEmpty else { throw RoundError("--goals names no goal") }
        for index in 0..<request.rounds {
            var start = request.start
            start.goal = request.goals[min(index, request.goals.count - 1)]
            if index > 0 {
                start.promptFiles = []
                start.heldOutFiles = []
            }
            let number = (try workspace.rounds().map(\.round.number).max() ?? 0) + 1
            events(.stage(round: number, "start (\(start.goal.label)): sampling pairs from the current checkpoint"))
            let started = try self.start(start)
            for note in started.notes { events(.stage(round: number, note)) }
            events(.stage(round: number, "review: \(started.pairs) pairs and \(started.heldOutPairs) held-out pairs by simulated reviewers"))
            _ = try simulate(request.simulation)
            events(.stage(round: number, "train: DPO from checkpoint #\(started.round.parentCheckpointId)"))
            let trained = try train(request.training, stop: stop) { events(.training($0)) }
            guard trained.outcome == .finished else { return try status() }
            events(.stage(round: number, "eval: held-out expert pairs and prompts"))
            _ = try evaluate(request.evaluation)
            _ = try close()
            let status = try status()
            events(.roundClosed(status.rows.last { $0.round.number == number }!, status.convergence))
        }
        return try status()
    }
}
