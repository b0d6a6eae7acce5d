import Foundation
import GRDB
import Interchange
@testable import Preferences
import Testing

@Suite(.timeLimit(.minutes(10))) struct CheckpointTests {
    /// A small Hugging Face model folder; `seed` varies the weights.
    static func modelFolder(_ name: String, in folder: TemporaryFolder, seed: UInt8 = 0) throws -> URL {
        let url = folder.appending(name)
        _ = try folder.write(#"{"model_type": "idefics3", "scale_factor": 4}"#, to: "\(name)/config.json")
        _ = try folder.write(#"{"version": "1.0"}"#, to: "\(name)/tokenizer.json")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0) &+ seed }).write(to: url.appending(path: "model.safetensors"))
        return url
    }

    static func files(under url: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: url.path) {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.appending(path: path).path, isDirectory: &isFolder), !isFolder.boolValue {
                files[path] = try Data(contentsOf: url.appending(path: path))
            }
        }
        return files
    }

    @Test func registeringCopiesTheFolderAndTheFirstBecomesCurrent() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let model = try Self.modelFolder("smol", in: folder)
        let (checkpoint, isNew) = try workspace.registerCheckpoint(NewCheckpoint(folder: model, kind: .sft))
        #expect(isNew && checkpoint.name == "smol" && checkpoint.kind == .sft && checkpoint.parentId == nil)
        #expect(try workspace.currentCheckpoint()?.id == checkpoint.id)
        let copied = try Self.files(under: workspace.root.appending(path: checkpoint.folder))
        #expect(copied == (try Self.files(under: model)))
        // No staging folder is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.checkpointsFolder.path) == [String(checkpoint.folder.dropFirst(12))])

        let digest = try workspace.contentDigest()
        let again = try workspace.registerCheckpoint(NewCheckpoint(folder: model, name: "other name", kind: .base))
        #expect(!again.isNew && again.checkpoint.id == checkpoint.id)
        #expect(try workspace.contentDigest() == digest)
    }

    @Test func lineageRollbackAndTheNextRoundBranchingFromTheRolledBackCheckpoint() throws {
        let folder = try TemporaryFolder()
        let (workspace, _) = try DatasetTests.reviewedWorkspace(in: folder)
        let version = try workspace.freezeDataset(policy: .majority).version
        let sft = try workspace.registerCheckpoint(NewCheckpoint(folder: try Self.modelFolder("sft", in: folder), kind: .sft)).checkpoint
        let round1 = try workspace.startRound(goal: .coverage)
        #expect(round1.number == 1 && round1.parentCheckpointId == sft.id && round1.status == .generating)
        let dpo1 = try workspace.registerCheckpoint(
            NewCheckpoint(folder: try Self.modelFolder("dpo1", in: folder, seed: 1), kind: .dpo, parentID: sft.id, round: 1,
                          datasetVersionID: version.id, trainingConfig: #"{"beta": 0.1, "lora": {"r": 16}}"#,
                          metrics: ["preference_accuracy": 0.71, "reward_margin": 0.8, "kl": 0.03]),
            makeCurrent: .trained).checkpoint
        #expect(try workspace.currentCheckpoint()?.id == dpo1.id)
        try workspace.setStatus(.done, ofRound: 1)
        let round2 = try workspace.startRound(goal: .edgeCases)
        let dpo2 = try workspace.registerCheckpoint(
            NewCheckpoint(folder: try Self.modelFolder("dpo2", in: folder, seed: 2), kind: .dpo, parentID: dpo1.id, round: round2.number,
                          datasetVersionID: version.id),
            makeCurrent: .trained).checkpoint

        // Roll back to the SFT checkpoint: nothing is deleted, the next round branches from it.
        try workspace.rollback(to: sft.id!)
        #expect(try workspace.currentCheckpoint()?.id == sft.id)
        #expect(try workspace.checkpoints().count == 3)
        for c in [sft, dpo1, dpo2] { #expect(FileManager.default.fileExists(atPath: workspace.root.appending(path: c.folder).path)) }
        let round3 = try workspace.startRound(goal: .failureCluster)
        #expect(round3.number == 3 && round3.parentCheckpointId == sft.id)
        let branch = try workspace.registerCheckpoint(
            NewCheckpoint(folder: try Self.modelFolder("dpo3", in: folder, seed: 3), kind: .dpo, parentID: sft.id, round: 3),
            makeCurrent: .trained).checkpoint

        let tree = try workspace.lineage()
        #expect(tree.count == 1 && tree[0].checkpoint.id == sft.id)
        #expect(tree[0].children.map(\.checkpoint.id) == [dpo1.id, branch.id])
        #expect(tree[0].children[0].children.map(\.checkpoint.id) == [dpo2.id])
        let moves = try workspace.database.read { try CheckpointPointer.order(Column("id")).fetchAll($0) }
        #expect(moves.map(\.checkpointId) == [sft.id, dpo1.id, dpo2.id, sft.id, branch.id])
        #expect(moves.map(\.reason) == [.registered, .trained, .trained, .rollback, .trained])

        let stored = try workspace.checkpoint(dpo1.id!)
        #expect(stored.round == 1 && stored.datasetVersionId == version.id && stored.metrics["kl"] == 0.03)
        #expect(stored.trainingConfig == #"{"beta": 0.1, "lora": {"r": 16}}"#)
        let updated = try workspace.recordMetrics(["kl": 0.05, "bleu": 0.3], forCheckpoint: dpo1.id!)
        #expect(updated.metrics == ["preference_accuracy": 0.71, "reward_margin": 0.8, "kl": 0.05, "bleu": 0.3])
        #expect(throws: StoreError.notFound(kind: "checkpoint", id: "99")) { try workspace.rollback(to: 99) }

        let summaries = try workspace.rounds()
        #expect(summaries.map(\.round.number) == [1, 2, 3] && summaries.map(\.round.status) == [.done, .generating, .generating])
    }

    @Test func roundCountsItsPairsAndVerdicts() throws {
        let folder = try TemporaryFolder()
        let workspace = try ReviewTests.workspaceWithPairs(1, in: folder)
        #expect(throws: StoreError.refused("no current checkpoint to start a round from; import a model first")) {
            try workspace.startRound(goal: .coverage)
        }
        try workspace.registerCheckpoint(NewCheckpoint(folder: try Self.modelFolder("m", in: folder), kind: .sft))
        let round = try workspace.startRound(goal: .coverage)
        let prompt = try workspace.prompt(1)
        let ids = try (0..<4).map { try workspace.addCandidate(promptID: prompt.id!, body: .plain("round answer \($0)")).id! }
        let first = try workspace.addPair(ids[0], ids[1], round: round.number, reason: .coverage)
        try workspace.addPair(ids[2], ids[3], round: round.number, reason: .uncertainty)
        let (ana, _) = try workspace.addReviewer(name: "ana"), (bo, _) = try workspace.addReviewer(name: "bo")
        try workspace.recordComparison(NewComparison(pairID: first.id!, reviewerID: ana.id!, verdict: .a))
        try workspace.recordComparison(NewComparison(pairID: first.id!, reviewerID: bo.id!, verdict: .skip))
        let summary = try #require(try workspace.rounds().first)
        #expect(summary.pairs == 2 && summary.reviewedPairs == 1 && summary.comparisons == 2)
    }

    @Test func exportWritesTheHuggingFaceFolder() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let model = try Self.modelFolder("smol", in: folder)
        _ = try folder.write("{}", to: "smol/nested/processor_config.json")
        let checkpoint = try workspace.registerCheckpoint(NewCheckpoint(folder: model, kind: .base)).checkpoint
        let out = folder.appending("exported")
        try workspace.exportCheckpoint(checkpoint.id!, to: out)
        var exported = try Self.files(under: out)
        // the lineage comes along as an export of the record, beside the model's own files
        let lineage = try #require(try Lineage.read(out))
        #expect(lineage.kind == .base && lineage.checkpoint == checkpoint.id && !lineage.isFineTuned)
        exported[Lineage.fileName] = nil
        #expect(exported == (try Self.files(under: model)))
        #expect(throws: StoreError.notFound(kind: "checkpoint", id: "5")) { try workspace.exportCheckpoint(5, to: folder.appending("x")) }
    }

    /// A Hub cache snapshot (`models--org--name/snapshots/<revision>/`) is symbolic links into its
    /// repository's blob store: the copy holds the files themselves.
    @Test func linkedFilesAreCopiedAsFiles() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let real = try Self.modelFolder("models--org--smol/blobs", in: folder)
        let snapshot = folder.appending("models--org--smol/snapshots/0123abc")
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.createSymbolicLink(at: snapshot.appending(path: name), withDestinationURL: real.appending(path: name))
        }
        let checkpoint = try workspace.registerCheckpoint(NewCheckpoint(folder: snapshot, kind: .base)).checkpoint
        let copy = workspace.root.appending(path: checkpoint.folder).appending(path: "model.safetensors")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: copy.path)) == nil, "the copy is a file, not a link")
        try FileManager.default.removeItem(at: real)
        #expect(try Data(contentsOf: copy).count == 4096)
    }

    /// A link that leaves the folder (a crafted folder linking to a system file) is refused.
    @Test func linksOutOfTheFolderAreRefused() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let model = try Self.modelFolder("smol", in: folder)
        let secret = try folder.write("not a model file", to: "secret.txt")
        try FileManager.default.createSymbolicLink(at: model.appending(path: "notes.txt"), withDestinationURL: secret)
        #expect {
            try workspace.registerCheckpoint(NewCheckpoint(folder: model, kind: .base))
        } throws: { error in
            "\(error)" == "\(model.appending(path: "notes.txt").path): a link to \(secret.resolvingSymlinksInPath().path), outside the folder"
        }
        #expect(try workspace.checkpoints().isEmpty)
    }

    @Test func badModelFoldersAreNamedAndNothingIsStored() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let missing = folder.appending("absent")
        let noConfig = folder.appending("noconfig")
        _ = try folder.write("x", to: "noconfig/model.safetensors")
        let badConfig = try Self.modelFolder("badconfig", in: folder)
        _ = try folder.write("[1, 2]", to: "badconfig/config.json")
        let noWeights = folder.appending("noweights")
        _ = try folder.write("{}", to: "noweights/config.json")
        let sharded = folder.appending("sharded")
        _ = try folder.write("{}", to: "sharded/config.json")
        _ = try folder.write(#"{"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}"#,
                             to: "sharded/model.safetensors.index.json")
        _ = try folder.write("x", to: "sharded/model-00001-of-00002.safetensors")
        let cases: [(URL, StoreError)] = [
            (missing, .badInput(file: missing.path, line: nil, problem: "no such model folder")),
            (noConfig, .badInput(file: noConfig.path, line: nil, problem: "not a Hugging Face model folder: no config.json")),
            (badConfig, .badInput(file: badConfig.appending(path: "config.json").path, line: nil, problem: "not a JSON object")),
            (noWeights, .badInput(file: noWeights.path, line: nil,
                                  problem: "no weights: model.safetensors, model.safetensors.index.json or adapter_model.safetensors")),
            (sharded, .badInput(file: sharded.appending(path: "model.safetensors.index.json").path, line: nil,
                                problem: "names shard model-00002-of-00002.safetensors, which is not in the folder")),
        ]
        for (url, error) in cases {
            #expect(throws: error) { try workspace.registerCheckpoint(NewCheckpoint(folder: url, kind: .base)) }
        }
        let good = try Self.modelFolder("good", in: folder)
        #expect(throws: StoreError.notFound(kind: "checkpoint", id: "7")) {
            try workspace.registerCheckpoint(NewCheckpoint(folder: good, kind: .dpo, parentID: 7))
        }
        #expect(throws: StoreError.refused("the training configuration of checkpoint good is not a JSON object")) {
            try workspace.registerCheckpoint(NewCheckpoint(folder: good, name: "good", kind: .dpo, trainingConfig: "beta=0.1"))
        }
        #expect(try workspace.checkpoints().isEmpty && (try workspace.currentCheckpoint()) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.checkpointsFolder.path).isEmpty)
    }
}
