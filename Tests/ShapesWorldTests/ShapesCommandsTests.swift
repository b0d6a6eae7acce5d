import ArgumentParser
import Foundation
import ShapesWorld
import Testing
@testable import vlm_align

/// The CLI's argument checks and error messages (commands parsed and run in-process).
@Suite(.timeLimit(.minutes(10))) struct ShapesCommandsTests {
    static func parseError(_ arguments: [String]) -> String? {
        do {
            _ = try VLMAlign.parseAsRoot(arguments)
            return nil
        } catch {
            return VLMAlign.message(for: error)
        }
    }

    @Test func badGenerateArgumentsAreRefused() {
        let cases: [([String], String)] = [
            (["shapes", "generate", "--seed", "1"], "--out"),
            (["shapes", "generate", "--out", "x"], "--seed"),
            (["shapes", "generate", "--out", "x", "--seed", "-1"], "Missing value for '--seed <seed>'"),
            (["shapes", "generate", "--out", "x", "--seed", "abc"], "'abc' is invalid for '--seed <seed>'"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--size", "50"], "multiple of 16"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--max-objects", "9"], "objects per scene must be 1 to 6"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--train-scenes", "0"], "train scenes must be at least 1"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--label-noise-added-object", "1.5"],
             "--label-noise-added-object must be a rate from 0 to 1, got 1.5"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--label-noise-near-miss-yes=-0.2"],
             "--label-noise-near-miss-yes must be a rate from 0 to 1, got -0.2"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--label-noise-count", "nan"],
             "--label-noise-count must be a rate from 0 to 1, got nan"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--label-noise", "web", "--label-noise-made-up", "2"],
             "--label-noise-made-up must be a rate from 0 to 1, got 2"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--label-noise", "crowd", "--label-noise-loose-box", "1.01"],
             "--label-noise-loose-box must be a rate from 0 to 1, got 1.01"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--label-noise-made-up", "lots"],
             "'lots' is invalid for '--label-noise-made-up"),
            (["shapes", "generate", "--out", "x", "--seed", "1", "--label-noise", "dirty"],
             "'dirty' is invalid for '--label-noise <label-noise>'"),
            (["shapes", "judge", "--world", "w"], "exactly one of --answers FILE and --pairs FILE"),
            (["shapes", "judge", "--world", "w", "--answers", "a", "--pairs", "p"], "exactly one of"),
        ]
        for (arguments, problem) in cases {
            let message = Self.parseError(arguments)
            #expect(message?.contains(problem) == true, "\(arguments): \(message ?? "accepted")")
        }
        #expect(Self.parseError(["shapes", "generate", "--out", "x", "--seed", "1", "--no-background-variation"]) == nil)
    }

    @Test func labelNoiseFlags() throws {
        func options(_ extra: [String]) throws -> WorldOptions {
            try #require(try VLMAlign.parseAsRoot(["shapes", "generate", "--out", "x", "--seed", "1"] + extra) as? ShapesGenerate).options
        }
        #expect(try options([]).labelNoise == .clean)
        #expect(try options(["--label-noise", "web"]).labelNoise
                == LabelNoise(addedObject: 0.6, nearMissYes: 0.6, countOffByOne: 0.3, madeUpAttribute: 0.6))
        #expect(try options(["--label-noise", "web", "--label-noise-count", "0.1"]).labelNoise
                == LabelNoise(addedObject: 0.6, nearMissYes: 0.6, countOffByOne: 0.1, madeUpAttribute: 0.6))
        #expect(try options(["--label-noise-added-object", "0.25", "--label-noise-near-miss-yes", "0.5",
                             "--label-noise-count", "1", "--label-noise-made-up", "0"]).labelNoise
                == LabelNoise(addedObject: 0.25, nearMissYes: 0.5, countOffByOne: 1, madeUpAttribute: 0))
        #expect(try options(["--label-noise", "crowd"]).labelNoise
                == LabelNoise(addedObject: 0.6, nearMissYes: 0.6, countOffByOne: 0.3, madeUpAttribute: 0.6,
                              mirroredSide: 0.6, neighbourAttribute: 0.6, looseBox: 0.6, missedObject: 0.6))
        #expect(try options(["--label-noise", "crowd", "--label-noise-mirrored-side", "0.1", "--label-noise-neighbour-attribute", "0.2",
                             "--label-noise-loose-box", "0.3", "--label-noise-missed-object", "0"]).labelNoise
                == LabelNoise(addedObject: 0.6, nearMissYes: 0.6, countOffByOne: 0.3, madeUpAttribute: 0.6,
                              mirroredSide: 0.1, neighbourAttribute: 0.2, looseBox: 0.3, missedObject: 0))
        // the pixel noise is its own flag, as before
        let pixels = try options(["--noise", "9", "--label-noise", "web"])
        #expect(pixels.style.noise == 9 && pixels.labelNoise == .web)
    }

    @Test func generateRefusesAFolderThatIsNotEmpty() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shapes-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("keep me".utf8).write(to: directory.appendingPathComponent("notes.txt"))
        var command = try #require(try VLMAlign.parseAsRoot(["shapes", "generate", "--out", directory.path, "--seed", "1"])
                                   as? ShapesGenerate)
        #expect { try command.run() } throws: { error in "\(error)".hasPrefix(directory.path + ": not empty") }
        command.out = directory.appendingPathComponent("world").path
        command.trainScenes = 2
        command.evalScenes = 1
        command.rounds = 1
        command.poolScenes = 1
        try command.run()
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("world/world.json").path))
    }

    @Test func judgeNamesTheUnreadableFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shapes-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let generate = try #require(try VLMAlign.parseAsRoot(["shapes", "generate", "--out", directory.path, "--seed", "3",
                                                              "--train-scenes", "2", "--eval-scenes", "1", "--rounds", "0"])
                                    as? ShapesGenerate)
        try generate.run()
        let answers = directory.appendingPathComponent("missing.jsonl").path
        var judge = try #require(try VLMAlign.parseAsRoot(["shapes", "judge", "--world", directory.path, "--answers", answers])
                                 as? ShapesJudge)
        #expect { try judge.run() } throws: { error in "\(error)" == answers + ": no such file" }
        let elsewhere = directory.appendingPathComponent("no-world").path
        judge = try #require(try VLMAlign.parseAsRoot(["shapes", "judge", "--world", elsewhere, "--pairs", answers]) as? ShapesJudge)
        #expect { try judge.run() } throws: { error in "\(error)".hasPrefix(elsewhere + "/world.json: cannot read") }
    }
}
