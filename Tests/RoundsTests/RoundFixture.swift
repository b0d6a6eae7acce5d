import Foundation
import GRDB
import Interchange
import JSON
import Preferences
import TestSupport
import Testing

/// A tiny ShapesWorld of the shipped base's image size, and workspaces whose first checkpoint is
/// that base (registered as SFT, so DPO may start from it): what the round tests run on.
enum RoundFixture {
    static let base = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../models/shapesworld-base").standardizedFileURL

    static let world: Result<URL, any Error> = Result {
        let dir = try CLI.temporaryDirectory().appendingPathComponent("world")
        try expectSuccess(["shapes", "generate", "--out", dir.path, "--seed", "3", "--train-scenes", "4", "--eval-scenes", "2",
                           "--pool-scenes", "3", "--rounds", "3"])
        return dir
    }

    /// A workspace with the base as its current checkpoint.
    static func workspace() throws -> URL {
        let ws = try CLI.temporaryDirectory().appendingPathComponent("ws")
        try expectSuccess(["init", ws.path])
        try expectSuccess(["import", "model", base.path, "--workspace", ws.path, "--kind", "sft", "--name", "base-as-sft"])
        return ws
    }

    /// `round start` of a round on pool 1 with pool 3 held out.
    static func startArguments(_ ws: URL, pairs: Int = 6) throws -> [String] {
        let world = try world.get()
        return ["round", "start", "--workspace", ws.path, "--prompts", world.appendingPathComponent("pools/round-1.jsonl").path,
                "--held-out", world.appendingPathComponent("pools/round-3.jsonl").path, "--pairs", "\(pairs)",
                "--max-new-tokens", "6", "--sample-seed", sampleSeed]
    }

    /// The base answers most of these prompts right, so most of a few pairs tie or are both cut
    /// short at 6 tokens (both bad); with this seed the reviewers resolve some to A or B, which
    /// `round train` needs.
    static let sampleSeed = "3"

    static func simulateArguments(_ ws: URL, reviewers: String = "careful:2,sloppy:1", overlap: Int = 2,
                                  extra: [String] = []) throws -> [String] {
        ["round", "simulate", "--workspace", ws.path, "--world", try world.get().path, "--reviewers", reviewers,
         "--overlap", "\(overlap)", "--review-seed", "9"] + extra
    }

    static func trainArguments(_ ws: URL, steps: Int = 2, extra: [String] = []) -> [String] {
        ["round", "train", "--workspace", ws.path, "--max-steps", "\(steps)", "--batch-size", "2", "--learning-rate", "1e-3",
         "--save-steps", "2", "--seed", "7"] + extra
    }

    static func evalArguments(_ ws: URL) throws -> [String] {
        let world = try world.get()
        return ["round", "eval", "--workspace", ws.path, "--eval-prompts", world.appendingPathComponent("eval/counting.jsonl").path,
                "--world", world.path, "--max-new-tokens", "6"]
    }

    @discardableResult
    static func expectSuccess(_ arguments: [String]) throws -> String {
        let result = try CLI.run(arguments)
        guard result.status == 0 else {
            throw CLIError("vlm-align \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.errors)")
        }
        return result.output
    }

    /// Runs a command that must be refused: its status, and its message on standard error.
    static func refusal(_ arguments: [String]) throws -> String {
        let result = try CLI.run(arguments)
        #expect(result.status != 0, "vlm-align \(arguments.joined(separator: " ")) should be refused: \(result.output)")
        return result.errors
    }

    /// Every table's rows: what a refused command must leave as it was.
    static func digest(_ ws: URL) throws -> String {
        try Workspace.open(at: ws).contentDigest()
    }

    static func status(_ ws: URL) throws -> JSONValue {
        try JSONValue(parsing: try expectSuccess(["round", "status", "--workspace", ws.path, "--json"]))
    }
}
