import Foundation
import Imaging
import Tensor
import Testing
import VLM
@testable import Training

/// What tools/fixtures/trl_fixtures.py recorded from TRL's DPOTrainer.
struct TRLFixture {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/trl")
    let json: [String: JSONValue]

    init() throws {
        json = try JSONValue.parse(Data(contentsOf: Self.folder.appendingPathComponent("expected.json"))).object!
    }

    static func ints(_ v: JSONValue?) -> [Int32] {
        guard case .array(let items)? = v else { return [] }
        return items.compactMap { if case .number(let n) = $0 { Int32(n) } else { nil } }
    }

    static func number(_ v: JSONValue?) -> Double? { if case .number(let n)? = v { n } else { nil } }

    var pairEntries: [[String: JSONValue]] {
        guard case .array(let items)? = json["pairs"] else { return [] }
        return items.compactMap(\.object)
    }

    /// The pairs as TRL tokenized them, with the images through our processor.
    func pairs(processor: ImageProcessor) throws -> [PreferencePair] {
        let lines = try String(contentsOf: Self.folder.appendingPathComponent("pairs.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        return try zip(pairEntries, lines).map { entry, line in
            let row = try JSONValue.parse(Data(line.utf8)).object!
            guard case .array(let paths)? = row["images"], case .string(let path)? = paths.first else { throw TrainingError("no image") }
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
        guard case .object(let losses)? = json["losses"], case .object(let entry)? = losses[loss] else { return ([:], []) }
        var eval: [String: Double] = [:]
        for (k, v) in entry["eval"]?.object ?? [:] where k.hasPrefix("eval_") { eval[String(k.dropFirst(5))] = Self.number(v) }
        var steps: [[String: Double]] = []
        if case .array(let logs)? = entry["steps"] {
            for log in logs.compactMap(\.object) { steps.append(log.compactMapValues { Self.number($0) }) }
        }
        return (eval, steps)
    }
}
