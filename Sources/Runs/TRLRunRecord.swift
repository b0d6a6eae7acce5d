import Foundation
import Interchange

/// What a launch folder written by `vlm-align export trl` is in the lineage (`vlm_align_run.json`):
/// the checkpoint it starts from and the dataset version it trains on, each with its content id,
/// the settings the run would have in vlm-align, how it is launched, and the SHA-256 of the files
/// that decide what it trains (so that an import can tell the run it brings back is this one).
public struct TRLRunRecord: Codable, Equatable, Sendable {
    public struct Launch: Codable, Equatable, Sendable {
        public var gpus: Int
        public var nodes: Int
        public var deepSpeed: TRLExport.DeepSpeed
        /// bf16 mixed precision instead of vlm-align's fp32.
        public var bf16: Bool

        public var processes: Int { gpus * nodes }
    }

    public static let fileName = "vlm_align_run.json"
    /// What `train.py` writes into `output/` when it has finished: the SHA-256 of the record it ran.
    public static let finishedFileName = "vlm_align_finished.json"
    /// Where `train.py` writes the trained model or adapter, relative to the launch folder.
    public static let outputFolder = "output"

    public var parentCheckpoint: Int64
    public var parentContentHash: String
    public var datasetVersion: Int64
    public var datasetContentHash: String
    /// The model `train.py` loads: `model` (the checkpoint, copied into the folder) or a Hugging
    /// Face id or path on the training machines.
    public var baseModel: String
    public var settings: RunSettings
    public var launch: Launch
    /// Relative path → SHA-256 of the files that decide the run: the data, train.py, the configs.
    public var files: [String: String]
    /// The package versions `requirements.txt` pins.
    public var versions: [String: String]

    /// Reads a launch folder's record; an error names the file.
    public static func read(_ folder: URL) throws -> (record: TRLRunRecord, hash: String) {
        let url = folder.appendingPathComponent(fileName)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InputError(file: url.path, "cannot read: not a launch folder written by `vlm-align export trl`?")
        }
        do {
            return (try JSONDecoder().decode(TRLRunRecord.self, from: data), SHA256.hex(data))
        } catch {
            throw InputError(file: url.path, "not a TRL run record: \((error as? DecodingError)?.reason ?? "\(error)")")
        }
    }

    var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try! encoder.encode(self)  // plain values always encode
    }
}
