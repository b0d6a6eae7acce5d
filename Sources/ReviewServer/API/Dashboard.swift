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
        }

        var pairId: Int64
        var prompt: String
        /// The pair's candidates A and B, which the verdicts `a` and `b` name.
        var a: String
        var b: String
        var votes: [Vote]
        var resolved: Verdict?
    }

    struct DatasetRow: Encodable, Sendable {
        var id: Int64
        var contentHash: String
        var policy: ResolutionPolicy
        var pairCount: Int
        var trainCount: Int
        var heldOutCount: Int
        var createdAt: Date

        init(_ version: DatasetVersion) {
            id = version.id!
            contentHash = version.contentHash
            policy = version.policy
            pairCount = version.pairCount
            trainCount = version.trainCount
            heldOutCount = version.heldOutCount
            createdAt = version.createdAt
        }
    }

    /// The most conflicts listed; `conflictCount` says how many there are.
    static let conflictLimit = 100

    var overlap: Int
    var policy: ResolutionPolicy
    var totals: Totals
    var progress: [ReviewProgress]
    var reviewers: [ReviewerRow]
    var alpha: Double?
    var kappas: [Kappa]
    var conflictCount: Int
    var conflicts: [Conflict]
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
                               perHour: done.perHour, agreement: rates[reviewer.id!] ?? nil, lastComparisonAt: done.lastComparisonAt)
        }
        alpha = agreement.alpha
        kappas = agreement.kappas.map { Kappa(reviewers: [name($0.reviewerA), name($0.reviewerB)], sharedPairs: $0.sharedPairs, kappa: $0.kappa) }
        conflictCount = agreement.conflicts.count
        conflicts = try agreement.conflicts.prefix(Self.conflictLimit).map { conflict in
            let texts = try snapshot.texts(ofPair: conflict.pairID)
            return Conflict(pairId: conflict.pairID, prompt: texts.prompt, a: texts.a, b: texts.b,
                            votes: conflict.votes.map { Conflict.Vote(reviewer: name($0.reviewerID), verdict: $0.verdict) },
                            resolved: conflict.resolved)
        }
        datasets = try snapshot.datasetVersions().reversed().map(DatasetRow.init)
    }
}
