import Foundation
import Tensor
import Testing
@testable import VLM

/// The tiny models that tools/fixtures/vlm_model_fixtures.py made with transformers, with the
/// batch it ran and what transformers computed.
struct FixtureModel {
    let folder: URL
    let ids: [[Int32]]
    let attentionMask: [[Int]]
    let lossMask: [[Int]]
    let loss: Double
    let expected: SafetensorsFile

    static let names = ["gqa-untied", "mha-tied"]

    static func folder(_ name: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/models/\(name)")
    }

    init(_ name: String) throws {
        folder = Self.folder(name)
        let inputs = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("inputs.json"))) as! [String: Any]
        ids = (inputs["input_ids"] as! [[Int]]).map { $0.map(Int32.init) }
        attentionMask = inputs["attention_mask"] as! [[Int]]
        lossMask = inputs["loss_mask"] as! [[Int]]
        loss = inputs["loss"] as! Double
        expected = try SafetensorsFile(path: folder.appendingPathComponent("expected.safetensors").path)
    }

    var batch: TextBatch {
        let length = ids[0].count
        let mask = Tensor(shape: [ids.count, length], values: attentionMask.flatMap { $0.map(Float.init) })
        return TextBatch(tokens: ids.flatMap { $0 }, batch: ids.count, length: length,
                         positions: ids.flatMap { row in row.indices.map(Int32.init) },
                         mask: TextAttentionMask(keyMask: mask))
    }

    func images(size: Int) throws -> ImageBatch {
        let pixels = try expected.tensor("pixel_values")
        let n = pixels.dim(0) * pixels.dim(1)
        let patchMask = Tensor(shape: [n, size], values: [Float](repeating: 1, count: n * size))
        return ImageBatch(pixels: pixels.reshaped([n, pixels.dim(2), pixels.dim(3), pixels.dim(4)]), patchMask: patchMask)
    }
}
