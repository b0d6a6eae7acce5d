import Foundation
import GRDB
import Preferences
@testable import ReviewServer
import Testing

/// How sign-ins start and end: JSON-only login, secure cookies beyond loopback, sessions ended by
/// disabling the reviewer or by going unused.
@Suite(.timeLimit(.minutes(10))) struct SessionTests {
    @Test func cookiesAreSecureUnlessServedOnLoopbackOnly() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] {
            #expect(!ServerConfiguration(host: host).usesSecureCookies, "\(host)")
            #expect(ServerConfiguration(host: host).sessionCookieName == "vlm_session")
        }
        for host in ["0.0.0.0", "192.168.1.20", "review.example.org", "::", "127.0.0.1.example.org"] {
            #expect(ServerConfiguration(host: host).usesSecureCookies, "\(host)")
            #expect(ServerConfiguration(host: host).sessionCookieName == "__Host-vlm_session")
        }
        #expect(!ServerConfiguration(host: "0.0.0.0", secureCookies: false).usesSecureCookies)
        #expect(ServerConfiguration(host: "127.0.0.1", secureCookies: true).usesSecureCookies)
    }

    @Test func secureCookiesAreHostPrefixedAndSecure() async throws {
        try await TestServer.with(pairs: 1, configure: { $0.secureCookies = true }) { server in
            let login = try await Client(base: server.base).post("/api/login", json: ["token": server.tokens["ana"]!])
            let cookie = try #require(login.header("Set-Cookie"))
            #expect(cookie.hasPrefix("__Host-vlm_session=") && cookie.contains("Secure") && cookie.contains("Path=/"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Domain"))
            var ana = try await server.client(signedInAs: "ana")
            #expect(try await ana.get("/api/session").status == 200)
            // The same token under the plain name is not this server's cookie.
            let signedIn = ana
            ana.sessionCookie = ana.sessionCookie?.replacingOccurrences(of: "__Host-vlm_session=", with: "vlm_session=")
            #expect(try await ana.get("/api/session").status == 401)
            let logout = try await signedIn.post("/api/logout")
            #expect(logout.status == 204 && logout.header("Set-Cookie")?.hasPrefix("__Host-vlm_session=;") == true)
        }
    }

    @Test func onLoopbackTheCookieIsPlain() async throws {
        try await TestServer.with(pairs: 1) { server in
            let login = try await Client(base: server.base).post("/api/login", json: ["token": server.tokens["ana"]!])
            let cookie = try #require(login.header("Set-Cookie"))
            #expect(cookie.hasPrefix("vlm_session=") && !cookie.contains("Secure"))
        }
    }

    @Test func aSessionLeftUnusedEnds() async throws {
        // How each use extends a session is the store's (PreferencesTests); here, that the server
        // applies its idle time.
        try await TestServer.with(pairs: 1, configure: { $0.sessionIdle = 0.3 }) { server in
            let ana = try await server.client(signedInAs: "ana")
            let session = try #require(try await server.workspace.database.read { try ReviewSession.fetchOne($0) })
            #expect(abs(session.expiresAt.timeIntervalSince(session.createdAt) - 0.3) < 0.01)
            try await Task.sleep(for: .seconds(1))
            #expect(try await ana.get("/api/session").status == 401)
        }
    }

    @Test func loginTakesOnlyJSON() async throws {
        try await TestServer.with(pairs: 1) { server in
            let body = try JSONEncoder().encode(["token": server.tokens["ana"]!])
            // What a form on another site can send without a preflight: it must sign nobody in.
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                let reply = try await Client(base: server.base).send("POST", "/api/login", body: body, headers: ["Content-Type": type])
                #expect(reply.status == 415 && reply.header("Set-Cookie") == nil, "\(type)")
            }
            let json = try await Client(base: server.base).send("POST", "/api/login", body: body,
                                                                headers: ["Content-Type": "application/json; charset=utf-8"])
            #expect(json.status == 200 && json.header("Set-Cookie") != nil)
        }
    }

    @Test func disablingAReviewerEndsTheirSessionsForGood() async throws {
        try await TestServer.with(pairs: 1) { server in
            let bo = try await server.client(signedInAs: "bo")
            try server.workspace.setReviewer(named: "bo", disabled: true)
            try server.workspace.setReviewer(named: "bo", disabled: false)
            // Enabled again, Bo signs in anew: the session from before stays ended.
            #expect(try await bo.get("/api/session").status == 401)
            #expect(try await server.client(signedInAs: "bo").get("/api/session").status == 200)
        }
    }
}
