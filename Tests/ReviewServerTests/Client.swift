import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP client for the tests: real requests over loopback, cookies and redirects handled by
/// hand so the tests see exactly what the server sends.
struct Client: Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(type, from: body)
        }

        /// The `error.message` of an error reply.
        var errorMessage: String? {
            struct Failure: Decodable { struct Error: Decodable { var message: String }; var error: Error }
            return try? decode(Failure.self).error.message
        }

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Stops URLSession from following redirects, so tests see them.
    private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 60
        return URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }()

    let base: URL
    var bearerToken: String?
    var sessionCookie: String?
    var csrfToken: String?

    init(base: URL, bearerToken: String? = nil) {
        self.base = base
        self.bearerToken = bearerToken
    }

    /// Signs in through `POST /api/login` and keeps the session cookie and CSRF token.
    mutating func signIn(token: String) async throws {
        let reply = try await post("/api/login", json: ["token": token])
        guard reply.status == 200, let cookie = reply.header("Set-Cookie")?.split(separator: ";").first else {
            throw TestError("sign-in failed: \(reply.status) \(reply.text)")
        }
        sessionCookie = String(cookie)
        csrfToken = try reply.decode(Session.self).csrfToken
    }

    struct Session: Decodable {
        var reviewer: String
        var role: String
        var csrfToken: String?
    }

    func get(_ path: String) async throws -> Reply {
        try await send("GET", path)
    }

    /// A POST with a JSON body (`{}` when none is given) and, when signed in, the CSRF token.
    func post(_ path: String, json: some Encodable = [String: String](), csrf: String?? = nil) async throws -> Reply {
        try await send("POST", path, body: try JSONEncoder().encode(json), csrf: csrf ?? csrfToken)
    }

    func send(_ method: String, _ path: String, body: Data? = nil, csrf: String? = nil,
              headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: URL(string: path, relativeTo: base)!)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let bearerToken { request.setValue("Bearer \(bearerToken)", forHTTPHeaderField: "Authorization") }
        if let sessionCookie { request.setValue(sessionCookie, forHTTPHeaderField: "Cookie") }
        if let csrf { request.setValue(csrf, forHTTPHeaderField: "X-CSRF-Token") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for case let (name as String, value as String) in http.allHeaderFields { fields[name] = value }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }
}
