import Foundation
import Preferences

/// The API's replies, as a client decodes them.
struct NextPairReply: Decodable {
    var pair: ShownPair?
    var progress: ReviewerProgress
}

struct VerdictReply: Decodable {
    var outcome: String
    var progress: ReviewerProgress
}

struct UndoReply: Decodable {
    var pairId: Int64
    var verdict: ShownVerdict
}

/// A verdict as the page sends it.
struct VerdictBody: Encodable {
    struct Scores: Encodable {
        var accuracy: Int?
        var grounding: Int?
    }

    struct Rubric: Encodable {
        var left: Scores?
        var right: Scores?
    }

    var pairId: Int64
    var verdict: String
    var reasonTags: [String]? = nil
    var rubric: Rubric? = nil
}

/// The parts of `GET /api/admin/dashboard` the tests read.
struct DashboardReply: Decodable {
    struct Totals: Decodable, Equatable {
        var pairs: Int
        var complete: Int
        var verdicts: Int
    }

    struct Progress: Decodable {
        var category: String?
    }

    struct Kappa: Decodable {
        var reviewers: [String]
        var sharedPairs: Int
    }

    struct Reviewer: Decodable {
        var name: String
        var comparisons: Int
    }

    struct Conflict: Decodable {
        struct Vote: Decodable, Equatable {
            var reviewer: String
            var verdict: String
        }

        var pairId: Int64
        var votes: [Vote]
    }

    var totals: Totals
    var progress: [Progress]
    var kappas: [Kappa]
    var alpha: Double?
    var reviewers: [Reviewer]
    var conflictCount: Int
    var conflicts: [Conflict]
}
