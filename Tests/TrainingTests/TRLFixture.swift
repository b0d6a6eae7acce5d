import Foundation
import Imaging
import JSON
import Tensor
import Testing
import Tokenization
import VLM
@testable import Training

/// What tools/fixtures/trl_fixtures.py recorded from TRL's DPOTrainer.
struct TRLFixture {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/trl")
    let json: JSONValue

    init() throws {
        json = try JSONValue(parsing: Data(contentsOf: Self.folder.appendingPathComponent("expected.json")))
    }

    static func ints(_ v: JSONValue?) -> [Int32] { (v?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) } }

    static func number(_ v: JSONValue?) -> Double? { v?.doubleValue }

    var pairEntries: [JSONValue] { json["pairs"]?.arrayValue ?? [] }

    /// The pairs as TRL tokenized them, with the images through our processor.
    func pairs(processor: ImageProcessor) throws -> [PreferencePair] {
        let lines = try String(contentsOf: Self.folder.appendingPathComponent("pairs.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        guard lines.count == pairEntries.count else {
            throw TrainingError("\(Self.folder.path): pairs.jsonl holds \(lines.count) pairs, expected.json \(pairEntries.count); "
                                + "regenerate both with tools/fixtures/trl_fixtures.py")
        }
        return try zip(pairEntries, lines).map { entry, line in
            let row = try JSONValue(parsing: String(line))
            guard let path = row["images"]?.arrayValue?.first?.stringValue else { throw TrainingError("no image") }
            let image = try RGBImage(contentsOf: Self.folder.appendingPathComponent(path))
            let tiles = processor.process(image).pixels
            let patches = (tiles.dim(2) / 8) * (tiles.dim(3) / 8)
            let mask = Tensor(shape: [tiles.dim(0), patches], values: [Float](repeating: 1, count: tiles.dim(0) * patches))
            return PreferencePair(prompt: Self.ints(entry["prompt_ids"]), chosen: Self.ints(entry["chosen_ids"]),
                                  rejected: Self.ints(entry["rejected_ids"]), images: ImageBatch(pixels: tiles, patchMask: mask),
                                  imageKeys: (0..<tiles.dim(0)).map { "\(path)#\($0)" })
        }
    }

    /// evaluate() metrics (without the eval_ prefix) and the first training steps' logs.
    func expected(loss: String) -> (eval: [String: Double], steps: [[String: Double]]) {
        guard let entry = json["losses"]?[loss] else { return ([:], []) }
        var eval: [String: Double] = [:]
        for (k, v) in entry["eval"]?.objectValue ?? [] where k.hasPrefix("eval_") { eval[String(k.dropFirst(5))] = v.doubleValue }
        return (eval, (entry["steps"]?.arrayValue ?? []).map(Self.metrics))
    }

    /// The DPO settings a loss of expected.json was recorded with.
    func settings(loss: String) throws -> DPOSettings {
        try Self.dpoSettings(json["losses"]?[loss]?["settings"], "expected.json losses.\(loss)")
    }

    /// A longer run of expected.json ("runs").
    func run(_ name: String) throws -> TRLRun {
        try TRLRun(json["runs"]?[name], "\(Self.folder.path)/expected.json runs.\(name)")
    }

    /// DPOSettings from the fixture's names: loss, beta, label_smoothing, rpo_alpha.
    static func dpoSettings(_ settings: JSONValue?, _ what: String) throws -> DPOSettings {
        guard let name = settings?["loss"]?.stringValue, let loss = DPOLossType(rawValue: name),
              let beta = settings?["beta"]?.doubleValue else { throw TrainingError("\(what): no loss and beta") }
        return DPOSettings(beta: Float(beta), loss: loss, labelSmoothing: Float(settings?["label_smoothing"]?.doubleValue ?? 0),
                           rpoAlpha: settings?["rpo_alpha"]?.doubleValue.map(Float.init))
    }

    /// The numbers of one logged step.
    static func metrics(_ log: JSONValue) -> [String: Double] {
        Dictionary((log.objectValue ?? []).compactMap { k, v in v.doubleValue.map { (k, $0) } }, uniquingKeysWith: { $1 })
    }
}
