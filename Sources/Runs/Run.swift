import Evaluation
import Foundation
import Interchange
import JSON
import Preferences
import ShapesWorld
import Training
import VLM

/// A training run as one function: "train on this data from this model with these settings".
/// It picks the reference, keys the caches, runs SFT or DPO, writes the result, and registers
/// it in the workspace (when there is one) as a child checkpoint with its settings, dataset
/// version and held-out metrics. Without a workspace the result's `vlm_align.json` is its record.
public struct Run {
    /// The model a run starts from.
    public enum Model: Sendable {
        /// A Hugging Face model folder (registered in the workspace first, when there is one).
        case folder(URL)
        /// A checkpoint of the workspace, by ID.
        case checkpoint(Int64)
    }

    /// The data a run trains on.
    public enum TrainingData: Sendable {
        /// A TRL JSONL file (SFT or preference rows).
        case file(URL)
        /// A frozen dataset version of the workspace (ID or content-hash prefix): its train split,
        /// and its held-out split as the evaluation set unless one is given.
        case datasetVersion(String)
    }

    public var method: RunSettings.Method
    public var model: Model
    public var data: TrainingData
    public var evalData: URL?
    /// The run folder: metrics.jsonl, checkpoints/, run.json, and the result (model/, adapter/).
    public var out: URL
    public var workspace: Workspace?
    public var training = TrainingOptions()
    public var dpo = DPOSettings()
    public var lora: LoRASettings?
    /// Keep the vision tower fixed (its features are computed once per image).
    public var freezeVision = false
    /// Hold the frozen base's linear weights in NF4 (QLoRA; with `lora`).
    public var quantize: Quantization?
    /// SFT from fresh weights (the model folder needs no weights).
    public var initRandom = false
    /// SFT: train consecutive examples of one image as one sequence.
    public var packByImage = false
    /// SFT on ShapesWorld data: the weight of the loss that trains each image token toward the
    /// words of what lies under it (`ImageTokenWords`); nil: none.
    public var imageWordsWeight: Float?
    /// With `imageWordsWeight`: each token's words also give its object's centre cell.
    public var imageWordPlaces = false
    /// DPO with full fine-tuning: the reference model folder (default: the starting model).
    public var referenceModel: URL?
    /// Where reference log-probs are cached (default: the user's cache folder).
    public var cacheDirectory: URL?
    /// Start DPO from a model without SFT in its lineage.
    public var allowNoSFT = false
    public var resume = false
    /// In a workspace: the round the result belongs to, and whether it becomes current (a round's
    /// checkpoint becomes current when the round closes).
    public var round: Int?
    public var makeCurrent = true

    public init(method: RunSettings.Method, model: Model, data: TrainingData, out: URL) {
        self.method = method
        self.model = model
        self.data = data
        self.out = out
    }
}

/// What a run tells while it works.
public enum RunEvent {
    /// The memory and time estimate, before the model loads.
    case plan(Plan)
    case referenceLogProbs(cached: Bool, key: String, pairs: Int)
    case step(StepReport, isEval: Bool)
}

public struct RunResult {
    public var outcome: TrainingRun.Outcome
    /// The model folder written (a full model; a LoRA DPO run also writes `adapter`).
    public var model: URL?
    /// The PEFT adapter folder of a LoRA DPO run.
    public var adapter: URL?
    /// The checkpoint registered in the workspace.
    public var checkpoint: Checkpoint?
    /// The last held-out evaluation (TRL's names, `eval_` prefixed).
    public var evaluation: [String: Double]?
}

extension Run {
    /// Trains to the end, or until `stop` asks (then nothing is written but the resumable state).
    public func execute(stop: StopSignal? = nil, events: (RunEvent) -> Void = { _ in }) throws -> RunResult {
        if quantize != nil && lora == nil {
            throw TrainingError("quantizing the base (NF4) needs LoRA: an NF4 base is frozen, only adapters train on it")
        }
        let start = try resolveStart()
        let (trainFile, evalFile, version) = try resolveData()
        // ShapesWorld data on a model made for another world: refused before anything trains
        if let world = World.folder(containing: trainFile) { try World.checkModel(start.folder, fits: world) }
        if method == .dpo, !allowNoSFT { try requireSFT(start) }
        // a dataset version is named by its content id already; a file is hashed
        let (dataName, dataID) = try version.map { ("dataset version #\($0.id!)", $0.contentHash) }
            ?? (trainFile.path, try SHA256.hex(fileAt: trainFile))
        var settings = RunSettings(
            method: method, modelID: start.contentID, data: dataName, dataID: dataID,
            evalDataID: try evalFile.map { try SHA256.hex(fileAt: $0) }, training: training,
            dpo: method == .dpo ? dpo : nil, lora: lora, freezeVision: freezeVision, quantize: quantize,
            initRandom: initRandom, packByImage: packByImage, referenceID: nil)
        if let imageWordsWeight, let world = World.folder(containing: trainFile) {
            settings.imageWords = .init(weight: imageWordsWeight, worldID: try SHA256.hex(fileAt: World.manifest(in: world)),
                                        places: imageWordPlaces ? true : nil)
        }

        let trained: Trained
        switch method {
        case .sft: trained = try trainSFT(from: start.folder, data: trainFile, evalData: evalFile, settings: settings, stop: stop, events: events)
        case .dpo: trained = try trainDPO(from: start.folder, data: trainFile, evalData: evalFile, settings: &settings, stop: stop, events: events)
        }
        guard trained.outcome == .finished else { return RunResult(outcome: trained.outcome) }

        var result = RunResult(outcome: .finished, model: trained.model, adapter: trained.adapter, evaluation: trained.evaluation)
        let kind: CheckpointKind = method == .sft ? .sft : .dpo
        let lineage: Lineage
        if let workspace, let modelFolder = trained.model {
            let registered = try workspace.registerCheckpoint(
                NewCheckpoint(folder: modelFolder, name: out.lastPathComponent, kind: kind, parentID: start.checkpoint, round: round,
                              datasetVersionID: version?.id, trainingConfig: Self.recordingRunFolder(settings.json, out),
                              metrics: trained.evaluation.map(AlignmentMetrics.keyMetrics) ?? [:]),
                makeCurrent: makeCurrent ? .trained : nil).checkpoint
            result.checkpoint = registered
            lineage = try workspace.lineage(ofCheckpoint: registered.id!)
        } else {
            lineage = Lineage(kind: kind, parent: initRandom ? nil : start.folder.path, hasSFTAncestor: true, dataset: trainFile.path)
        }
        for folder in [trained.model, trained.adapter].compactMap({ $0 }) { try lineage.write(to: folder) }
        return result
    }

    /// The run's memory and time estimate, without training or registering anything: the model
    /// folder's config and the data tokenized as the run would.
    public func plan() throws -> Plan {
        let folder: URL
        switch model {
        case .folder(let url): folder = url
        case .checkpoint(let id):
            guard let workspace else { throw TrainingError("a checkpoint ID needs a workspace") }
            folder = workspace.root.appending(path: try workspace.checkpoint(id).folder)
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-align-plan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file: URL
        switch data {
        case .file(let url): file = url
        case .datasetVersion(let reference):
            guard let workspace else { throw TrainingError("a dataset version needs a workspace") }
            try workspace.exportDataset(try workspace.datasetVersion(reference), to: scratch)
            file = scratch.appendingPathComponent("train.jsonl")
        }
        let settings = RunSettings(method: method, modelID: "", data: file.path, dataID: "", evalDataID: nil, training: training,
                                   dpo: method == .dpo ? dpo : nil, lora: lora, freezeVision: freezeVision, quantize: quantize,
                                   initRandom: initRandom, packByImage: packByImage, referenceID: nil)
        let processor = try ModelFolder.processor(folder)
        let shape = try ModelFolder.shape(folder)
        let sequences: [Plan.Sequence]
        switch method {
        case .dpo: sequences = try PreferenceDataset.pairs(file, processor: processor).map(Plan.Sequence.init)
        case .sft: sequences = try supervisedExamples(file, processor: processor, shape: shape).map(Plan.Sequence.init)
        }
        return Plan(shape: shape, settings: settings, sequences: sequences)
    }

    /// The settings as the checkpoint records them, with `run_folder` (where metrics.jsonl is, for
    /// `vlm-align report`) added.
    static func recordingRunFolder(_ settings: String, _ out: URL) -> String {
        guard let value = try? JSONValue(parsing: settings), var members = value.objectValue else { return settings }
        members.append(("run_folder", .string(out.standardizedFileURL.path)))
        return JSONValue.object(members).serialized(indent: 0)
    }

    /// The starting model's folder, its content id (hashed once: a model's files can be large)
    /// and, in a workspace, its checkpoint.
    private func resolveStart() throws -> (folder: URL, contentID: String, checkpoint: Int64?) {
        switch model {
        case .checkpoint(let id):
            guard let workspace else { throw TrainingError("a checkpoint ID needs a workspace") }
            let checkpoint = try workspace.checkpoint(id)
            return (workspace.root.appending(path: checkpoint.folder), checkpoint.contentHash, id)
        case .folder(let folder):
            let hash = try FolderContents(folder).contentHash()
            // a folder without weights (fresh weights) has nothing to register
            guard let workspace, !initRandom else { return (folder, hash, nil) }
            if let known = try workspace.checkpoint(contentHash: hash) { return (folder, hash, known.id) }
            let kind = try Lineage.read(folder)?.kind ?? .base
            return (folder, hash, try workspace.registerCheckpoint(NewCheckpoint(folder: folder, kind: kind)).checkpoint.id)
        }
    }

    /// The training file, the evaluation file, and the dataset version they came from.
    private func resolveData() throws -> (train: URL, eval: URL?, version: DatasetVersion?) {
        switch data {
        case .file(let file):
            return (file, evalData, nil)
        case .datasetVersion(let reference):
            guard let workspace else { throw TrainingError("a dataset version needs a workspace") }
            let version = try workspace.datasetVersion(reference)
            // exported once into the run folder; a resumed run reads the same files
            let folder = out.appendingPathComponent("data")
            let manifest = folder.appendingPathComponent("dataset.json")
            if (try? String(contentsOf: manifest, encoding: .utf8))?.contains(version.contentHash) != true {
                try? FileManager.default.removeItem(at: folder)
                try workspace.exportDataset(version, to: folder)
            }
            let heldOut = folder.appendingPathComponent("held-out.jsonl")
            guard version.trainCount > 0 else { throw TrainingError("dataset version #\(version.id!) has no train pairs") }
            return (folder.appendingPathComponent("train.jsonl"),
                    evalData ?? (FileManager.default.fileExists(atPath: heldOut.path) ? heldOut : nil), version)
        }
    }

    /// Refuses to start DPO from a model without SFT in its lineage (the workspace's record, or
    /// the folder's `vlm_align.json`).
    private func requireSFT(_ start: (folder: URL, contentID: String, checkpoint: Int64?)) throws {
        let lineage = try start.checkpoint.flatMap { try workspace?.lineage(ofCheckpoint: $0) } ?? (try Lineage.read(start.folder))
        guard lineage?.isFineTuned != true else { return }
        let said = start.checkpoint.map { "checkpoint #\($0) is kind \(lineage?.kind.rawValue ?? "?")" }
            ?? "\(Lineage.fileName) \(lineage.map { "says kind \($0.kind.rawValue)" } ?? "is missing")"
        throw TrainingError("\(start.folder.path): no supervised fine-tuning in this model's lineage (\(said)). DPO needs an SFT model; pass --allow-no-sft if this model is already fine-tuned for the task.")
    }
}
