import Foundation
import Interchange
import Preferences
import Training
import VLM

/// `vlm-align export trl`: a self-contained launch folder that trains a dataset version from a
/// checkpoint with TRL's `DPOTrainer` under accelerate (one GPU, several, several machines;
/// DeepSpeed ZeRO-2/3), with the options `vlm-align dpo` would use:
///
///     data/           the dataset version as TRL vision preference JSONL with its images
///     model/          the checkpoint (unless `baseModel` names a Hugging Face id or path)
///     train.py        DPOTrainer with the run's options in TRL's names
///     accelerate_config.yaml, ds_config.json (with DeepSpeed), requirements.txt, README.md
///     vlm_align_run.json   what the run is in the lineage (`TRLRunRecord`)
///
/// `TRLImport` brings the trained result back as a child checkpoint.
public struct TRLExport {
    public enum DeepSpeed: String, Codable, CaseIterable, Sendable { case none, zero2, zero3 }

    public var workspace: Workspace
    public var checkpoint: Int64
    /// A dataset version: ID or content-hash prefix.
    public var dataset: String
    public var out: URL
    public var training = TrainingOptions()
    public var dpo = DPOSettings()
    public var lora: LoRASettings?
    public var freezeVision = false
    public var quantize: Quantization?
    public var gpus = 1
    public var nodes = 1
    public var deepSpeed = DeepSpeed.none
    public var bf16 = false
    /// A Hugging Face id or a path on the training machines to load instead of copying the
    /// checkpoint (its content is then the user's to keep equal to the checkpoint's).
    public var baseModel: String?

    /// The versions `train.py` was checked with (tools/scale_out/parity.sh); `requirements.txt`
    /// pins them.
    public static let checkedVersions: [String: String] = [
        "torch": "2.13.0", "transformers": "5.24.0", "trl": "1.16.0", "peft": "0.21.2", "datasets": "5.2.0",
        "accelerate": "1.15.0", "pillow": "13.0.0",
    ]
    /// Pinned when asked for, not checked here (no GPU, no CUDA build): bitsandbytes (`--quantize`)
    /// and DeepSpeed.
    public static let uncheckedVersions: [String: String] = ["bitsandbytes": "0.50.2", "deepspeed": "0.19.8"]

    public init(workspace: Workspace, checkpoint: Int64, dataset: String, out: URL) {
        self.workspace = workspace
        self.checkpoint = checkpoint
        self.dataset = dataset
        self.out = out
    }

    /// Writes the folder (refusing a non-empty `out`, and options TRL cannot run as vlm-align
    /// would) and returns its record.
    @discardableResult
    public func write() throws -> TRLRunRecord {
        try dpo.validate()
        guard gpus >= 1, nodes >= 1 else { throw TrainingError("--gpus and --nodes count processes: at least 1 each") }
        let processes = gpus * nodes
        guard training.batchSize % processes == 0 else {
            throw TrainingError("--batch-size \(training.batchSize) does not split over \(processes) processes (\(gpus) GPUs × \(nodes) nodes): TRL's batch is per device; give a multiple of \(processes), or --gradient-accumulation-steps for a larger batch")
        }
        if dpo.loss == .sigmoid, dpo.labelSmoothing > 0, training.batchSize != processes {
            throw TrainingError("cDPO (--label-smoothing with the sigmoid loss): TRL 1.16's sigmoid loss ignores label smoothing, and its aot loss is cDPO only with one pair per device; give --batch-size \(processes) (one per process) and --gradient-accumulation-steps for a larger batch")
        }
        guard training.seed < 1 << 32 else { throw TrainingError("--seed \(training.seed): TRL seeds numpy too, which takes seeds below 2^32") }
        if quantize != nil && lora == nil { throw TrainingError("quantizing the base (NF4) needs LoRA: --lora-rank") }

        let start = try workspace.checkpoint(checkpoint)
        let lineage = try workspace.lineage(ofCheckpoint: checkpoint)
        guard lineage.isFineTuned else {
            throw TrainingError("checkpoint #\(checkpoint) is kind \(start.kind.rawValue) without SFT among its ancestors: DPO starts from an SFT model")
        }
        let version = try workspace.datasetVersion(dataset)
        guard version.trainCount > 0 else { throw TrainingError("dataset version #\(version.id!) has no train pairs") }
        let startFolder = workspace.root.appending(path: start.folder)
        let shape = try ModelFolder.shape(startFolder)

        var settings = RunSettings(
            method: .dpo, modelID: start.contentHash, data: "dataset version #\(version.id!)", dataID: version.contentHash,
            evalDataID: nil, training: training, dpo: dpo, lora: lora, freezeVision: freezeVision, quantize: quantize,
            initRandom: false, packByImage: false, referenceID: nil)
        settings.referenceID = settings.reference(modelID: nil)
        let launch = TRLRunRecord.Launch(gpus: gpus, nodes: nodes, deepSpeed: deepSpeed, bf16: bf16)

        return try writeStaged { staging in
            try workspace.exportDataset(version, to: staging.appending(path: "data"))
            let heldOut = staging.appending(path: "data/held-out.jsonl")
            if FileManager.default.fileExists(atPath: heldOut.path) { settings.evalDataID = try SHA256.hex(fileAt: heldOut) }
            if baseModel == nil { try workspace.exportCheckpoint(checkpoint, to: staging.appending(path: "model")) }
            let script = TRLScript(settings: settings, launch: launch, baseModel: baseModel, shape: shape,
                                   hasHeldOut: settings.evalDataID != nil)
            var versions = Self.checkedVersions
            if quantize != nil { versions["bitsandbytes"] = Self.uncheckedVersions["bitsandbytes"] }
            if deepSpeed != .none { versions["deepspeed"] = Self.uncheckedVersions["deepspeed"] }
            var files: [String: String] = [
                "train.py": script.text,
                "accelerate_config.yaml": TRLLaunchFiles.accelerateConfig(launch),
                "requirements.txt": TRLLaunchFiles.requirements(versions),
                "README.md": TRLLaunchFiles.readme(launch: launch, checkpoint: checkpoint, version: version.id!, copiedModel: baseModel == nil),
            ]
            if deepSpeed != .none { files[TRLLaunchFiles.deepSpeedFileName] = TRLLaunchFiles.deepSpeedConfig(deepSpeed) }
            for (name, text) in files { try Data(text.utf8).write(to: staging.appending(path: name)) }
            // reviewers' names and comments stay in the workspace: training does not need them
            try? FileManager.default.removeItem(at: staging.appending(path: "data/reviews.jsonl"))
            // accelerate_config.yaml is not hashed: a multi-node launch sets its address and rank
            // there, and it decides where the run trains, not what it learns
            var hashes: [String: String] = [:]
            for name in ["data/train.jsonl", "data/held-out.jsonl", "train.py", TRLLaunchFiles.deepSpeedFileName] {
                let url = staging.appending(path: name)
                if FileManager.default.fileExists(atPath: url.path) { hashes[name] = try SHA256.hex(fileAt: url) }
            }
            let record = TRLRunRecord(
                parentCheckpoint: checkpoint, parentContentHash: start.contentHash, datasetVersion: version.id!,
                datasetContentHash: version.contentHash, baseModel: baseModel ?? "model", settings: settings, launch: launch,
                files: hashes, versions: versions)
            try record.json.write(to: staging.appending(path: TRLRunRecord.fileName))
            return record
        }
    }

    /// Fills a hidden folder beside `out` and renames it into place: an interrupted export leaves
    /// nothing under the requested name. `out` must be absent or empty.
    private func writeStaged(_ fill: (URL) throws -> TRLRunRecord) throws -> TRLRunRecord {
        let manager = FileManager.default
        if manager.fileExists(atPath: out.path) {
            guard (try? manager.contentsOfDirectory(atPath: out.path))?.isEmpty == true else {
                throw TrainingError("\(out.path) exists and is not an empty folder; export into a new folder")
            }
            try manager.removeItem(at: out)
        }
        let parent = out.deletingLastPathComponent()
        try manager.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appending(path: ".\(out.lastPathComponent).partial-\(UUID().uuidString)")
        try manager.createDirectory(at: staging, withIntermediateDirectories: true)
        do {
            let record = try fill(staging)
            try manager.moveItem(at: staging, to: out)
            return record
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
    }
}
