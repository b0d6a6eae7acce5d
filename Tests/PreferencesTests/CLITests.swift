import Foundation
import GRDB
@testable import Preferences
import Interchange
import TestSupport
import Testing

/// Every workspace command, run through the built `vlm-align` on a fresh workspace.
@Suite(.timeLimit(.minutes(10))) struct CLITests {
    /// A folder with a model, two TRL files (5 and 3 pairs) and a prompt set.
    static func inputs() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        _ = try CheckpointTests.modelFolder("smol", in: folder)
        _ = try CheckpointTests.modelFolder("tuned", in: folder, seed: 9)
        try Fixtures.writeTRLFile(count: 5, in: folder, name: "pairs.jsonl")
        try Fixtures.writeTRLFile(count: 3, in: folder, name: "more.jsonl", seed: 1)
        _ = try PromptImportTests.writePromptSet(in: folder)
        return folder
    }

    @discardableResult
    static func succeeds(_ arguments: [String], in folder: URL? = nil) throws -> String {
        let result = try CLI.run(arguments, in: folder)
        #expect(result.status == 0, "vlm-align \(arguments.joined(separator: " ")): \(result.errors)")
        return result.output
    }

    /// Runs a command that must fail and returns what it printed on standard error.
    static func fails(_ arguments: [String], in folder: URL? = nil) throws -> String {
        let result = try CLI.run(arguments, in: folder)
        #expect(result.status != 0, "vlm-align \(arguments.joined(separator: " ")) succeeded: \(result.output)")
        return result.errors
    }

    @Test func initCreatesAWorkspaceWithItsFirstCheckpoint() throws {
        let folder = try Self.inputs()
        let ws = folder.appending("ws").path
        let output = try Self.succeeds(["init", ws, "--model", folder.appending("smol").path, "--kind", "sft"])
        #expect(output.contains("created workspace") && output.contains("registered checkpoint #1 \"smol\" (sft), current"))
        #expect(try Workspace.open(at: folder.appending("ws")).currentCheckpoint()?.kind == .sft)
        #expect(try Self.fails(["init", ws]).contains("is already a vlm-align workspace"))

        let missingModel = folder.appending("nomodel").path
        #expect(try Self.fails(["init", folder.appending("ws2").path, "--model", missingModel]).contains("\(missingModel): no such model folder"))
        #expect(!FileManager.default.fileExists(atPath: folder.appending("ws2").path))

        // No folder named: the current one.
        try FileManager.default.createDirectory(at: folder.appending("here"), withIntermediateDirectories: true)
        try Self.succeeds(["init"], in: folder.appending("here"))
        #expect(FileManager.default.fileExists(atPath: folder.appending("here/\(Workspace.databaseName)").path))
    }

    @Test func unreviewedPairsAreImportedWithoutVerdicts() throws {
        let folder = try Self.inputs()
        let ws = folder.appending("ws")
        try Self.succeeds(["init", ws.path])
        #expect(try Self.fails(["import", "pairs", "../pairs.jsonl", "--unreviewed", "--reviewer", "ana"], in: ws)
            .contains("--unreviewed records no verdicts; leave out --reviewer"))
        #expect(try Self.succeeds(["import", "pairs", "../pairs.jsonl", "--unreviewed"], in: ws).contains(
            "pairs.jsonl: 5 rows; added 5 images, 5 prompts, 10 candidates, 5 pairs\n"))
        #expect(try Workspace.open(at: ws).rowCounts()["comparison"] == 0)
    }

    @Test func importCommandsWorkInTheCurrentFolderOrTheNamedOne() throws {
        let folder = try Self.inputs()
        let ws = folder.appending("ws")
        try Self.succeeds(["init", ws.path, "--model", folder.appending("smol").path])
        // In the workspace folder, no --workspace needed.
        #expect(try Self.succeeds(["import", "pairs", "../pairs.jsonl"], in: ws).contains(
            "pairs.jsonl: 5 rows; added 5 images, 5 prompts, 10 candidates, 5 pairs, 5 verdicts"))
        #expect(try Self.succeeds(["import", "pairs", "../pairs.jsonl"], in: ws).contains("nothing new"))
        #expect(try Self.succeeds(["import", "pairs", folder.appending("more.jsonl").path, "--split", "held-out", "--workspace", ws.path])
            .contains("3 pairs"))
        #expect(try Self.succeeds(["import", "prompts", folder.appending("prompts.jsonl").path, "--workspace", ws.path])
            .contains("prompts.jsonl: 3 rows; added 3 images, 3 prompts"))
        let model = try Self.succeeds(["import", "model", folder.appending("tuned").path, "--workspace", ws.path, "--kind", "dpo",
                                       "--parent", "1", "--name", "first dpo", "--make-current"])
        #expect(model.contains("registered checkpoint #2 \"first dpo\" (dpo), current"))
        #expect(try Self.succeeds(["import", "model", folder.appending("tuned").path, "--workspace", ws.path]).contains("already registered as checkpoint #2"))

        let workspace = try Workspace.open(at: ws)
        #expect(try workspace.rowCounts()["pair"] == 8)
        #expect(try workspace.database.read { try Prompt.filter(Column("split") == "held-out").fetchCount($0) } == 4)

        // Bad input: the file and line, and nothing stored.
        let digest = try workspace.contentDigest()
        _ = try folder.write("{\"images\": [], \"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"images\": \n", to: "bad.jsonl")
        #expect(try Self.fails(["import", "pairs", "../bad.jsonl"], in: ws).contains("bad.jsonl:2: not valid JSON"))
        #expect(try Self.fails(["import", "pairs", "../pairs.jsonl", "--reviewer", "zed"], in: ws).contains("no reviewer named \"zed\""))
        #expect(try Self.fails(["import", "model", folder.appending("nothing").path], in: ws).contains("no such model folder"))
        #expect(try Self.fails(["import", "prompts", "../absent.jsonl"], in: ws).contains("absent.jsonl: no such file"))
        #expect(try workspace.contentDigest() == digest)
        #expect(try Self.fails(["import", "pairs", "pairs.jsonl"], in: folder.url).contains("is not a vlm-align workspace"))
    }

    @Test func checkpointCommands() throws {
        let folder = try Self.inputs()
        let ws = folder.appending("ws")
        try Self.succeeds(["init", ws.path, "--model", folder.appending("smol").path, "--kind", "sft"])
        try Self.succeeds(["import", "model", folder.appending("tuned").path, "--kind", "dpo", "--parent", "1", "--make-current"], in: ws)
        try Workspace.open(at: ws).recordMetrics(["preference_accuracy": 0.75, "kl": 0.02], forCheckpoint: 2)

        let list = try Self.succeeds(["checkpoints", "list"], in: ws).split(separator: "\n")
        #expect(list.count == 3 && list[1].hasPrefix("1   smol   sft") && list[2].hasPrefix("2   tuned  dpo   1") && list[2].hasSuffix("current"))
        let show = try Self.succeeds(["checkpoints", "show", "2"], in: ws)
        #expect(show.contains("checkpoint #2 \"tuned\" (current)") && show.contains("parent: #1") && show.contains("kl: 0.02"))
        #expect(try Self.succeeds(["checkpoints", "lineage"], in: ws) == """
            #1 smol (sft)
            └─ #2 tuned (dpo)  preference_accuracy 0.75  kl 0.02  ← current

            """)
        #expect(try Self.succeeds(["checkpoints", "rollback", "1"], in: ws).contains("current checkpoint is now #1 \"smol\""))
        #expect(try Self.succeeds(["checkpoints", "lineage"], in: ws).hasPrefix("#1 smol (sft)  ← current\n"))
        #expect(try Self.succeeds(["checkpoints", "list"], in: ws).split(separator: "\n").count == 3)

        let out = folder.appending("exported")
        #expect(try Self.succeeds(["checkpoints", "export", "2", "--out", out.path], in: ws).contains("(4 files)"))
        var exported = try CheckpointTests.files(under: out)
        #expect(exported.removeValue(forKey: Lineage.fileName) != nil, "the lineage comes along")
        #expect(exported == (try CheckpointTests.files(under: folder.appending("tuned"))))
        #expect(try Self.fails(["checkpoints", "show", "99"], in: ws).contains("no checkpoint with ID 99"))
        #expect(try Self.fails(["checkpoints", "rollback", "99"], in: ws).contains("no checkpoint with ID 99"))
        #expect(try Self.fails(["checkpoints", "export", "2", "--out", out.path], in: ws).contains("is not an empty folder"))
    }

    @Test func datasetCommands() throws {
        let folder = try Self.inputs()
        let ws = folder.appending("ws")
        try Self.succeeds(["init", ws.path])
        #expect(try Self.fails(["dataset", "freeze"], in: ws).contains("nothing to freeze"))
        try Self.succeeds(["import", "pairs", "../pairs.jsonl"], in: ws)
        let frozen = try Self.succeeds(["dataset", "freeze"], in: ws)
        #expect(frozen.hasPrefix("dataset version #1 ") && frozen.contains("5 pairs (5 train, 0 held-out) by majority verdict"))
        #expect(try Self.succeeds(["dataset", "freeze", "--policy", "unanimous"], in: ws).hasPrefix("unchanged: the resolved pairs are those of dataset version #1"))
        try Self.succeeds(["import", "pairs", "../more.jsonl", "--split", "held-out"], in: ws)
        #expect(try Self.succeeds(["dataset", "freeze", "--policy", "reliability-weighted"], in: ws).contains("8 pairs (5 train, 3 held-out)"))

        let list = try Self.succeeds(["dataset", "list"], in: ws).split(separator: "\n")
        #expect(list.count == 3 && list[1].contains("majority") && list[2].contains("reliability-weighted"))
        let show = try Self.succeeds(["dataset", "show", "2", "--limit", "2"], in: ws)
        #expect(show.contains("pairs: 8 (5 train, 3 held-out)") && show.contains("… 6 more"))
        #expect(show.contains("1     A       reviewers  How many shapes are in picture 0?"))
        let hash = try Workspace.open(at: ws).datasetVersion("1").contentHash
        #expect(try Self.succeeds(["dataset", "show", String(hash.prefix(10))], in: ws).contains("dataset version #1 \(hash)"))

        let diff = try Self.succeeds(["dataset", "diff", "1", "2"], in: ws)
        #expect(diff.hasPrefix("#1 → #2: 3 added, 0 removed, 0 flipped, 5 unchanged\n+ pair 6 (chosen A)\n+ pair 7 (chosen A)\n+ pair 8 (chosen A)"))

        let out = folder.appending("export")
        #expect(try Self.succeeds(["dataset", "export", "2", "--out", out.path], in: ws).contains("train.jsonl, held-out.jsonl, dataset.json"))
        #expect(try String(contentsOf: out.appending(path: "train.jsonl"), encoding: .utf8).split(separator: "\n").count == 5)
        #expect(try String(contentsOf: out.appending(path: "held-out.jsonl"), encoding: .utf8).split(separator: "\n").count == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.appending(path: "images").path).count == 8)

        #expect(try Self.fails(["dataset", "show", "9"], in: ws).contains("no dataset version with ID 9"))
        #expect(try Self.fails(["dataset", "diff", "1", "7"], in: ws).contains("no dataset version with ID 7"))
        #expect(try Self.fails(["dataset", "export", "1", "--out", out.path], in: ws).contains("is not an empty folder"))
        #expect(try Self.fails(["dataset", "freeze", "--policy", "loudest"], in: ws).contains("loudest"))
    }

    @Test func reviewerCommands() throws {
        let folder = try Self.inputs()
        let ws = folder.appending("ws")
        try Self.succeeds(["init", ws.path])
        let added = try Self.succeeds(["reviewers", "add", "ana"], in: ws)
        let token = String(added.split(separator: "\n").last!)
        #expect(added.hasPrefix("added reviewer #2 \"ana\" (reviewer)") && token.count == 64)
        #expect(try Workspace.open(at: ws).reviewer(token: token)?.name == "ana")
        try Self.succeeds(["reviewers", "add", "bo", "--admin"], in: ws)
        #expect(try Self.fails(["reviewers", "add", "bo"], in: ws).contains("a reviewer named \"bo\" already exists"))
        let list = try Self.succeeds(["reviewers", "list"], in: ws).split(separator: "\n")
        #expect(list.count == 4 && list[1].contains("imported  reviewer  no token") && list[3].contains("bo        admin     token     enabled"))

        // Two reviewers' verdicts on the same five pairs, two of them opposite.
        try Self.succeeds(["import", "pairs", "../pairs.jsonl"], in: ws)
        var (_, rows) = try Fixtures.writeTRLFile(count: 5, in: folder, name: "pairs.jsonl")
        for i in [1, 3] { rows[i] = TRLPreferenceRow(images: rows[i].images, prompt: rows[i].prompt, chosen: rows[i].rejected, rejected: rows[i].chosen) }
        try Fixtures.writeRows(rows, to: "ana.jsonl", in: folder)
        try Self.succeeds(["import", "pairs", "../ana.jsonl", "--reviewer", "ana"], in: ws)
        // κ by hand: agreement 3/5; imported said A five times, ana A three times and B twice: p_e = 1·3/5, κ = 0.
        let agreement = try Self.succeeds(["reviewers", "agreement"], in: ws)
        #expect(agreement.contains("imported  ana       5             0.000"))
        #expect(agreement.contains("2 conflicting pairs:\npair 2: imported a, ana b → unresolved\npair 4: imported a, ana b → unresolved"))

        #expect(try Self.succeeds(["reviewers", "disable", "ana"], in: ws).contains("reviewer \"ana\" is disabled"))
        #expect(try Workspace.open(at: ws).reviewer(token: token) == nil)
        #expect(try Self.fails(["import", "pairs", "../ana.jsonl", "--reviewer", "ana"], in: ws).contains("reviewer \"ana\" is disabled"))
        #expect(try Self.succeeds(["reviewers", "disable", "ana", "--undo"], in: ws).contains("reviewer \"ana\" is enabled"))
        #expect(try Self.fails(["reviewers", "disable", "cy"], in: ws).contains("no reviewer named \"cy\""))
    }
}
