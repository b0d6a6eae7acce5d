import Hummingbird

/// Lets only signed-in reviewers through: API requests without a valid session or token get 401,
/// pages send the browser to the sign-in page.
struct RequireSignInMiddleware: RouterMiddleware {
    typealias Context = ReviewContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.identity == nil else { return try await next(request, context) }
        if request.uri.path.hasPrefix("/api/") { throw HTTPError(.unauthorized, message: "sign in first") }
        return .redirect(to: "/login")
    }
}
