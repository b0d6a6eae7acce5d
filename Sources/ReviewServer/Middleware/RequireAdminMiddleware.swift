import Hummingbird
import Preferences

/// Admin routes: reviewers who are not admins get 403.
struct RequireAdminMiddleware: RouterMiddleware {
    typealias Context = ReviewContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard try context.reviewer.role == .admin else { throw HTTPError(.forbidden, message: "admins only") }
        return try await next(request, context)
    }
}
