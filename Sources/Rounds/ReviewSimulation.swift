import Foundation
import Interchange
import Preferences
import ShapesWorld

/// `round simulate`: the ShapesWorld oracle behind simulated reviewers, writing the verdicts the
/// review app writes (one comparison per reviewer and pair, the side shown left, reason tags).
public struct ReviewSimulation: Sendable {
    /// The world the round's prompts come from (its `world.json` holds their truth).
    public var world: URL
    /// Reviewer profiles and how many reviewers of each (`careful:2,sloppy:1`).
    public var reviewers: [(profile: ReviewerProfile, count: Int)]
    /// Reviewers per pair.
    public var overlap = 1
    /// Who reviews the held-out pairs (nil: `reviewers`), and how many of them per pair (nil:
    /// `overlap`). The held-out pairs are the yardstick every round is measured with, reviewed
    /// once: a panel of its own, several to a pair, keeps label noise out of the measurement,
    /// so it shows what noise in the training pairs does to the model.
    public var heldOutReviewers: [(profile: ReviewerProfile, count: Int)]?
    public var heldOutOverlap: Int?
    public var seed: UInt64 = 0

    public init(world: URL, reviewers: [(profile: ReviewerProfile, count: Int)]) {
        self.world = world
        self.reviewers = reviewers
    }

    /// Parses `careful:2,sloppy:1` (a name alone is one reviewer; each name once).
    public static func parseReviewers(_ text: String) throws -> [(profile: ReviewerProfile, count: Int)] {
        let specs: [(profile: ReviewerProfile, count: Int)] = try text.split(separator: ",").map { item in
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard let profile = ReviewerProfile.named[parts[0]] else {
                throw RoundError("reviewers \(text): no reviewer profile \"\(parts[0])\" (known: \(ReviewerProfile.named.keys.sorted().joined(separator: ", ")))")
            }
            guard parts.count <= 2, let count = parts.count == 2 ? Int(parts[1]) : 1, count > 0 else {
                throw RoundError("reviewers \(text): \"\(item)\" is not NAME or NAME:COUNT with a positive count")
            }
            return (profile, count)
        }
        let names = specs.map(\.profile.name)
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw RoundError("reviewers \(text): \"\(twice)\" is named twice; give its count once (\(twice):N)")
        }
        return specs
    }
}

/// A panel of simulated reviewers taking turns (`AlignmentRounds.simulate`).
struct Rota {
    var reviewers: [(id: Int64, simulated: SimulatedReviewer)]
    var turn = 0
    /// Draws the side each pair is shown on.
    var rng: SeededGenerator
}

public struct SimulatedReviews: Sendable {
    public var round: Int
    public var comparisons: Int
    public var verdicts: [String: Int]
    /// Krippendorff's α over the round's pairs with two or more verdicts.
    public var alpha: Double?
}

extension AlignmentRounds {
    /// Reviews the open round's pairs: each pair gets verdicts until it has `overlap` (held-out
    /// pairs: `heldOutOverlap`), from its panel's reviewers taken in turn (`careful-1`,
    /// `careful-2`, `sloppy-1`, … created when missing).
    public func simulate(_ request: ReviewSimulation) throws -> SimulatedReviews {
        let round = try openRound(for: "review")
        guard round.status == .reviewing else {
            throw RoundError("round \(round.number) is past review (\(round.status.rawValue)): \(Workspace.stillOpen(round))")
        }
        func panel(_ specs: [(profile: ReviewerProfile, count: Int)]) -> [(name: String, profile: ReviewerProfile)] {
            specs.flatMap { spec in (1...spec.count).map { ("\(spec.profile.name)-\($0)", spec.profile) } }
        }
        let trainPanel = panel(request.reviewers), heldOutPanel = request.heldOutReviewers.map(panel)
        let heldOutGiven = request.heldOutReviewers == nil ? "--reviewers" : "--held-out-reviewers"
        let heldOutFlag = request.heldOutOverlap == nil ? "--held-out-overlap (default: --overlap)" : "--held-out-overlap"
        for (flag, overlap, size, given) in [("--overlap", request.overlap, trainPanel.count, "--reviewers"),
                                              (heldOutFlag, request.heldOutOverlap ?? request.overlap, (heldOutPanel ?? trainPanel).count,
                                               heldOutGiven)] {
            guard overlap >= 1 else { throw RoundError("\(flag) must be at least 1") }
            guard overlap <= size else { throw RoundError("\(flag) \(overlap) needs at least as many reviewers; \(given) gives \(size)") }
        }
        let world = try World.load(from: request.world)
        let details = try workspace.pairDetails(round: round.number)
        for detail in details where detail.prompt.externalId == nil {
            throw RoundError("prompt #\(detail.prompt.id!) has no ShapesWorld id: round simulate judges prompts of a world (round start --prompts WORLD/pools/round-N.jsonl)")
        }
        // A panel's reviewers are seeded by their place in it and take turns; its own generator
        // draws the side shown left. A held-out panel has its own stream, so the held-out verdicts
        // do not depend on who reviews the pairs trained on (one reviewer in both panels is one
        // workspace reviewer with two simulated streams).
        var known = Dictionary(try workspace.reviewers().map { ($0.name, $0.id!) }, uniquingKeysWith: { a, _ in a })
        func rota(_ members: [(name: String, profile: ReviewerProfile)], stream: UInt64) throws -> Rota {
            Rota(reviewers: try members.enumerated().map { i, member in
                let id = try known[member.name] ?? workspace.addReviewer(name: member.name).reviewer.id!
                known[member.name] = id
                return (id, SimulatedReviewer(profile: member.profile, seed: request.seed &+ UInt64(round.number) &* 1_000_003 &+ stream &+ UInt64(i)))
            }, rng: SeededGenerator(seed: request.seed &+ UInt64(round.number) &+ stream))
        }
        var rotas = [try rota(trainPanel, stream: 0)]
        if let heldOutPanel { rotas.append(try rota(heldOutPanel, stream: 1 << 32)) }
        let existing = Dictionary(grouping: try workspace.comparisons(), by: \.pairId)
        // who reviews what, with which answer on the left; then the oracle judges them all at once
        var planned: [(detail: PairDetail, rota: Int, member: Int, leftShown: Side)] = []
        for detail in details {
            let isHeldOut = detail.prompt.split == .heldOut
            let r = isHeldOut ? rotas.count - 1 : 0
            let votes = existing[detail.pair.id!] ?? []
            let voted = Set(votes.map(\.reviewerId))
            let overlap = isHeldOut ? request.heldOutOverlap ?? request.overlap : request.overlap
            var needed = overlap - votes.filter { $0.verdict != .skip }.count, tried = 0
            while needed > 0 && tried < rotas[r].reviewers.count {
                let member = rotas[r].turn % rotas[r].reviewers.count
                rotas[r].turn += 1
                tried += 1
                guard !voted.contains(rotas[r].reviewers[member].id) else { continue }
                planned.append((detail, r, member, rotas[r].rng.chance(0.5) ? .a : .b))
                needed -= 1
            }
        }
        let shownPairs = planned.map { plan in
            plan.leftShown == .a ? AnswerPairRecord(id: plan.detail.prompt.externalId!, a: plan.detail.a.text, b: plan.detail.b.text)
                : AnswerPairRecord(id: plan.detail.prompt.externalId!, a: plan.detail.b.text, b: plan.detail.a.text)
        }
        let truths = try world.compare(shownPairs, file: request.world.appending(path: "world.json").path).pairs
        var new: [NewComparison] = []
        for (index, (plan, truth)) in zip(planned, truths).enumerated() {
            let review = rotas[plan.rota].reviewers[plan.member].simulated.review(truth.comparison)
            let shown: ShownVerdict = switch review.verdict {
            case .a: .left
            case .b: .right
            case .tie: .tie
            case .bothBad: .bothBad
            case .skip: .skip
            }
            new.append(NewComparison(pairID: plan.detail.pair.id!, reviewerID: rotas[plan.rota].reviewers[plan.member].id,
                                     verdict: shown.verdict(leftShown: plan.leftShown), reasonTags: review.reasons.map(\.rawValue),
                                     leftShown: plan.leftShown))
            if (index + 1) % 100 == 0 || index + 1 == planned.count { report("reviewing")(index + 1, planned.count) }
        }
        try workspace.recordComparisons(new)
        let pairIDs = Set(details.map { $0.pair.id! })
        let votes = try workspace.votes().filter { pairIDs.contains($0.pairID) }
        return SimulatedReviews(round: round.number, comparisons: new.count,
                                verdicts: Dictionary(new.map { ($0.verdict.rawValue, 1) }, uniquingKeysWith: +),
                                alpha: AgreementReport(votes: votes, policy: .majority).alpha)
    }
}
