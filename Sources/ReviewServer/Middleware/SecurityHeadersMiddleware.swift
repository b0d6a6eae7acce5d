import HTTPTypes
import Hummingbird

/// Headers every response carries, errors included: nothing but this server's own files may run
/// or load, no page may frame the app, and nothing is cached unless a route says otherwise
/// (images, named by their content, may be).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = ReviewContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        let headers: [(HTTPField.Name, String)] = [
            (.contentSecurityPolicy, "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
                + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
            (.xContentTypeOptions, "nosniff"),
            (HTTPField.Name("X-Frame-Options")!, "DENY"),
            (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
        ]
        for (name, value) in headers { response.headers[name] = value }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
