import Foundation
import Hummingbird
import Preferences

struct FreezeRequest: Decodable, Sendable {
    var policy: ResolutionPolicy?
}

struct FreezeResponse: ResponseEncodable {
    var dataset: Dashboard.DatasetRow
    /// False when nothing changed since an earlier version, which is returned instead.
    var isNew: Bool
}

/// The dashboard's data and its one action, freezing a dataset version. Admins only.
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
            let policy = try await request.decode(as: FreezeRequest.self, context: context).policy ?? .majority
            let (version, isNew) = try await store.run { try $0.freezeDataset(policy: policy) }
            var response = try FreezeResponse(dataset: Dashboard.DatasetRow(version), isNew: isNew).response(from: request, context: context)
            response.status = isNew ? .created : .ok
            return response
        }
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
