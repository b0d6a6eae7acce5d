import Hummingbird
import Preferences

/// Who is asking. A browser signs in with a session cookie (and must send its CSRF token with
/// writes); an API client sends a reviewer's token as a bearer token.
struct Identity: Sendable {
    var reviewer: Reviewer
    /// Nil for bearer-token requests.
    var session: ReviewSession?
}

/// The request context of the review app: the signed-in reviewer, once authentication found one.
struct ReviewContext: RequestContext {
    /// Request bodies larger than this are refused (413) when decoded; `BodyLimitMiddleware`
    /// refuses larger declared bodies before that.
    static let maxBodyBytes = 16 * 1024

    var coreContext: CoreRequestContextStorage
    var identity: Identity?

    init(source: Source) {
        coreContext = .init(source: source)
    }

    var maxUploadSize: Int { Self.maxBodyBytes }

    /// The signed-in reviewer; routes behind `RequireSignInMiddleware` always have one.
    var reviewer: Reviewer {
        get throws {
            guard let identity else { throw HTTPError(.unauthorized, message: "sign in first") }
            return identity.reviewer
        }
    }
}
