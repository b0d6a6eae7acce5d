import Foundation
import Preferences
@testable import ReviewServer
import Testing

/// Who may reach what: sign-in, roles, CSRF, images by content ID, body limits.
@Suite(.timeLimit(.minutes(10))) struct SecurityTests {
    @Test func everythingButSignInNeedsASessionOrToken() async throws {
        try await TestServer.with(pairs: 1) { server in
            let anonymous = Client(base: server.base)
            for page in ["/", "/review", "/admin"] {
                let reply = try await anonymous.get(page)
                #expect(reply.status == 303 && reply.header("Location") == "/login", "\(page)")
            }
            let image = try server.workspace.images(ofPrompt: 1)[0].sha256
            for path in ["/api/session", "/api/admin/dashboard", "/api/images/\(image)"] {
                let reply = try await anonymous.get(path)
                #expect(reply.status == 401 && reply.errorMessage == "sign in first", "\(path)")
            }
            for path in ["/api/pairs/next", "/api/verdicts", "/api/verdicts/undo", "/api/logout", "/api/admin/datasets"] {
                #expect(try await anonymous.post(path).status == 401, "\(path)")
            }
            // The sign-in page and its two files are public; a wrong token signs nobody in.
            for path in ["/login", "/assets/app.css", "/assets/app.js"] { #expect(try await anonymous.get(path).status == 200, "\(path)") }
            let wrong = try await anonymous.post("/api/login", json: ["token": String(repeating: "0", count: 64)])
            #expect(wrong.status == 401 && wrong.header("Set-Cookie") == nil)
            #expect(try await Client(base: server.base, bearerToken: "nope").get("/api/session").status == 401)
        }
    }

    @Test func sessionCookieIsHttpOnlyStrictAndEndsOnSignOutOrDisable() async throws {
        try await TestServer.with(pairs: 1) { server in
            let login = try await Client(base: server.base).post("/api/login", json: ["token": server.tokens["ana"]!])
            let cookie = try #require(login.header("Set-Cookie"))
            #expect(cookie.hasPrefix("vlm_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            #expect(login.header("Content-Security-Policy")?.contains("default-src 'self'") == true)
            #expect(login.header("Cache-Control") == "no-store")

            let ana = try await server.client(signedInAs: "ana")
            #expect(try await ana.get("/api/session").decode(Client.Session.self).reviewer == "ana")
            #expect(try await ana.post("/api/logout").status == 204)
            #expect(try await ana.get("/api/session").status == 401)

            let bo = try await server.client(signedInAs: "bo")
            try server.workspace.setReviewer(named: "bo", disabled: true)
            #expect(try await bo.get("/api/session").status == 401)
            #expect(try await server.bearer("bo").get("/api/session").status == 401)
        }
    }

    @Test func onlyAdminsReachAdminRoutes() async throws {
        try await TestServer.with(pairs: 2) { server in
            for reviewer in [try await server.client(signedInAs: "ana"), server.bearer("ana")] {
                #expect(try await reviewer.get("/admin").status == 403)
                #expect(try await reviewer.get("/api/admin/dashboard").status == 403)
                let freeze = try await reviewer.post("/api/admin/datasets", json: ["policy": "majority"])
                #expect(freeze.status == 403 && freeze.errorMessage == "admins only")
                #expect(try await reviewer.get("/review").status == 200)
            }
            #expect(try server.workspace.datasetVersions().isEmpty)
            let root = try await server.client(signedInAs: "root")
            #expect(try await root.get("/admin").status == 200)
            #expect(try await root.get("/api/admin/dashboard").status == 200)
        }
    }

    @Test func writesWithASessionNeedTheCSRFToken() async throws {
        try await TestServer.with(pairs: 2) { server in
            let ana = try await server.client(signedInAs: "ana")
            let missing = try await ana.post("/api/pairs/next", csrf: .some(nil))
            #expect(missing.status == 403 && missing.errorMessage == "missing or wrong X-CSRF-Token header")
            let other = try await server.client(signedInAs: "bo")
            #expect(try await ana.post("/api/pairs/next", csrf: other.csrfToken).status == 403)
            #expect(try await ana.post("/api/logout", csrf: .some(nil)).status == 403)
            #expect(try await ana.get("/api/session").status == 200)
            // Nothing was handed out by the refused requests.
            #expect(try await server.workspace.database.read { try Assignment.fetchCount($0) } == 0)
            #expect(try await ana.post("/api/pairs/next").status == 200)
            // A bearer token is not sent by browsers on their own, so it needs no CSRF token.
            #expect(try await server.bearer("bo").post("/api/pairs/next").status == 200)
            // The review page carries the token for its script.
            #expect(try await ana.get("/review").text.contains(#"<meta name="csrf-token" content="\#(ana.csrfToken!)">"#))
        }
    }

    @Test func imagesAreServedByContentIDOnly() async throws {
        try await TestServer.with(pairs: 1) { server in
            let ana = try await server.client(signedInAs: "ana")
            let id = try server.workspace.images(ofPrompt: 1)[0].sha256
            let image = try await ana.get("/api/images/\(id)")
            #expect(image.status == 200 && image.header("Content-Type") == "image/png" && image.body == onePixelPNG)
            for bad in ["..%2F..%2Fworkspace.sqlite", id.uppercased(), String(id.dropLast()), id + "0", String(repeating: "g", count: 64)] {
                let reply = try await ana.get("/api/images/\(bad)")
                #expect(reply.status == 400, "\(bad)")
            }
            let unknown = try await ana.get("/api/images/\(String(repeating: "ab", count: 32))")
            #expect(unknown.status == 404 && unknown.errorMessage == "no image with ID \(String(repeating: "ab", count: 32))")
        }
    }

    @Test func requestBodiesAreSizeLimited() async throws {
        try await TestServer.with(pairs: 1) { server in
            let ana = try await server.client(signedInAs: "ana")
            _ = try await ana.post("/api/pairs/next")
            let padding = String(repeating: "x", count: ReviewContext.maxBodyBytes)
            let big = try await ana.post("/api/verdicts", json: ["pairId": "1", "verdict": "left", "padding": padding])
            #expect(big.status == 413)
            #expect(try server.workspace.comparisons(ofPair: 1).isEmpty)
            let login = try await Client(base: server.base).post("/api/login", json: ["token": padding])
            #expect(login.status == 413)
        }
    }
}
