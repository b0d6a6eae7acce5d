import Hummingbird

/// Refuses a request whose declared body is larger than the app ever needs (413), before reading
/// it. Bodies without a declared length are capped the same when decoded (`maxUploadSize`).
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = ReviewContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > ReviewContext.maxBodyBytes {
            throw HTTPError(.contentTooLarge, message: "request body of \(length) bytes; the limit is \(ReviewContext.maxBodyBytes)")
        }
        return try await next(request, context)
    }
}
