import Foundation
import Imaging
import Interchange
import JSON
import ShapesWorld
import Tensor
import Training
import VLM

/// `vlm-align shapes pretrain`: teaches a ShapesWorld model's vision tower to see before
/// anything reads it, as a real VLM's tower is pretrained before its decoder ever answers.
/// Every step draws fresh scenes of the world's style; linear heads on the tower's patch outputs
/// (`PatchHeads`) learn the shape, colour and size under each patch and of each object, and their
/// loss trains the tower. The saved model keeps the tower, its outputs centred (below); the
/// connector and decoder are the fresh weights `--init-random` would draw, and the heads are
/// dropped.
///
/// Centring: the trained tower's outputs share a common vector several times larger than what
/// varies between patches (norm ~17 against ~3; two tokens of an image at cosine ~0.9), so to a
/// fresh connector and decoder every image token looks alike, and they learn to read colour
/// slowly and to single out an object not at all (docs/shapesworld.md). Its mean over fresh
/// scenes is subtracted through the last LayerNorm's bias, which leaves what varies untouched.
public struct TowerPretraining {
    public struct Settings: Codable, Sendable {
        public var steps = 3000
        public var batchSize = 32
        public var learningRate: Float = 3e-3
        public var warmupSteps = 100
        public var weightDecay: Float = 0
        public var seed: UInt64 = 1
        /// Held-out scenes (the world's eval split) measured every `evalSteps` and at the end.
        public var evalScenes = 500
        public var evalSteps = 250
        /// Fresh scenes whose mean output is subtracted at the end.
        public var centringScenes = 512

        public init() {}
    }

    public let world: World
    public let worldFolder: URL
    public let settings: Settings

    /// Reads the world (its style, seed, eval scenes and model folder).
    public init(world folder: URL, settings: Settings) throws {
        world = try World.load(from: folder)
        worldFolder = folder
        self.settings = settings
    }

    /// One line of `pretrain.jsonl`: a step's loss and accuracies, a held-out measurement, or the
    /// centring at the end (`feature_mean_norm`, `centring_scenes`).
    public struct Report: Sendable {
        public enum Kind: Sendable { case step, heldOut, centring }
        public var step: Int
        public var values: [String: Double]
        public var kind: Kind
        public var seconds: Double
    }

    /// Trains and writes OUT/model (the world's model folder with weights) and OUT/pretrain.jsonl.
    public func run(out: URL, report: (Report) -> Void) throws {
        let modelFolder = worldFolder.appendingPathComponent("model")
        let model = try ModelFolder.initialize(modelFolder, seed: settings.seed).trainable(freezing: [.connector, .language])
        let processor = try model.processor(folder: modelFolder)
        guard let patch = try Self.patchSize(modelFolder: modelFolder, style: world.options.style) else {
            throw InputError(file: modelFolder.appendingPathComponent("config.json").path, "no vision_config.patch_size")
        }
        let heads = PatchHeads(classes: PatchLabels.classes, width: model.visionFeatures(try images([scene(0)], processor)).dim(-1))
        let tower = ParameterUpdater(trainable: model.parameters, optimizer: AdamW(weightDecay: settings.weightDecay), maxGradNorm: 1)
        let probes = ParameterUpdater(trainable: heads.parameters, optimizer: AdamW(weightDecay: settings.weightDecay), maxGradNorm: 1)
        let schedule = LearningRateSchedule(kind: .cosine, base: settings.learningRate, warmupSteps: settings.warmupSteps,
                                            totalSteps: settings.steps)
        let evalIDs = Set(world.prompts.filter { $0.split == "eval" }.map(\.sceneID))
        let held = Array(world.scenes.filter { evalIDs.contains($0.id) }.prefix(settings.evalScenes))
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let log = out.appendingPathComponent("pretrain.jsonl")
        try Data().write(to: log)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        func emit(_ r: Report) {
            var line = r.values
            line["step"] = Double(r.step)
            line["seconds"] = r.seconds
            let text = line.keys.sorted().map { key -> String in
                let v = line[key]!
                return "\"\(key)\":" + (v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)")
            }.joined(separator: ",")
            handle.write(Data(("{" + text + "}\n").utf8))
            report(r)
        }
        let start = Date()
        var rng = SeededGenerator(seed: settings.seed, stream: 7, index: 0)
        for step in 1...settings.steps {
            let scenes = (0..<settings.batchSize).map { scene((step - 1) * settings.batchSize + $0) }
            let batch = try images(scenes, processor)
            let pass = model.forwardVision(batch, rng: &rng)
            let dFeatures = Tensor(shape: pass.hidden.shape)
            let result = heads.evaluate(features: pass.hidden, targets: targets(scenes, patch: patch), dFeatures: dFeatures)
            model.backwardVision(pass, dFeatures: dFeatures)
            let lr = schedule.rate(at: step - 1)
            let norm = try tower.apply(lr: lr)
            _ = try probes.apply(lr: lr)
            var values = accuracies(result)
            values["loss"] = Double(result.loss)
            values["grad_norm"] = Double(norm)
            values["learning_rate"] = Double(lr)
            emit(Report(step: step, values: values, kind: .step, seconds: Date().timeIntervalSince(start)))
            if step % settings.evalSteps == 0 || step == settings.steps {
                let measured = try measure(held, model: model, heads: heads, processor: processor, patch: patch)
                emit(Report(step: step, values: measured, kind: .heldOut, seconds: Date().timeIntervalSince(start)))
            }
        }
        let mean = try meanFeatures(scenesForCentring, model: model, processor: processor)
        model.centerVisionFeatures(on: mean)
        emit(Report(step: settings.steps, values: ["feature_mean_norm": Double(mean.reduce(0) { $0 + $1 * $1 }.squareRoot()),
                                                   "centring_scenes": Double(settings.centringScenes)],
                    kind: .centring, seconds: Date().timeIntervalSince(start)))
        try ModelFolder.save(model, to: out.appendingPathComponent("model"), companionsFrom: modelFolder)
    }

    /// Pretraining scene i: the world's style from a stream of its seed that no split uses.
    private func scene(_ i: Int) -> Scene {
        var rng = SeededGenerator(seed: world.options.seed, stream: 9, index: i)
        return Scene.random(id: "pretrain-\(i)", style: world.options.style, using: &rng)
    }

    /// Fresh scenes for the centring, after every training step's.
    var scenesForCentring: [Scene] {
        (0..<settings.centringScenes).map { scene(settings.steps * settings.batchSize + $0) }
    }

    /// The tower's output averaged over every patch of the scenes.
    func meanFeatures(_ scenes: [Scene], model: any VisionLanguageModel, processor: any Processor) throws -> [Float] {
        var sum: [Double] = [], rows = 0
        for start in stride(from: 0, to: scenes.count, by: 64) {
            let features = model.visionFeatures(try images(Array(scenes[start..<min(start + 64, scenes.count)]), processor))
            let d = features.dim(-1)
            if sum.isEmpty { sum = [Double](repeating: 0, count: d) }
            for r in 0..<features.rows {
                for j in 0..<d { sum[j] += Double(features[r * d + j]) }
            }
            rows += features.rows
        }
        return sum.map { Float($0 / Double(max(rows, 1))) }
    }

    private func images(_ scenes: [Scene], _ processor: any Processor) throws -> ImageBatch {
        let batches = try scenes.map { scene -> ImageBatch in
            guard let batch = try processor.encodePrompt(processor.imagePlaceholder, images: [scene.render()]).images else {
                throw InputError(file: worldFolder.path, "the model's processor made no image tiles")
            }
            return batch
        }
        return try ImageBatch.concatenate(batches)!
    }

    private func targets(_ scenes: [Scene], patch: Int) -> PatchHeads.Targets {
        var patches = PatchLabels.classes.map { _ in [Int32]() }
        var regions: [PatchHeads.Region] = []
        for (i, scene) in scenes.enumerated() {
            let labels = scene.patchLabels(patchSize: patch)
            for a in patches.indices { patches[a] += labels.patches[a] }
            regions += labels.objects.map { PatchHeads.Region(image: i, coverage: $0.coverage, classes: $0.classes) }
        }
        return PatchHeads.Targets(patches: patches, regions: regions)
    }

    private func accuracies(_ r: PatchHeads.Result, prefix: String = "") -> [String: Double] {
        var values: [String: Double] = [:]
        for (a, name) in PatchLabels.attributes.enumerated() {
            values["\(prefix)patch_\(name)_accuracy"] = Double(r.patchCorrect[a]) / Double(max(r.patches, 1))
            values["\(prefix)object_\(name)_accuracy"] = Double(r.regionCorrect[a]) / Double(max(r.regions, 1))
        }
        return values
    }

    /// The heads' accuracy per object and per patch on held-out scenes, without gradients.
    private func measure(_ scenes: [Scene], model: any VisionLanguageModel, heads: PatchHeads, processor: any Processor,
                         patch: Int) throws -> [String: Double] {
        var total = PatchHeads.Result(loss: 0, patchCorrect: [0, 0, 0], regionCorrect: [0, 0, 0], patches: 0, regions: 0)
        var batches = 0.0
        for start in stride(from: 0, to: scenes.count, by: 64) {
            let chunk = Array(scenes[start..<min(start + 64, scenes.count)])
            let r = heads.evaluate(features: model.visionFeatures(try images(chunk, processor)),
                                   targets: targets(chunk, patch: patch), dFeatures: nil)
            total.loss += r.loss
            batches += 1
            for a in 0..<3 {
                total.patchCorrect[a] += r.patchCorrect[a]
                total.regionCorrect[a] += r.regionCorrect[a]
            }
            total.patches += r.patches
            total.regions += r.regions
        }
        var values = accuracies(total, prefix: "eval_")
        values["eval_loss"] = Double(total.loss) / max(batches, 1)
        return values
    }

    /// The tower's patch size, checked against the world's images (whole patches only).
    static func patchSize(modelFolder: URL, style: SceneStyle) throws -> Int? {
        let url = modelFolder.appendingPathComponent("config.json")
        let json = try JSONValue(parsing: Data(contentsOf: url))
        guard let patch = json["vision_config"]?["patch_size"]?.intValue else { return nil }
        guard patch > 0, style.width % patch == 0, style.height % patch == 0 else {
            throw InputError(file: url.path, "patch size \(patch) does not divide the world's \(style.width)×\(style.height) images")
        }
        return patch
    }
}
