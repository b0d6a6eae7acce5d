import Foundation

/// The lineage a vlm-align model folder carries in `vlm_align.json`: what kind of checkpoint it
/// is, what it came from, and whether supervised fine-tuning is among its ancestors (DPO starts
/// from SFT). In a workspace it is an export of the checkpoint's record, which stays the truth;
/// a run without a workspace writes it as the only record. It is not part of the model: a
/// folder's content id leaves it out.
public struct Lineage: Codable, Sendable, Equatable {
    public var kind: CheckpointKind
    /// The parent: a folder path, or `checkpoint #N` in the workspace.
    public var parent: String?
    public var hasSFTAncestor: Bool
    /// The training data: a file path, or `dataset version #N <hash>`.
    public var dataset: String?
    /// The checkpoint's ID in the workspace that holds its record.
    public var checkpoint: Int64?
    public var created: String

    public static let fileName = "vlm_align.json"

    public init(kind: CheckpointKind, parent: String?, hasSFTAncestor: Bool, dataset: String?, checkpoint: Int64? = nil,
                created: Date = Date()) {
        self.kind = kind
        self.parent = parent
        self.hasSFTAncestor = hasSFTAncestor
        self.dataset = dataset
        self.checkpoint = checkpoint
        self.created = ISO8601DateFormatter().string(from: created)
    }

    /// Whether the model is fine-tuned for its task: it is SFT, or SFT is among its ancestors.
    public var isFineTuned: Bool { kind == .sft || hasSFTAncestor }

    /// The folder's lineage; nil when it has none, an error naming the file when it is unreadable.
    public static func read(_ folder: URL) throws -> Lineage? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(Lineage.self, from: Data(contentsOf: url))
        } catch {
            throw InputError(file: url.path, "not a lineage record: \(error)")
        }
    }

    public func write(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }
}
