import ArgumentParser
import Foundation
import Preferences
import Runs

struct Checkpoints: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "List, inspect, trace, roll back, export and import checkpoints.",
        subcommands: [ListCheckpoints.self, ShowCheckpoint.self, CheckpointLineage.self, RollbackCheckpoint.self, ExportCheckpoint.self,
                      ImportRun.self])
}

struct ListCheckpoints: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every checkpoint, oldest first.")

    @OptionGroup var location: WorkspaceOption

    func run() throws {
        let workspace = try location.open()
        let current = try workspace.currentCheckpoint()?.id
        func optional<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "-" }
        let rows = try workspace.checkpoints().map { c -> [String] in
            let marker = c.id == current ? "current" : ""
            return ["\(c.id!)", c.name, c.kind.rawValue, optional(c.parentId), optional(c.round), optional(c.datasetVersionId),
                    c.createdAt.formatted(.iso8601), marker]
        }
        print(rows.isEmpty ? "no checkpoints; add one with `vlm-align import model DIR`"
                           : table(["ID", "NAME", "KIND", "PARENT", "ROUND", "DATASET", "CREATED", ""], rows))
    }
}

struct ShowCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One checkpoint in full.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The checkpoint's ID.")
    var id: Int64

    func run() throws {
        let workspace = try location.open()
        let c = try workspace.checkpoint(id)
        let dataset = try c.datasetVersionId.map { "#\($0) (\(try workspace.datasetVersion("\($0)").contentHash.prefix(12)))" }
        let metrics = c.metrics.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
        print("""
            checkpoint #\(c.id!) "\(c.name)"\(try workspace.currentCheckpoint()?.id == c.id ? " (current)" : "")
            kind: \(c.kind.rawValue)
            parent: \(c.parentId.map { "#\($0)" } ?? "none")
            round: \(c.round.map { "\($0)" } ?? "none")
            dataset version: \(dataset ?? "none")
            folder: \(workspace.root.appending(path: c.folder).path)
            content hash: \(c.contentHash)
            created: \(c.createdAt.formatted(.iso8601))
            training config: \(c.trainingConfig)
            metrics:\(metrics.isEmpty ? " none" : "\n" + metrics.joined(separator: "\n"))
            """)
    }
}

struct CheckpointLineage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage", abstract: "The checkpoint tree, with round, dataset version and key metrics per checkpoint.")

    @OptionGroup var location: WorkspaceOption

    func run() throws {
        let workspace = try location.open()
        let current = try workspace.currentCheckpoint()?.id
        let hashes = Dictionary(uniqueKeysWithValues: try workspace.datasetVersions().map { ($0.id!, $0.contentHash.prefix(12)) })
        func label(_ c: Checkpoint) -> String {
            var parts = ["#\(c.id!) \(c.name) (\(c.kind.rawValue))"]
            if let round = c.round { parts.append("round \(round)") }
            if let version = c.datasetVersionId { parts.append("dataset #\(version) \(hashes[version] ?? "")") }
            for key in Checkpoint.keyMetrics { if let value = c.metrics[key] { parts.append("\(key) \(String(format: "%.4g", value))") } }
            if c.id == current { parts.append("← current") }
            return parts.joined(separator: "  ")
        }
        var lines: [String] = []
        func walk(_ node: LineageNode, _ prefix: String, _ branch: String) {
            lines.append(prefix + branch + label(node.checkpoint))
            let childPrefix = prefix + (branch == "├─ " ? "│  " : branch.isEmpty ? "" : "   ")
            for (i, child) in node.children.enumerated() { walk(child, childPrefix, i == node.children.count - 1 ? "└─ " : "├─ ") }
        }
        for root in try workspace.lineage() { walk(root, "", "") }
        print(lines.isEmpty ? "no checkpoints" : lines.joined(separator: "\n"))
    }
}

struct RollbackCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Make an earlier checkpoint current; the next round branches from it. Nothing is deleted.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The checkpoint's ID.")
    var id: Int64

    func run() throws {
        let checkpoint = try location.open().rollback(to: id)
        print("current checkpoint is now #\(checkpoint.id!) \"\(checkpoint.name)\"")
    }
}

struct ExportCheckpoint: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Copy a checkpoint out as a Hugging Face model folder.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The checkpoint's ID.")
    var id: Int64

    @Option(help: "The folder to write (absent or empty).")
    var out: String

    func run() throws {
        let files = try location.open().exportCheckpoint(id, to: URL(filePath: out))
        print("wrote checkpoint #\(id) to \(out) (\(files.count) files)")
    }
}

struct ImportRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-run",
        abstract: "Register the result of a `vlm-align export trl` folder after its train.py ran, as a DPO checkpoint of its parent.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The launch folder `vlm-align export trl` wrote.")
    var folder: String

    func run() throws {
        let result = try TRLImport(workspace: try location.open(), folder: URL(filePath: folder)).run()
        let c = result.checkpoint
        let metrics = Checkpoint.keyMetrics.compactMap { key in c.metrics[key].map { String(format: "%@ %.4g", key, $0) } }
        print((result.isNew ? "registered" : "already imported") + " as checkpoint #\(c.id!) (\(c.kind.rawValue), parent \(c.parentId.map { "#\($0)" } ?? "none"), "
              + "\(result.steps) TRL steps)" + (metrics.isEmpty ? "" : ": " + metrics.joined(separator: ", ")))
    }
}
