import Foundation
import Hummingbird
import Interchange
import Preferences

struct FreezeRequest: Decodable, Sendable {
    var policy: ResolutionPolicy?
    /// Reviewers below this gold accuracy (a fraction) are dropped or down-weighted (`belowGold`, default drop).
    var minGoldAccuracy: Double?
    var belowGold: BelowGold?
}

/// An admin's decision on a pair, about its candidates (`a`, `b`, `tie`, `both-bad`).
struct AdjudicationRequest: Decodable, Sendable {
    var pairId: Int64
    var verdict: Verdict
    var reason: String
}

/// A pair's known verdict, about its candidates.
struct GoldRequest: Decodable, Sendable {
    var pairId: Int64
    var verdict: Verdict
}

struct FreezeResponse: ResponseEncodable {
    var dataset: Dashboard.DatasetRow
    /// False when nothing changed since an earlier version, which is returned instead.
    var isNew: Bool
}

struct GoldResponse: ResponseEncodable {
    var pairId: Int64
    var verdict: Verdict
}

/// The dashboard's data and its actions: freezing a dataset version, adjudicating a pair, marking
/// a gold pair. Admins only.
struct AdminRoutes {
    let store: Store
    let configuration: ServerConfiguration

    func add(to group: RouterGroup<ReviewContext>) {
        let overlap = configuration.overlap
        group.get("/api/admin/dashboard") { request, _ in
            let policy = try Self.policy(request)
            return try await store.run { workspace in try workspace.readReview { try Dashboard($0, overlap: overlap, policy: policy) } }
        }
        group.post("/api/admin/datasets") { request, context in
            let freeze = try await request.decode(as: FreezeRequest.self, context: context)
            let rule = freeze.minGoldAccuracy.map { GoldRule(minAccuracy: $0, belowGold: freeze.belowGold ?? .drop) }
            if let rule, !(0...1).contains(rule.minAccuracy) {
                throw HTTPError(.badRequest, message: "minGoldAccuracy is a fraction from 0 to 1, not \(rule.minAccuracy)")
            }
            let (version, isNew) = try await store.run { try $0.freezeDataset(policy: freeze.policy ?? .majority, gold: rule) }
            var response = try FreezeResponse(dataset: Dashboard.DatasetRow(version), isNew: isNew).response(from: request, context: context)
            response.status = isNew ? .created : .ok
            return response
        }
        group.post("/api/admin/adjudications") { request, context in
            let admin = try context.reviewer
            let decision = try await request.decode(as: AdjudicationRequest.self, context: context)
            try Self.judges(decision.verdict)
            let adjudication = try await store.run { try $0.adjudicate(pairID: decision.pairId, verdict: decision.verdict, reason: decision.reason, by: admin.id!) }
            var response = try Dashboard.AdjudicationRow(adjudication, adjudicator: admin.name).response(from: request, context: context)
            response.status = .created
            return response
        }
        group.post("/api/admin/gold") { request, context in
            let admin = try context.reviewer.id!
            let mark = try await request.decode(as: GoldRequest.self, context: context)
            try Self.judges(mark.verdict)
            let gold = try await store.run { try $0.markGold(pairID: mark.pairId, verdict: mark.verdict, by: admin) }
            return GoldResponse(pairId: gold.pairId, verdict: gold.verdict)
        }
    }

    /// Refuses a skip where a verdict must judge the pair.
    static func judges(_ verdict: Verdict) throws {
        guard verdict != .skip else { throw HTTPError(.badRequest, message: "the verdict is a, b, tie or both-bad here, not skip") }
    }

    /// The `policy` query parameter (majority when absent).
    static func policy(_ request: Request) throws -> ResolutionPolicy {
        guard let name = request.uri.queryParameters["policy"] else { return .majority }
        guard let policy = ResolutionPolicy(rawValue: String(name)) else {
            throw HTTPError(.badRequest, message: "policy is majority, unanimous or reliability-weighted, not \"\(name)\"")
        }
        return policy
    }
}
