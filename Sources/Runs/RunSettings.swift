import Foundation
import Interchange
import JSON
import Training
import VLM

/// LoRA as a run asks for it: PEFT's numbers, the projections to adapt, and whether the vision
/// tower's are adapted too. The model turns the names into its `target_modules`.
public struct LoRASettings: Codable, Equatable, Sendable {
    public var rank: Int
    public var alpha: Float
    public var dropout: Float
    public var modules: [String]
    public var includeVision: Bool

    public init(rank: Int, alpha: Float = 16, dropout: Float = 0, modules: [String] = LoRAConfig.decoderProjections,
                includeVision: Bool = false) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.modules = modules
        self.includeVision = includeVision
    }

    func config(for model: any VisionLanguageModel) -> LoRAConfig {
        LoRAConfig(rank: rank, alpha: alpha, dropout: dropout, targets: model.loraTargets(modules, includeVision: includeVision))
    }
}

/// Everything that decides what a run makes. It is saved with the run (`run.json` in the run
/// folder) and with the checkpoint it registers (the workspace's training configuration), and a
/// resumed run must ask for the same (only how often it saves and evaluates may change).
public struct RunSettings: Codable, Equatable, Sendable {
    public enum Method: String, Codable, Sendable { case sft, dpo }

    public var method: Method
    /// The content id of the model the run starts from.
    public var modelID: String
    /// Where the data came from (a file, or a dataset version), for people.
    public var data: String
    /// The content id of the training data (SHA-256 of the file's bytes, or the dataset
    /// version's content hash): what resuming compares.
    public var dataID: String
    public var evalDataID: String?
    public var training: TrainingOptions
    public var dpo: DPOSettings?
    public var lora: LoRASettings?
    public var freezeVision: Bool
    public var quantize: Quantization?
    public var initRandom: Bool
    public var packByImage: Bool
    /// SFT's image-token word loss (`ImageTokenWords`): its weight and the content id of the
    /// world.json it reads the targets from.
    public var imageWords: ImageWords? = nil
    /// DPO's reference: the content id of its model folder (with "adapters-disabled" and the
    /// quantization for a LoRA run's base as held).
    public var referenceID: String?

    public static let fileName = "run.json"

    public struct ImageWords: Codable, Equatable, Sendable {
        public var weight: Float
        public var worldID: String
        /// true when the words give each object's place too (absent otherwise, as before it existed)
        public var places: Bool? = nil
    }

    /// The id of DPO's reference: with LoRA, the starting model with its adapters off (as held:
    /// NF4 log-probs are not the fp32 base's); otherwise the reference folder's content id (the
    /// starting model's when nil), hashed.
    func reference(modelID referenceModelID: String?) -> String {
        var id = SHA256()
        guard lora != nil else {
            id.update(referenceModelID ?? modelID)
            return id.hexDigest()
        }
        id.update(modelID)
        id.update("adapters-disabled")
        if let quantize { id.update(quantize.rawValue) }
        return id.hexDigest()
    }

    /// The settings as a JSON object (the workspace's training configuration).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)  // plain values always encode
    }

    /// What differs from `saved`, one "key: saved → now" per setting, leaving out those a
    /// resumed run may change.
    func differences(from saved: RunSettings) -> [String] {
        func flat(_ settings: RunSettings) -> [String: String] {
            var out: [String: String] = [:]
            func walk(_ value: JSONValue, _ path: String) {
                if let members = value.objectValue {
                    for (key, child) in members { walk(child, path.isEmpty ? key : "\(path).\(key)") }
                } else {
                    out[path] = value.serialized(indent: 0)
                }
            }
            walk((try? JSONValue(parsing: settings.json)) ?? .null, "")
            return out
        }
        let mayChange: Set = ["data", "training.saveSteps", "training.evalSteps"]
        let (was, now) = (flat(saved), flat(self))
        return Set(was.keys).union(now.keys).subtracting(mayChange).sorted().compactMap { key in
            was[key] == now[key] ? nil : "\(key): \(was[key] ?? "none") → \(now[key] ?? "none")"
        }
    }

    /// Writes the settings into a new run folder, or checks a resumed run's against them.
    func record(in run: URL, resume: Bool) throws {
        let url = run.appendingPathComponent(Self.fileName)
        if resume, let data = try? Data(contentsOf: url) {
            let saved: RunSettings
            do { saved = try JSONDecoder().decode(RunSettings.self, from: data) } catch {
                throw InputError(file: url.path, "not the settings of a run: \((error as? DecodingError)?.reason ?? "\(error)")")
            }
            let changed = differences(from: saved)
            guard changed.isEmpty else {
                throw TrainingError("\(url.path): the run was started with other settings; resume it with the same ones, or start a new run in another --out\n  " + changed.joined(separator: "\n  "))
            }
        }
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: url, options: .atomic)
    }
}
