import Foundation
import Hummingbird
import Preferences

/// Finds who is asking: a bearer token (a reviewer's token) or the session cookie. Refuses
/// nothing itself; `RequireSignInMiddleware` does.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ReviewContext
    let store: Store
    let configuration: ServerConfiguration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            guard authorization.hasPrefix("Bearer ") else { throw HTTPError(.unauthorized, message: "the Authorization header takes a Bearer token") }
            let token = String(authorization.dropFirst("Bearer ".count))
            guard let reviewer = try await store.run({ try $0.reviewer(token: token) }) else {
                throw HTTPError(.unauthorized, message: "unknown or disabled token")
            }
            context.identity = Identity(reviewer: reviewer, session: nil)
        } else if let token = request.cookies[configuration.sessionCookieName]?.value,
                  let (session, reviewer) = try await store.run({ [limits = configuration.sessionLimits] in try $0.session(token: token, limits: limits) }) {
            context.identity = Identity(reviewer: reviewer, session: session)
        }
        return try await next(request, context)
    }
}
