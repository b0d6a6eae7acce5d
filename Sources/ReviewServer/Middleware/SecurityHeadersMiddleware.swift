import HTTPTypes
import Hummingbird

/// The body of an unexpected error's response: nothing about the server, only an ID to find the
/// details under in its log.
struct InternalErrorResponse: ResponseEncodable {
    struct Detail: Encodable {
        var message = "internal error"
        var id: String
    }

    var error: Detail
}

/// Headers every response carries, errors included: nothing but this server's own files may run
/// or load, no page may frame the app, and nothing is cached unless a route says otherwise
/// (images, named by their content, may be). Client errors (4xx) answer with their message; any
/// other error becomes a generic 500 whose details go to `log`.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = ReviewContext

    let log: ErrorLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError where (400..<500).contains(error.status.code) {
            response = try error.response(from: request, context: context)
        } catch {
            let id = String(UInt64.random(in: .min ... .max), radix: 16)
            log.write("error \(id): \(request.method) \(request.uri.path): \(String(reflecting: error))")
            response = try InternalErrorResponse(error: .init(id: id)).response(from: request, context: context)
            response.status = .internalServerError
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
