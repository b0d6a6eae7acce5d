import Evaluation
import Foundation
import Interchange
import Preferences
import Training

/// What `round start` asks for.
public struct RoundStart: Sendable {
    public var goal: RoundGoal = .coverage
    /// Prompt pools imported (train split unless their rows say otherwise) before prompts are picked.
    public var promptFiles: [URL] = []
    /// Prompt pools imported as held-out: their pairs, made by the first round that has held-out
    /// prompts and reviewed once, are the expert pairs every round is evaluated on and none trains on.
    public var heldOutFiles: [URL] = []
    /// Train pairs to put up for review.
    public var pairs = 200
    public var sampling = CandidateSampling()
    /// Edge cases: candidate pairs sampled per pair kept.
    public var miningPool = 3
    /// β of the model's confidence `p` (edge cases) and of the failures' rewards.
    public var beta = 0.1
    /// Failures: clusters of the held-out failures the prompts are drawn like, and the sentence
    /// encoder that clusters them (token statistics without one).
    public var clusters = 6
    public var encoder: SentenceEncoder?

    public init() {}
}

public struct StartedRound: Sendable {
    public var round: Round
    public var pairs: Int
    public var heldOutPairs: Int
    /// How the prompts were chosen, for people.
    public var notes: [String]
}

extension AlignmentRounds {
    /// Opens the next round from the current checkpoint: imports the given prompt pools, samples
    /// pairs of different answers for the held-out prompts (once: the first round that has any)
    /// and for train prompts picked by the goal, and stores them for review in one transaction.
    public func start(_ request: RoundStart) throws -> StartedRound {
        guard request.sampling.samples >= 2 else { throw RoundError("--samples must be at least 2: a pair needs two answers") }
        guard request.pairs > 0 else { throw RoundError("--pairs must be positive") }
        if let open = try workspace.openRound() { throw RoundError(Workspace.stillOpen(open)) }
        guard let parent = try workspace.currentCheckpoint() else {
            throw RoundError("no current checkpoint to start a round from: import a model (`vlm-align import model`) first")
        }
        for file in request.promptFiles { try RoundPrompts.load(file, into: workspace) }
        for file in request.heldOutFiles { try RoundPrompts.load(file, split: .heldOut, into: workspace) }

        let model = try LoadedModel(folder(of: parent))
        var sampling = request.sampling
        let number = (try workspace.rounds().map(\.round.number).max() ?? 0) + 1
        // every round its own draws, the same for the same seed
        sampling.seed = request.sampling.seed &+ UInt64(number) &* 0x9E37_79B9_7F4A_7C15
        // held-out pairs are made once, by the first round that has held-out prompts: every round is
        // measured on the same pairs
        let hasHeldOutPairs = try workspace.pairDetails().contains { $0.prompt.split == .heldOut }
        let heldOutPrompts = hasHeldOutPairs ? [] : try workspace.unpairedPrompts(split: .heldOut)
        let heldOut = try sampling.pairs(heldOutPrompts, target: heldOutPrompts.count, from: model, workspace: workspace,
                                         progress: report("sampling held-out pairs"))
        let unasked = try workspace.unpairedPrompts(split: .train)
        var notes: [String] = []
        var picked: [SampledPair]
        var reason = PairReason.coverage
        switch request.goal {
        case .coverage:
            let order = RoundPrompts.stratified(unasked, count: unasked.count, seed: sampling.seed)
            picked = try sampling.pairs(order, target: request.pairs, from: model, workspace: workspace, progress: report("sampling pairs"))
            notes.append("prompts stratified over \(Set(unasked.map { $0.category ?? "" }).count) categories")
        case .convergence:
            // stratified as for coverage, but a category that fell below the model the rounds are
            // measured from takes one more turn per point it lost: the round repairs it and still
            // holds every other category's pairs (a round of one category undoes the others)
            let baseline = try evaluationReference(of: parent)
            let fallen = baseline.map { Regressions.fallen(parent.metrics, below: $0.metrics) } ?? []
            var weights = Dictionary(unasked.map { ($0.category ?? "", 1.0) }, uniquingKeysWith: { a, _ in a })
            for (category, points) in fallen where weights[category] != nil { weights[category]! += points }
            if let baseline, !fallen.isEmpty {
                notes.append("prompts stratified, with more turns for the categories below checkpoint #\(baseline.id!): "
                             + fallen.map { String(format: "%@ −%.1f points", $0.category, $0.points) }.joined(separator: ", "))
            } else {
                notes.append(String(format: "no category more than %g point below the rounds' reference: prompts stratified as for coverage",
                                    Regressions.tolerance))
            }
            let order = RoundPrompts.stratified(unasked, count: unasked.count, seed: sampling.seed, weights: weights)
            picked = try sampling.pairs(order, target: request.pairs, from: model, workspace: workspace, progress: report("sampling pairs"))
        case .edgeCases:
            let order = RoundPrompts.stratified(unasked, count: unasked.count, seed: sampling.seed)
            let pool = try sampling.pairs(order, target: request.pairs * max(request.miningPool, 1), from: model, workspace: workspace,
                                          progress: report("sampling candidate pairs"))
            let reference = try parent.parentId.map { folder(of: try workspace.checkpoint($0)) }
            let scorer = try RewardScorer(policy: folder(of: parent), reference: reference, beta: request.beta, batchSize: sampling.batchSize)
            let margins = try scorer.margins(pool.map { $0.row }, progress: report("scoring confidence"))
            let mined = zip(pool, margins).map { MinedPair(prompt: $0.prompt.text, a: $0.a, b: $0.b, p: RewardScorer.confidence($1)) }
            picked = Mining.pick(.uncertain, mined, k: request.pairs, seed: sampling.seed).map { pool[$0] }
            reason = .uncertainty
            notes.append("the \(picked.count) pairs with p closest to 0.5 of \(pool.count) sampled")
        case .failureCluster:
            let failures = try self.failures(clusters: request.clusters, beta: request.beta, encoder: request.encoder)
            let top = failures.clusters.prefix(3)
            var weights: [String: Double] = [:]
            for cluster in top { for (category, count) in cluster.categories { weights[category, default: 0] += Double(count) } }
            if weights.isEmpty { notes.append("no held-out failures to draw like: prompts stratified as for coverage") }
            else {
                notes.append("prompts drawn like the largest failure clusters: "
                             + weights.sorted { $0.value > $1.value }.map { "\($0.key) \(Int($0.value))" }.joined(separator: ", "))
            }
            // the failures' categories first; when they run out, the others as for coverage
            let like = RoundPrompts.stratified(unasked, count: unasked.count, seed: sampling.seed, weights: weights)
            let taken = Set(like.map(\.id))
            let order = like + RoundPrompts.stratified(unasked.filter { !taken.contains($0.id) }, count: unasked.count, seed: sampling.seed)
            picked = try sampling.pairs(order, target: request.pairs, from: model, workspace: workspace, progress: report("sampling pairs"))
            reason = .failureCluster
        }
        if picked.count < request.pairs {
            notes.append("\(picked.count) of the \(request.pairs) pairs asked for: the prompts not asked yet ran out or gave one answer")
        }
        guard !picked.isEmpty else {
            throw RoundError("no pair to review: \(unasked.isEmpty ? "every train prompt has been asked" : "the model gave the same answer every time it was asked") — import more prompts with `round start --prompts FILE`")
        }
        let round = try workspace.openRound(goal: request.goal, parentCheckpointID: parent.id!, sampling: sampling.record,
                                            pairs: heldOut.map { $0.stored(reason: .coverage) } + picked.map { $0.stored(reason: reason) })
        return StartedRound(round: round, pairs: picked.count, heldOutPairs: heldOut.count, notes: notes)
    }
}

extension SampledPair {
    /// As a preference row with A as the chosen answer (what `p` is the confidence of).
    var row: PreferenceDataset.Row {
        PreferenceDataset.Row(images: images, prompt: prompt.body, chosen: Self.body(a, like: prompt), rejected: Self.body(b, like: prompt))
    }
}
