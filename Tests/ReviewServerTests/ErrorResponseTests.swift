import Foundation
import Preferences
@testable import ReviewServer
import Synchronization
import Testing

/// Errors answer with the security headers and tell the client nothing about the server.
@Suite(.timeLimit(.minutes(10))) struct ErrorResponseTests {
    struct InternalError: Decodable {
        struct Detail: Decodable {
            var message: String
            var id: String
        }

        var error: Detail
    }

    @Test func anUnexpectedErrorIsAGeneric500WithAnID() async throws {
        let logged = LoggedLines()
        try await TestServer.with(pairs: 1, errorLog: ErrorLog { line in logged.lines.withLock { $0.append(line) } }) { server in
            let ana = try await server.client(signedInAs: "ana")
            // An image whose file went missing: reading it fails in a way no route expects.
            let image = try server.workspace.images(ofPrompt: 1)[0].sha256
            try FileManager.default.removeItem(at: server.workspace.blobURL(image))
            let reply = try await ana.get("/api/images/\(image)")
            #expect(reply.status == 500)
            #expect(reply.header("Content-Security-Policy")?.contains("default-src 'self'") == true)
            #expect(reply.header("X-Content-Type-Options") == "nosniff" && reply.header("Cache-Control") == "no-store")
            let body = try reply.decode(InternalError.self)
            #expect(body.error.message == "internal error" && !body.error.id.isEmpty)
            #expect(!reply.text.contains(server.workspace.root.path) && !reply.text.contains(image))
            // The details are in the server's log, under the ID the client got.
            let lines = logged.lines.withLock { $0 }
            #expect(lines.count == 1)
            #expect(lines.first.map { $0.hasPrefix("error \(body.error.id): GET /api/images/\(image): ") && $0.contains(image) } == true)
        }
    }

    final class LoggedLines: Sendable {
        let lines = Mutex<[String]>([])
    }

    @Test func clientErrorsCarryTheSecurityHeaders() async throws {
        try await TestServer.with(pairs: 1) { server in
            for reply in [try await Client(base: server.base).get("/no/such/page"), try await Client(base: server.base).get("/api/session")] {
                #expect(reply.status >= 400 && reply.status < 500)
                #expect(reply.header("Content-Security-Policy")?.contains("default-src 'self'") == true)
                #expect(reply.header("X-Frame-Options") == "DENY" && reply.header("Cache-Control") == "no-store")
            }
        }
    }
}
