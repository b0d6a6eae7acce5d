import ArgumentParser
import Foundation
import Runs

struct ShapesPretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Teach a world's model to see: train its vision tower alone on what lies under each patch.",
        discussion: """
            Every step draws fresh scenes in the world's style; linear heads on the tower's patch \
            outputs learn the shape, colour and size under each patch and of each object, and their \
            loss trains the tower (AdamW, warmup then cosine decay, gradient norm clipped to 1). \
            OUT/model is the world's model folder with weights: the trained tower, the connector and \
            decoder drawn fresh (seeded); the heads are not kept. At the end the tower's mean output \
            over fresh scenes is subtracted (through its last LayerNorm's bias), so that image tokens \
            differ enough for a fresh decoder to tell them apart. OUT/pretrain.jsonl has the loss and \
            accuracies of every step and, every --eval-steps, the heads' accuracy on the world's \
            held-out scenes.
            """
    )

    @Option(help: "A world written by `shapes generate` (its style, seed, eval scenes, model folder).") var world: String
    @Option(help: "Folder for model/ and pretrain.jsonl.") var out: String
    @Option var steps = 3000
    @Option(name: .customLong("batch-size"), help: "Scenes per step.") var batchSize = 32
    @Option(name: .customLong("learning-rate")) var learningRate: Float = 3e-3
    @Option(name: .customLong("warmup-steps")) var warmupSteps = 100
    @Option(name: .customLong("weight-decay")) var weightDecay: Float = 0
    @Option(help: "Seed of the initial weights and the training scenes' order.") var seed: UInt64 = 1
    @Option(name: .customLong("eval-scenes"), help: "Held-out scenes to measure on.") var evalScenes = 500
    @Option(name: .customLong("eval-steps")) var evalSteps = 250
    @Option(name: .customLong("centring-scenes"), help: "Fresh scenes whose mean output the tower's is centred on.")
    var centringScenes = 512

    func validate() throws {
        guard steps > 0, batchSize > 0, evalSteps > 0, evalScenes > 0, centringScenes > 0 else {
            throw ValidationError("--steps, --batch-size, --eval-steps, --eval-scenes and --centring-scenes must be positive")
        }
        guard learningRate > 0, warmupSteps >= 0, weightDecay >= 0 else {
            throw ValidationError("--learning-rate must be positive, --warmup-steps and --weight-decay not negative")
        }
    }

    func run() throws {
        var settings = TowerPretraining.Settings()
        settings.steps = steps
        settings.batchSize = batchSize
        settings.learningRate = learningRate
        settings.warmupSteps = warmupSteps
        settings.weightDecay = weightDecay
        settings.seed = seed
        settings.evalScenes = evalScenes
        settings.evalSteps = evalSteps
        settings.centringScenes = centringScenes
        let pretraining = try TowerPretraining(world: URL(fileURLWithPath: world), settings: settings)
        let live = isatty(STDOUT_FILENO) != 0
        var lastLine = Date.distantPast
        try pretraining.run(out: URL(fileURLWithPath: out)) { r in
            let v = r.values
            switch r.kind {
            case .heldOut:
                if live { print("\r\u{1B}[K", terminator: "") }
                print(String(format: "eval @ step %d: objects shape %.3f colour %.3f size %.3f  patches shape %.3f  loss %.4f",
                             r.step, v["eval_object_shape_accuracy"]!, v["eval_object_colour_accuracy"]!,
                             v["eval_object_size_accuracy"]!, v["eval_patch_shape_accuracy"]!, v["eval_loss"]!))
            case .centring:
                print(String(format: "centred: the tower's mean output over %.0f fresh scenes (norm %.2f) is subtracted",
                             v["centring_scenes"]!, v["feature_mean_norm"]!))
            case .step where live || Date().timeIntervalSince(lastLine) >= 5:
                lastLine = Date()
                let eta = r.seconds / Double(r.step) * Double(steps - r.step)
                let text = String(format: "step %d/%d  loss %.4f  object shape %.3f  %@ left", r.step, steps, v["loss"]!,
                                  v["object_shape_accuracy"]!, ProgressLine.duration(eta))
                print(live ? "\r\u{1B}[K" + text : text, terminator: live ? "" : "\n")
            case .step: break
            }
            fflush(nil)
        }
        if live { print() }
        print("model: \(out)/model  log: \(out)/pretrain.jsonl")
    }
}
