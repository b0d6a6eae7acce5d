import Foundation
import Interchange
import Tensor
import VLM

/// The Idefics3 vision tower trained on one batch of images — forward with what backward
/// needs, then backward — at SmolVLM-256M's shapes (or the small one), its products recorded by
/// shape and set against the machine's sgemm rate: patch embedding, attention over every patch,
/// MLPs, norms, with random weights.
public struct VisionTowerBenchmark {
    public var shape: ModelBenchmark.Shape
    public var images: Int
    public var repeats: Int

    public init(shape: ModelBenchmark.Shape, images: Int, repeats: Int) {
        self.shape = shape
        self.images = images
        self.repeats = repeats
    }

    /// Named figures in a fixed order (seconds, GFLOP, GFLOP/s, MiB, shares in 0…1).
    public func run(progress: (String) -> Void = { _ in }) throws -> [(String, Double)] {
        let config = try ModelBenchmark(shape: shape, textTokens: 1, newTokens: 2, repeats: 1).config()
        let model = try QLoRABenchmark.randomModel(config, quantization: nil)
        model.parameters.enableGradients()
        let tower = Idefics3Model(config: config, parameters: model.parameters).vision
        let v = config.vision, side = v.imageSize / v.patchSize
        var rng = SeededGenerator(seed: 8)
        let pixels = Tensor.uniform(shape: [images, v.channels, v.imageSize, v.imageSize], using: &rng)
        let mask = Tensor(shape: [images, side * side], values: [Float](repeating: 1, count: images * side * side))
        let dOut = Tensor.uniform(shape: [images, side * side, v.hiddenSize], scale: 1e-3, using: &rng)
        func pass() -> (forward: Double, total: Double) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let (_, saved) = tower.forward(pixels: pixels, patchMask: mask, training: true, rng: &rng)
            let t1 = DispatchTime.now().uptimeNanoseconds
            tower.backward(dOut, saved: saved, keyMask: mask)
            let t2 = DispatchTime.now().uptimeNanoseconds
            return (Double(t1 - t0) / 1e9, Double(t2 - t0) / 1e9)
        }
        progress("warm-up pass")
        _ = pass()
        let (times, recording) = GemmRecording.record {
            (0..<repeats).map { i -> (forward: Double, total: Double) in
                progress("timed pass \(i + 1) of \(repeats)")
                return pass()
            }
        }
        let best = times.map(\.total).min()!, forward = times.map(\.forward).min()!
        return [
            ("threads", Double(Parallel.threads)), ("images", Double(images)), ("patches_per_image", Double(side * side)),
            ("forward_seconds", forward), ("forward_backward_seconds", best),
        ] + GemmRate.figures(recording, passes: repeats, seconds: best, progress: progress)
    }
}
