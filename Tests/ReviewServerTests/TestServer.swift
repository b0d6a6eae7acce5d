import Foundation
import Hummingbird
import Preferences
@testable import ReviewServer
import ServiceLifecycle

/// A fresh folder under the system's temporary folder, removed when released.
final class TemporaryFolder: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "vlm-align-review-\(UUID().uuidString)", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The smallest valid PNG: one white pixel.
let onePixelPNG = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC")!

/// A review app on a new workspace with `pairs` pairs (prompts alternate between the categories
/// counting and colour), an admin "root" and reviewers, listening on 127.0.0.1 at a free port.
struct TestServer: Sendable {
    /// Holds the workspace; removed when the last copy of the server value goes.
    let folder: TemporaryFolder
    let workspace: Workspace
    let base: URL
    let tokens: [String: String]

    /// Runs `body` against a running server, then stops it. `configure` changes the server's
    /// configuration beyond where it listens, the overlap and the hold.
    static func with<T: Sendable>(pairs: Int, reviewers: [String] = ["ana", "bo"], overlap: Int = 2, hold: TimeInterval = 300,
                                  configure: (inout ServerConfiguration) -> Void = { _ in }, errorLog: ErrorLog = .standardError,
                                  _ body: @Sendable (TestServer) async throws -> T) async throws -> T {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.url.appending(path: "ws"))
        for i in 0..<pairs {
            let prompt = try workspace.addPrompt(images: [onePixelPNG], body: .plain("Question \(i)?"), category: i % 2 == 0 ? "counting" : "colour")
            let a = try workspace.addCandidate(promptID: prompt.id!, body: .plain("first answer \(i)"))
            let b = try workspace.addCandidate(promptID: prompt.id!, body: .plain("second answer \(i)"))
            try workspace.addPair(a.id!, b.id!, reason: .coverage)
        }
        var tokens = ["root": try workspace.addReviewer(name: "root", role: .admin).token]
        for name in reviewers { tokens[name] = try workspace.addReviewer(name: name).token }

        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, overlap: overlap, hold: hold)
        configure(&configuration)
        let app = ReviewApp.make(workspace: workspace, configuration: configuration, errorLog: errorLog) { portSink.yield($0) }
        let services = ServiceGroup(configuration: .init(services: [app], logger: app.logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            guard let port = await ports.first(where: { _ in true }) else { throw TestError("the server did not start") }
            let server = TestServer(folder: folder, workspace: workspace, base: URL(string: "http://127.0.0.1:\(port)")!, tokens: tokens)
            do {
                let result = try await body(server)
                await services.triggerGracefulShutdown()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }

    func client(signedInAs name: String) async throws -> Client {
        var client = Client(base: base)
        try await client.signIn(token: tokens[name]!)
        return client
    }

    func bearer(_ name: String) -> Client {
        Client(base: base, bearerToken: tokens[name]!)
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
