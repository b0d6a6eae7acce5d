import Foundation
import Hummingbird
import Preferences

struct LoginRequest: Decodable {
    /// The token `vlm-align reviewers add` printed.
    var token: String
}

/// Who is signed in, and the CSRF token their writes must carry (nil for bearer-token clients,
/// which need none).
struct SessionResponse: ResponseEncodable {
    var reviewer: String
    var role: Role
    var csrfToken: String?
}

/// Signing in and out.
struct SessionRoutes {
    let store: Store
    let configuration: ServerConfiguration

    /// `POST /api/login`: the one route besides the sign-in page and its files that needs no session.
    func addPublic(to router: Router<ReviewContext>) {
        router.post("/api/login") { request, context in
            let login = try await request.decode(as: LoginRequest.self, context: context)
            let lifetime = configuration.sessionLifetime
            let opened = try await store.run { workspace -> (String, ReviewSession, Reviewer)? in
                guard let reviewer = try workspace.reviewer(token: login.token) else { return nil }
                let (token, session) = try workspace.openSession(reviewerID: reviewer.id!, lifetime: lifetime)
                return (token, session, reviewer)
            }
            guard let (token, session, reviewer) = opened else { throw HTTPError(.unauthorized, message: "unknown or disabled token") }
            var response = try SessionResponse(reviewer: reviewer.name, role: reviewer.role, csrfToken: session.csrfToken)
                .response(from: request, context: context)
            response.setCookie(Self.cookie(token, maxAge: Int(lifetime)))
            return response
        }
    }

    func addSignedIn(to group: RouterGroup<ReviewContext>) {
        group.get("/api/session") { _, context in
            SessionResponse(reviewer: try context.reviewer.name, role: try context.reviewer.role, csrfToken: context.identity?.session?.csrfToken)
        }
        group.post("/api/logout") { request, _ in
            if let token = request.cookies[AuthenticationMiddleware.cookieName]?.value {
                try await store.run { try $0.closeSession(token: token) }
            }
            var response = Response(status: .noContent)
            response.setCookie(Self.cookie("", maxAge: 0))
            return response
        }
    }

    /// The session cookie: sent only to this server, only in same-site requests, never readable
    /// by scripts.
    static func cookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: AuthenticationMiddleware.cookieName, value: value, maxAge: maxAge, path: "/", httpOnly: true, sameSite: .strict)
    }
}
