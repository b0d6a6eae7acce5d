import HTTPTypes
import Hummingbird
import Preferences

/// Writes made with a session cookie must carry the session's CSRF token in `X-CSRF-Token`: a
/// page of another site can make the browser send the cookie, but cannot read the token.
/// Bearer-token requests are exempt: no browser attaches those on its own.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = ReviewContext
    static let headerName = HTTPField.Name("X-CSRF-Token")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if ![.get, .head].contains(request.method), let session = context.identity?.session {
            guard let sent = request.headers[Self.headerName], constantTimeEqual(sent, session.csrfToken) else {
                throw HTTPError(.forbidden, message: "missing or wrong X-CSRF-Token header")
            }
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference, so timing tells nothing of the token.
    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
