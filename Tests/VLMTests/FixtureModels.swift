import Foundation
import Interchange
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

    /// The fixture's loss (mean next-token cross-entropy where `loss_mask` counts it) through a
    /// training pass of `model`, its gradients accumulated by backward; returns the loss.
    @discardableResult
    func lossAndBackward(_ model: Idefics3Model) throws -> Float {
        var rng = SeededGenerator(seed: 0)
        let pass = try model.forward(batch, images: try images(size: model.config.vision.patches), training: true, rng: &rng)
        var rows: [Int] = [], targets: [Int32] = []
        for b in 0..<batch.batch {
            for t in 0..<(batch.length - 1) where lossMask[b][t] == 1 {
                rows.append(b * batch.length + t)
                targets.append(ids[b][t + 1])
            }
        }
        let logits = model.logits(pass, rows: rows)
        let mask = Tensor(shape: [rows.count], values: [Float](repeating: 1, count: rows.count))
        let logp = Tensor(shape: [rows.count]), lse = Tensor(shape: [rows.count])
        let loss = CrossEntropy.forward(logits: logits, targets: targets, mask: mask, logp: logp, logSumExp: lse)
        let dLogits = Tensor(shape: logits.shape)
        CrossEntropy.backward(dLoss: 1, logits: logits, targets: targets, mask: mask, logSumExp: lse, dLogits: dLogits)
        model.backward(pass, rows: rows, dLogits: dLogits)
        return loss
    }
}
