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
    /// It takes JSON only: a form on another site can post text/plain, URL-encoded or multipart
    /// bodies without the browser asking this server first, and must not sign anyone in.
    func addPublic(to router: Router<ReviewContext>) {
        router.post("/api/login") { request, context in
            guard let type = request.headers[.contentType], Self.isJSON(type) else {
                throw HTTPError(.unsupportedMediaType, message: "sign in with a JSON body (Content-Type: application/json)")
            }
            let login = try await request.decode(as: LoginRequest.self, context: context)
            let limits = configuration.sessionLimits
            let opened = try await store.run { workspace -> (String, ReviewSession, Reviewer)? in
                guard let reviewer = try workspace.reviewer(token: login.token) else { return nil }
                let (token, session) = try workspace.openSession(reviewerID: reviewer.id!, limits: limits)
                return (token, session, reviewer)
            }
            guard let (token, session, reviewer) = opened else { throw HTTPError(.unauthorized, message: "unknown or disabled token") }
            var response = try SessionResponse(reviewer: reviewer.name, role: reviewer.role, csrfToken: session.csrfToken)
                .response(from: request, context: context)
            response.setCookie(cookie(token, maxAge: Int(limits.lifetime)))
            return response
        }
    }

    func addSignedIn(to group: RouterGroup<ReviewContext>) {
        group.get("/api/session") { _, context in
            SessionResponse(reviewer: try context.reviewer.name, role: try context.reviewer.role, csrfToken: context.identity?.session?.csrfToken)
        }
        group.post("/api/logout") { request, _ in
            if let token = request.cookies[configuration.sessionCookieName]?.value {
                try await store.run { try $0.closeSession(token: token) }
            }
            var response = Response(status: .noContent)
            response.setCookie(cookie("", maxAge: 0))
            return response
        }
    }

    /// The session cookie: sent only to this server, only in same-site requests, never readable
    /// by scripts; over HTTPS only, and settable by no other host, when `usesSecureCookies`.
    func cookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: configuration.sessionCookieName, value: value, maxAge: maxAge, path: "/", secure: configuration.usesSecureCookies,
               httpOnly: true, sameSite: .strict)
    }

    /// `application/json`, with or without parameters such as a charset.
    static func isJSON(_ contentType: String) -> Bool {
        contentType.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }
}
