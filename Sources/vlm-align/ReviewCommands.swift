import ArgumentParser
import Foundation
import Preferences
import ReviewServer

struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The reviewers' web app, and what it shows: guidelines, rubric and reason tags.",
        subcommands: [ReviewServe.self, ReviewGuidelines.self, ReviewVocabularyCommand.self])
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

    @Option(help: "Share of each reviewer's pairs that are gold pairs, mixed in unmarked (0 to 1).")
    var goldRate = 0.1

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
        guard (0...1).contains(goldRate) else { throw ValidationError("--gold-rate is 0 to 1") }
    }

    /// Serves until SIGINT or SIGTERM. The CLI's root command is synchronous, so this waits for
    /// the server's task.
    func run() throws {
        let workspace = try location.open()
        let configuration = ServerConfiguration(host: host, port: port, overlap: overlap, hold: holdMinutes * 60, goldRate: goldRate,
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

struct ReviewGuidelines: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guidelines", abstract: "The review guidelines (Markdown) shown beside every pair.",
        subcommands: [SetGuidelines.self, ShowGuidelines.self])
}

struct SetGuidelines: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set the workspace's guidelines from a Markdown file; a heading named as a reason tag is where that tag links.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The Markdown file.")
    var file: String

    func run() throws {
        try location.open().setReviewGuidelines(from: URL(filePath: file))
        print("guidelines set from \(file); reviewers see them on their next page load")
    }
}

struct ShowGuidelines: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the workspace's guidelines.")

    @OptionGroup var location: WorkspaceOption

    func run() throws {
        print(try location.open().reviewGuidelines() ?? "no guidelines; set them with `vlm-align review guidelines set FILE`")
    }
}

struct ReviewVocabularyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocabulary", abstract: "The rubric's dimensions and the reason tags reviewers mark.",
        subcommands: [SetVocabulary.self, ShowVocabulary.self])
}

struct SetVocabulary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: #"Set them from a JSON file: {"rubric": [{"id", "label"}], "reasonTags": [{"id", "label", "key", "guidelines"?}]}."#)

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The JSON file; a key left out keeps the standard rubric or tags.")
    var file: String

    func run() throws {
        let vocabulary = try location.open().setReviewVocabulary(from: URL(filePath: file))
        print("rubric: \(vocabulary.rubric.map(\.id).joined(separator: ", "))\nreason tags: "
              + vocabulary.reasonTags.map { "\($0.id) (\($0.key))" }.joined(separator: ", "))
    }
}

struct ShowVocabulary: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print them as the JSON `set` takes.")

    @OptionGroup var location: WorkspaceOption

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(try location.open().reviewVocabulary()), as: UTF8.self))
    }
}
