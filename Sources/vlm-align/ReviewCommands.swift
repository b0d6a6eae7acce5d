import ArgumentParser
import Foundation
import Preferences
import ReviewServer

struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The reviewers' web app.",
        subcommands: [ReviewServe.self])
}

struct ReviewServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the review app on the workspace; reviewers sign in with the token `reviewers add` printed.")

    @OptionGroup var location: WorkspaceOption

    @Option(help: "Address to listen on (127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "Reviewers per pair.")
    var overlap = 2

    @Option(help: "Minutes a handed-out pair stays reserved for its reviewer.")
    var holdMinutes = 5.0

    @Option(help: "Minutes a sign-in lasts unused (it lasts 12 hours at most).")
    var sessionIdleMinutes = 60.0

    @Flag(inversion: .prefixedNo,
          help: "Secure, __Host- session cookies (HTTPS only). Default: on unless --host is a loopback address.")
    var secureCookies: Bool?

    func validate() throws {
        guard overlap >= 1 else { throw ValidationError("--overlap is at least 1") }
        guard (0...65535).contains(port) else { throw ValidationError("--port is 0 to 65535") }
        guard holdMinutes > 0 else { throw ValidationError("--hold-minutes is more than 0") }
        guard sessionIdleMinutes > 0 else { throw ValidationError("--session-idle-minutes is more than 0") }
    }

    /// Serves until SIGINT or SIGTERM. The CLI's root command is synchronous, so this waits for
    /// the server's task.
    func run() throws {
        let workspace = try location.open()
        let configuration = ServerConfiguration(host: host, port: port, overlap: overlap, hold: holdMinutes * 60,
                                                sessionIdle: sessionIdleMinutes * 60, secureCookies: secureCookies)
        let (host, overlap) = (host, overlap)
        let app = ReviewApp.make(workspace: workspace, configuration: configuration) { port in
            // Unbuffered, so a script reading the port sees it at once.
            FileHandle.standardOutput.write(Data(
                "review app on http://\(host):\(port)/ (workspace \(workspace.root.path), \(overlap) reviewers per pair); Ctrl-C stops it\n".utf8))
        }
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: (any Error)?
        Task {
            do { try await app.runService() } catch { failure = error }
            finished.signal()
        }
        finished.wait()
        if let failure { throw failure }
    }
}
