import Foundation
import GRDB
import Interchange

/// A model folder to register as a checkpoint, and where it came from.
public struct NewCheckpoint: Sendable {
    public var folder: URL
    public var name: String?
    public var kind: CheckpointKind
    public var parentID: Int64?
    public var round: Int?
    public var datasetVersionID: Int64?
    /// A JSON object.
    public var trainingConfig: String
    public var metrics: [String: Double]

    public init(folder: URL, name: String? = nil, kind: CheckpointKind, parentID: Int64? = nil, round: Int? = nil,
                datasetVersionID: Int64? = nil, trainingConfig: String = "{}", metrics: [String: Double] = [:]) {
        self.folder = folder
        self.name = name
        self.kind = kind
        self.parentID = parentID
        self.round = round
        self.datasetVersionID = datasetVersionID
        self.trainingConfig = trainingConfig
        self.metrics = metrics
    }
}

/// A checkpoint and its children, for printing the lineage tree.
public struct LineageNode: Sendable {
    public var checkpoint: Checkpoint
    public var children: [LineageNode]
}

extension Workspace {
    /// Copies a Hugging Face model folder under `checkpoints/` and records it. The same files
    /// registered again return the existing checkpoint and change nothing. The first checkpoint
    /// becomes current; later ones when `makeCurrent` gives the reason.
    @discardableResult
    public func registerCheckpoint(_ new: NewCheckpoint, makeCurrent: CheckpointPointer.Reason? = nil) throws
        -> (checkpoint: Checkpoint, isNew: Bool) {
        let source = try HuggingFaceFolder(at: new.folder)
        guard (try? JSONSerialization.jsonObject(with: Data(new.trainingConfig.utf8))) is [String: Any] else {
            throw StoreError.refused("the training configuration of checkpoint \(new.name ?? new.folder.lastPathComponent) is not a JSON object")
        }
        let hash = try source.contentHash()
        if let existing = try database.read({ try Checkpoint.filter(Column("contentHash") == hash).fetchOne($0) }) {
            return (existing, false)
        }
        // Copy outside the transaction (it can take minutes), into a hidden folder nothing names.
        let incoming = checkpointsFolder.appending(path: ".incoming-\(UUID().uuidString)")
        try source.copy(to: incoming)
        defer { try? FileManager.default.removeItem(at: incoming) }
        return try database.write { db in
            if let existing = try Checkpoint.filter(Column("contentHash") == hash).fetchOne(db) { return (existing, false) }
            if let parent = new.parentID, try !Checkpoint.exists(db, id: parent) {
                throw StoreError.notFound(kind: "checkpoint", id: "\(parent)")
            }
            if let round = new.round, try !Round.exists(db, key: round) { throw StoreError.notFound(kind: "round", id: "\(round)") }
            if let version = new.datasetVersionID, try !DatasetVersion.exists(db, id: version) {
                throw StoreError.notFound(kind: "dataset version", id: "\(version)")
            }
            let folder = "checkpoints/\(hash.prefix(16))"
            var checkpoint = Checkpoint(
                id: nil, name: new.name ?? source.url.lastPathComponent, parentId: new.parentID, kind: new.kind, round: new.round,
                datasetVersionId: new.datasetVersionID, trainingConfig: new.trainingConfig, metrics: new.metrics, folder: folder,
                contentHash: hash, createdAt: Date())
            try checkpoint.insert(db)
            let destination = root.appending(path: folder)
            // A folder already there was left by a process killed before its commit: nothing names it.
            try? FileManager.default.removeItem(at: destination)
            try FileManager.default.moveItem(at: incoming, to: destination)
            let reason = try CheckpointPointer.fetchCount(db) == 0 ? .registered : makeCurrent
            if let reason { try Self.movePointer(to: checkpoint.id!, reason: reason, in: db) }
            return (checkpoint, true)
        }
    }

    /// Checks that a folder is a Hugging Face model folder (a config and weights) without
    /// registering it; the error names the file at fault.
    public static func checkModelFolder(_ folder: URL) throws {
        _ = try HuggingFaceFolder(at: folder)
    }

    public func checkpoints() throws -> [Checkpoint] {
        try database.read { try Checkpoint.order(Column("id")).fetchAll($0) }
    }

    public func checkpoint(_ id: Int64) throws -> Checkpoint {
        guard let checkpoint = try database.read({ try Checkpoint.fetchOne($0, id: id) }) else {
            throw StoreError.notFound(kind: "checkpoint", id: "\(id)")
        }
        return checkpoint
    }

    /// The checkpoint the next round starts from: the latest pointer move.
    public func currentCheckpoint() throws -> Checkpoint? {
        try database.read { db in try Self.currentCheckpoint(in: db) }
    }

    /// Makes an earlier checkpoint current again. Nothing is deleted: later checkpoints stay in
    /// the lineage, and the next round branches from this one.
    @discardableResult
    public func rollback(to id: Int64) throws -> Checkpoint {
        try database.write { db in
            guard let checkpoint = try Checkpoint.fetchOne(db, id: id) else { throw StoreError.notFound(kind: "checkpoint", id: "\(id)") }
            try Self.movePointer(to: id, reason: .rollback, in: db)
            return checkpoint
        }
    }

    /// Adds (or overwrites) metrics of a checkpoint, as evaluation produces them.
    @discardableResult
    public func recordMetrics(_ metrics: [String: Double], forCheckpoint id: Int64) throws -> Checkpoint {
        try database.write { db in
            guard var checkpoint = try Checkpoint.fetchOne(db, id: id) else { throw StoreError.notFound(kind: "checkpoint", id: "\(id)") }
            checkpoint.metrics.merge(metrics) { _, new in new }
            try checkpoint.update(db)
            return checkpoint
        }
    }

    /// The checkpoints as trees, each parent before its children, children in creation order.
    public func lineage() throws -> [LineageNode] {
        let all = try checkpoints()
        let children = Dictionary(grouping: all.filter { $0.parentId != nil }, by: { $0.parentId! })
        func node(_ checkpoint: Checkpoint) -> LineageNode {
            LineageNode(checkpoint: checkpoint, children: (children[checkpoint.id!] ?? []).map(node))
        }
        return all.filter { $0.parentId == nil }.map(node)
    }

    /// Copies a checkpoint out as a Hugging Face folder, with its lineage (`vlm_align.json`).
    @discardableResult
    public func exportCheckpoint(_ id: Int64, to folder: URL) throws -> [URL] {
        let checkpoint = try checkpoint(id)
        let source = try HuggingFaceFolder(at: root.appending(path: checkpoint.folder))
        let lineage = try lineage(ofCheckpoint: id)
        return try writeFolder(folder) { staging in
            try source.copy(to: staging)
            try lineage.write(to: staging)
            return source.files + [Lineage.fileName]
        }
    }

    /// The checkpoint's record as a model folder carries it: kind, parent, dataset version, and
    /// whether SFT is among its ancestors.
    public func lineage(ofCheckpoint id: Int64) throws -> Lineage {
        let checkpoint = try checkpoint(id)
        var hasSFTAncestor = false
        var parent = checkpoint.parentId
        while let id = parent, !hasSFTAncestor {
            let ancestor = try self.checkpoint(id)
            hasSFTAncestor = ancestor.kind == .sft
            parent = ancestor.parentId
        }
        let dataset = try checkpoint.datasetVersionId.map { "dataset version #\($0) \(try datasetVersion("\($0)").contentHash.prefix(12))" }
        return Lineage(kind: checkpoint.kind, parent: checkpoint.parentId.map { "checkpoint #\($0)" }, hasSFTAncestor: hasSFTAncestor,
                       dataset: dataset, checkpoint: id, created: checkpoint.createdAt)
    }

    /// The checkpoint whose folder has this content id, if one does.
    public func checkpoint(contentHash: String) throws -> Checkpoint? {
        try database.read { try Checkpoint.filter(Column("contentHash") == contentHash).fetchOne($0) }
    }

    static func currentCheckpoint(in db: Database) throws -> Checkpoint? {
        try Checkpoint.fetchOne(db, sql: """
            SELECT checkpoint.* FROM checkpointPointer JOIN checkpoint ON checkpoint.id = checkpointPointer.checkpointId
            ORDER BY checkpointPointer.id DESC LIMIT 1
            """)
    }

    static func movePointer(to id: Int64, reason: CheckpointPointer.Reason, in db: Database) throws {
        var move = CheckpointPointer(id: nil, checkpointId: id, reason: reason, movedAt: Date())
        try move.insert(db)
    }
}
