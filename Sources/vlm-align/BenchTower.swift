import ArgumentParser
import Benchmarks
import Foundation
import Tensor

struct BenchTower: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tower",
        abstract: "The vision tower's forward and backward on a batch of images: seconds, the FLOPs of its products, and the machine's sgemm rate.")

    @Option(help: "smolvlm-256m or tiny.") var shape = ModelBenchmark.Shape.smolvlm256m
    @Option(help: "Images in the batch.") var images = 1
    @Option(help: "Timed passes after one untimed (the fastest is reported).") var repeats = 3
    @Flag(help: "One JSON object.") var json = false

    func validate() throws {
        if shape != .smolvlm256m && shape != .tiny { throw ValidationError("--shape \(shape.rawValue): the tower benchmark runs Idefics3's tower (smolvlm-256m or tiny)") }
        if images < 1 { throw ValidationError("--images \(images): at least one image") }
        if repeats < 1 { throw ValidationError("--repeats \(repeats): at least one timed pass") }
    }

    func run() throws {
        let result = try VisionTowerBenchmark(shape: shape, images: images, repeats: repeats)
            .run(progress: benchProgress)
        printFigures(result, json: json)
    }
}
