import Foundation
import Hummingbird
import Interchange
import Preferences

/// Everything the admin dashboard shows, as `GET /api/admin/dashboard` returns it.
struct Dashboard: ResponseEncodable, Sendable {
    struct Totals: Encodable, Sendable {
        var pairs: Int
        var complete: Int
        var verdicts: Int
    }

    struct ReviewerRow: Encodable, Sendable {
        var name: String
        var role: Role
        var disabled: Bool
        var comparisons: Int
        var skips: Int
        var lastHour: Int
        var medianSeconds: Double?
        /// Comparisons per hour of time spent on them.
        var perHour: Double?
        /// Share of their verdicts on pairs others also compared that match the resolved verdict.
        var agreement: Double?
        var lastComparisonAt: Date?
        /// Their accuracy on gold pairs; nil when they judged none.
        var gold: GoldRow?
    }

    /// A reviewer's verdicts on gold pairs (skips left out), how many match the gold verdict, and
    /// the share with its 95% Wilson interval.
    struct GoldRow: Encodable, Sendable {
        var answered: Int
        var correct: Int
        var accuracy: Double
        var low: Double
        var high: Double

        init?(_ gold: GoldAccuracy?) {
            guard let gold, let rate = gold.rate, let interval = gold.interval else { return nil }
            (answered, correct, accuracy, low, high) = (gold.answered, gold.correct, rate, interval.lowerBound, interval.upperBound)
        }
    }

    /// An admin's decision on a pair.
    struct AdjudicationRow: ResponseEncodable, Sendable {
        var pairId: Int64
        var verdict: Verdict
        var reason: String
        var adjudicator: String
        var decidedAt: Date

        init(_ adjudication: Adjudication, adjudicator: String) {
            (pairId, verdict, reason, decidedAt) = (adjudication.pairId, adjudication.verdict, adjudication.reason, adjudication.decidedAt)
            self.adjudicator = adjudicator
        }
    }

    /// A verdict that came with a comment.
    struct CommentRow: Encodable, Sendable {
        var pairId: Int64
        var reviewer: String
        var verdict: Verdict
        var comment: String
        var at: Date
    }

    struct Kappa: Encodable, Sendable {
        var reviewers: [String]
        var sharedPairs: Int
        var kappa: Double?
    }

    struct Conflict: Encodable, Sendable {
        struct Vote: Encodable, Sendable {
            var reviewer: String
            var verdict: Verdict
            var comment: String?
        }

        var pairId: Int64
        var prompt: String
        /// The pair's candidates A and B, which the verdicts `a` and `b` name.
        var a: String
        var b: String
        var votes: [Vote]
        var resolved: Verdict?
        /// An admin's decision, which wins in `dataset freeze`.
        var adjudication: AdjudicationRow?
    }

    struct DatasetRow: Encodable, Sendable {
        var id: Int64
        var contentHash: String
        var policy: ResolutionPolicy
        var pairCount: Int
        var trainCount: Int
        var heldOutCount: Int
        var createdAt: Date
        var adjudicatedCount: Int
        var goldCount: Int
        var minGoldAccuracy: Double?
        var belowGold: BelowGold?
        var belowGoldReviewers: Int

        init(_ version: DatasetVersion) {
            id = version.id!
            contentHash = version.contentHash
            policy = version.policy
            pairCount = version.pairCount
            trainCount = version.trainCount
            heldOutCount = version.heldOutCount
            createdAt = version.createdAt
            adjudicatedCount = version.adjudicatedCount
            goldCount = version.goldCount
            minGoldAccuracy = version.minGoldAccuracy
            belowGold = version.belowGold
            belowGoldReviewers = version.belowGoldReviewers.count
        }
    }

    /// The most conflicts listed; `conflictCount` says how many there are.
    static let conflictLimit = 100
    /// The most comments listed, newest first; `commentCount` says how many there are.
    static let commentLimit = 50

    var overlap: Int
    var policy: ResolutionPolicy
    var totals: Totals
    var progress: [ReviewProgress]
    var reviewers: [ReviewerRow]
    var alpha: Double?
    var kappas: [Kappa]
    var conflictCount: Int
    var conflicts: [Conflict]
    var goldPairs: Int
    var commentCount: Int
    var comments: [CommentRow]
    var datasets: [DatasetRow]

    /// The dashboard of one snapshot: a reviewer who signs up and votes meanwhile is in every part
    /// of it or in none.
    init(_ snapshot: ReviewSnapshot, overlap: Int, policy: ResolutionPolicy = .majority, now: Date = Date()) throws {
        let reviewers = try snapshot.reviewers()
        let names = Dictionary(uniqueKeysWithValues: reviewers.map { ($0.id!, $0.name) })
        // Every vote's reviewer is in the same snapshot; the fallback only keeps a bug from crashing the server.
        func name(_ id: Int64) -> String { names[id] ?? "reviewer \(id)" }
        let agreement = AgreementReport(votes: try snapshot.votes(), policy: policy)
        let rates = Dictionary(uniqueKeysWithValues: agreement.reviewers.map { ($0.reviewer, $0.rate) })
        let gold = Dictionary(uniqueKeysWithValues: try snapshot.goldAccuracy().map { ($0.reviewerId, $0) })
        let adjudications = Dictionary(uniqueKeysWithValues: try snapshot.adjudications().map { ($0.pairId, AdjudicationRow($0, adjudicator: name($0.adjudicatorId))) })
        let (commented, commentCount) = try snapshot.commented(limit: Self.commentLimit)
        let activity = Dictionary(uniqueKeysWithValues: try snapshot.activity(since: now.addingTimeInterval(-3600)).map { ($0.reviewerId, $0) })

        self.overlap = overlap
        self.policy = policy
        progress = try snapshot.progress(overlap: overlap)
        totals = Totals(pairs: progress.map(\.pairs).reduce(0, +), complete: progress.map(\.complete).reduce(0, +),
                        verdicts: progress.map(\.verdicts).reduce(0, +))
        // Everyone who can sign in, and whoever else has verdicts (such as the importing reviewer).
        self.reviewers = reviewers.compactMap { reviewer in
            guard let done = activity[reviewer.id!], reviewer.tokenHash != nil || done.comparisons > 0 else { return nil }
            return ReviewerRow(name: reviewer.name, role: reviewer.role, disabled: reviewer.disabled, comparisons: done.comparisons,
                               skips: done.skips, lastHour: done.recent, medianSeconds: done.medianTimeMs.map { Double($0) / 1000 },
                               perHour: done.perHour, agreement: rates[reviewer.id!] ?? nil, lastComparisonAt: done.lastComparisonAt,
                               gold: GoldRow(gold[reviewer.id!]))
        }
        alpha = agreement.alpha
        kappas = agreement.kappas.map { Kappa(reviewers: [name($0.reviewerA), name($0.reviewerB)], sharedPairs: $0.sharedPairs, kappa: $0.kappa) }
        conflictCount = agreement.conflicts.count
        // What needs a decision first: conflicts the policy leaves unresolved, then resolved ones, adjudicated ones last.
        func rank(_ conflict: AgreementReport.Conflict) -> Int { adjudications[conflict.pairID] != nil ? 2 : conflict.resolved == nil ? 0 : 1 }
        let ordered = agreement.conflicts.sorted { (rank($0), $0.pairID) < (rank($1), $1.pairID) }.prefix(Self.conflictLimit)
        let comments = Dictionary(uniqueKeysWithValues: try snapshot.commented(onPairs: ordered.map(\.pairID))
            .map { ([$0.pairId, $0.reviewerId], $0.comment ?? "") })
        conflicts = try ordered.map { conflict in
            let texts = try snapshot.texts(ofPair: conflict.pairID)
            return Conflict(pairId: conflict.pairID, prompt: texts.prompt, a: texts.a, b: texts.b,
                            votes: conflict.votes.map { Conflict.Vote(reviewer: name($0.reviewerID), verdict: $0.verdict,
                                                                      comment: comments[[$0.pairID, $0.reviewerID]]) },
                            resolved: conflict.resolved, adjudication: adjudications[conflict.pairID])
        }
        goldPairs = try snapshot.goldPairCount()
        self.commentCount = commentCount
        self.comments = commented.map { CommentRow(pairId: $0.pairId, reviewer: name($0.reviewerId), verdict: $0.verdict, comment: $0.comment ?? "", at: $0.createdAt) }
        datasets = try snapshot.datasetVersions().reversed().map(DatasetRow.init)
    }
}
