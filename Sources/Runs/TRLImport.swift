import Evaluation
import Foundation
import Interchange
import JSON
import Preferences
import Training
import VLM

/// `vlm-align checkpoints import-run DIR`: a launch folder of `vlm-align export trl` after
/// `train.py` has run, brought back as a DPO checkpoint. It checks that the folder is the export
/// (its record's checkpoint and dataset version in this workspace with the same content ids, the
/// data and launch files unchanged, `output/` written by a run of this record), merges an adapter
/// into the parent (a full model is taken as it is), writes TRL's log history as the run's
/// metrics.jsonl, and registers the result as a child of the parent with the dataset version,
/// the settings (`backend: trl`) and TRL's held-out metrics under vlm-align's names.
public struct TRLImport {
    public var workspace: Workspace
    public var folder: URL

    /// The model folder the import writes into the launch folder (the registered checkpoint).
    public static let modelFolder = "imported"

    public init(workspace: Workspace, folder: URL) {
        self.workspace = workspace
        self.folder = folder
    }

    public struct Result {
        public var checkpoint: Checkpoint
        /// False when the same result was imported before (nothing changed).
        public var isNew: Bool
        public var steps: Int
    }

    public func run() throws -> Result {
        let (record, recordHash) = try TRLRunRecord.read(folder)
        let parent = try checkParent(record)
        let version = try workspace.datasetVersion("\(record.datasetVersion)")
        guard version.contentHash == record.datasetContentHash else {
            throw TrainingError("\(folder.appendingPathComponent(TRLRunRecord.fileName).path): exported for dataset version #\(record.datasetVersion) \(record.datasetContentHash.prefix(12)), but this workspace's #\(record.datasetVersion) is \(version.contentHash.prefix(12)): import into the workspace it was exported from")
        }
        for (name, hash) in record.files.sorted(by: { $0.key < $1.key }) {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { throw InputError(file: url.path, "missing: the export wrote it") }
            guard try SHA256.hex(fileAt: url) == hash else {
                throw InputError(file: url.path, "changed since the export (its SHA-256 is not the one \(TRLRunRecord.fileName) records): the run is not the exported one")
            }
        }
        let output = folder.appendingPathComponent(TRLRunRecord.outputFolder)
        try checkFinished(output, recordHash: recordHash)
        let history = try TRLLogHistory(output.appendingPathComponent("trainer_state.json"))

        // the model: the adapter merged into the parent (as a local LoRA run registers it), or the full model
        let parentFolder = workspace.root.appending(path: parent.folder)
        let model: any VisionLanguageModel
        if FileManager.default.fileExists(atPath: output.appendingPathComponent("adapter_config.json").path) {
            model = try ModelFolder.load(parentFolder)
            try PEFTFormat.load(output, into: model).merge(into: model)
        } else {
            model = try ModelFolder.load(output)
        }
        let modelFolder = folder.appendingPathComponent(Self.modelFolder)
        try? FileManager.default.removeItem(at: modelFolder)
        try ModelFolder.save(model, to: modelFolder, companionsFrom: parentFolder)
        try history.writeMetrics(to: folder.appendingPathComponent("metrics.jsonl"))

        var config = (try? JSONValue(parsing: record.settings.json))?.objectValue ?? []
        config.append(("backend", .string("trl")))
        let registered = try workspace.registerCheckpoint(
            NewCheckpoint(folder: modelFolder, name: folder.lastPathComponent, kind: .dpo, parentID: parent.id,
                          datasetVersionID: version.id, trainingConfig: Run.recordingRunFolder(JSONValue.object(config).serialized(indent: 0), folder),
                          metrics: AlignmentMetrics.keyMetrics(history.lastEvaluation ?? [:])),
            makeCurrent: .trained)
        try workspace.lineage(ofCheckpoint: registered.checkpoint.id!).write(to: modelFolder)
        return Result(checkpoint: registered.checkpoint, isNew: registered.isNew, steps: history.steps.count)
    }

    /// The parent checkpoint, the same content as when the folder was exported.
    private func checkParent(_ record: TRLRunRecord) throws -> Checkpoint {
        let recordFile = folder.appendingPathComponent(TRLRunRecord.fileName).path
        let parent: Checkpoint
        do { parent = try workspace.checkpoint(record.parentCheckpoint) } catch {
            throw TrainingError("\(recordFile): exported from checkpoint #\(record.parentCheckpoint), which this workspace does not have: import into the workspace it was exported from")
        }
        guard parent.contentHash == record.parentContentHash else {
            throw TrainingError("\(recordFile): exported from checkpoint #\(record.parentCheckpoint) \(record.parentContentHash.prefix(12)), but this workspace's #\(record.parentCheckpoint) is \(parent.contentHash.prefix(12)): import into the workspace it was exported from")
        }
        return parent
    }

    /// `output/` holds what a finished `train.py` of this record wrote.
    private func checkFinished(_ output: URL, recordHash: String) throws {
        let url = output.appendingPathComponent(TRLRunRecord.finishedFileName)
        guard let data = try? Data(contentsOf: url) else {
            throw InputError(file: url.path, "missing: train.py has not finished (it writes this file last); run it as README.md says")
        }
        let run: String?
        do { run = try JSONValue(parsing: data)["run"]?.stringValue } catch { throw InputError(file: url.path, "not valid JSON: \(error)") }
        guard let run else { throw InputError(file: url.path, "has no \"run\": not written by the exported train.py") }
        guard run == recordHash else {
            throw InputError(file: url.path, "written by a run of another \(TRLRunRecord.fileName) (\(run.prefix(12)), this folder's is \(recordHash.prefix(12))): output/ is not this export's result")
        }
    }
}
