import Interchange

/// Inter-rater agreement statistics over nominal categories.
public enum Agreement {
    /// Cohen's κ for two raters who each rated the same items: (p_o − p_e) / (1 − p_e). Nil with
    /// no items, or when chance agreement is certain (both raters used one and the same category).
    public static func cohensKappa<Category: Hashable>(_ ratings: [(Category, Category)]) -> Double? {
        guard !ratings.isEmpty else { return nil }
        let n = Double(ratings.count)
        let observed = Double(ratings.filter { $0.0 == $0.1 }.count) / n
        let first = Dictionary(grouping: ratings, by: \.0).mapValues { Double($0.count) / n }
        let second = Dictionary(grouping: ratings, by: \.1).mapValues { Double($0.count) / n }
        let chance = first.reduce(0) { $0 + $1.value * (second[$1.key] ?? 0) }
        guard chance < 1 else { return nil }
        return (observed - chance) / (1 - chance)
    }

    /// Krippendorff's α for nominal data. Each unit lists the values it received (missing ratings
    /// left out); units with fewer than two values are not pairable and do not count. Computed
    /// from the coincidence matrix: α = 1 − (n − 1) Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k. Nil when fewer
    /// than two values are pairable or only one category occurs.
    public static func krippendorffAlpha<Category: Hashable>(units: [[Category]]) -> Double? {
        var coincidences: [Category: [Category: Double]] = [:]
        for values in units where values.count >= 2 {
            let weight = 1 / Double(values.count - 1)
            for i in values.indices {
                for j in values.indices where j != i { coincidences[values[i], default: [:]][values[j], default: 0] += weight }
            }
        }
        let marginals = coincidences.mapValues { $0.values.reduce(0, +) }
        let n = marginals.values.reduce(0, +)
        var disagreeing = 0.0, expected = 0.0
        for (c, row) in coincidences {
            for (k, count) in row where k != c { disagreeing += count }
            for (k, total) in marginals where k != c { expected += marginals[c]! * total }
        }
        guard n > 1, expected > 0 else { return nil }
        return 1 - (n - 1) * disagreeing / expected
    }
}

/// How far a workspace's reviewers agree, and where they do not.
public struct AgreementReport: Sendable {
    public struct PairwiseKappa: Sendable {
        public var reviewerA: Int64
        public var reviewerB: Int64
        /// Pairs both compared (skips left out).
        public var sharedPairs: Int
        public var kappa: Double?
    }

    public struct ReviewerAgreement: Sendable {
        public var reviewer: Int64
        /// Their verdicts on pairs that at least one other reviewer compared and that resolved.
        public var compared: Int
        /// How many of those match the resolved verdict.
        public var agreed: Int
        public var rate: Double? { compared == 0 ? nil : Double(agreed) / Double(compared) }
    }

    public struct Conflict: Sendable {
        public var pairID: Int64
        public var votes: [Vote]
        /// What the policy made of it, if anything.
        public var resolved: Verdict?
    }

    public var policy: ResolutionPolicy
    public var kappas: [PairwiseKappa]
    /// Over every pair with two or more verdicts.
    public var alpha: Double?
    public var reviewers: [ReviewerAgreement]
    /// Pairs whose verdicts differ, in pair order.
    public var conflicts: [Conflict]

    public init(votes allVotes: [Vote], policy: ResolutionPolicy) {
        let votes = allVotes.filter { $0.verdict != .skip }
        let resolved = Resolution.resolve(votes, policy: policy)
        let byPair = Dictionary(grouping: votes, by: \.pairID)
        let verdictOf = Dictionary(votes.map { ([$0.pairID, $0.reviewerID], $0.verdict) }, uniquingKeysWith: { _, last in last })
        let reviewerIDs = Set(votes.map(\.reviewerID)).sorted()
        let pairsOf = Dictionary(grouping: votes, by: \.reviewerID).mapValues { Set($0.map(\.pairID)) }

        self.policy = policy
        kappas = []
        for (i, a) in reviewerIDs.enumerated() {
            for b in reviewerIDs[(i + 1)...] {
                let shared = pairsOf[a]!.intersection(pairsOf[b]!).sorted()
                guard !shared.isEmpty else { continue }
                let ratings = shared.map { (verdictOf[[$0, a]]!, verdictOf[[$0, b]]!) }
                kappas.append(PairwiseKappa(reviewerA: a, reviewerB: b, sharedPairs: shared.count, kappa: Agreement.cohensKappa(ratings)))
            }
        }
        alpha = Agreement.krippendorffAlpha(units: byPair.values.map { $0.map(\.verdict) })
        reviewers = reviewerIDs.map { reviewer in
            var agreement = ReviewerAgreement(reviewer: reviewer, compared: 0, agreed: 0)
            for pair in pairsOf[reviewer]! where byPair[pair]!.count >= 2 {
                guard let verdict = resolved[pair] ?? nil else { continue }
                agreement.compared += 1
                if verdictOf[[pair, reviewer]] == verdict { agreement.agreed += 1 }
            }
            return agreement
        }
        conflicts = byPair.filter { Set($0.value.map(\.verdict)).count > 1 }.keys.sorted().map { pair in
            Conflict(pairID: pair, votes: byPair[pair]!.sorted { $0.reviewerID < $1.reviewerID }, resolved: resolved[pair] ?? nil)
        }
    }
}
