import Foundation
import Interchange
import ShapesWorld
import Training
import VLM

/// `sft --image-words W` on ShapesWorld data: the words under each image token of every train
/// scene, from the world's truth (`Scene.cellWords`), for `ImageTokenWords`.
enum ImageWordTargets {
    /// Targets for the train scenes of the world that holds `data`; each token's words share
    /// its probability equally.
    static func load(data: URL, weight: Float, places: Bool, processor: any Processor, tokensPerImage: Int) throws -> ImageTokenWords {
        guard let folder = World.folder(containing: data) else {
            throw InputError(file: data.path, "--image-words reads what lies under each image token from a ShapesWorld: the data must be a world's file (world.json two folders up)")
        }
        let world = try World.load(from: folder)
        let grid = Int(Double(tokensPerImage).squareRoot().rounded())
        let side = world.options.style.width
        guard grid * grid == tokensPerImage, side % grid == 0, world.options.style.height == side, !places || grid <= 10 else {
            throw InputError(file: folder.appendingPathComponent("model/config.json").path,
                             "--image-words needs square images cut into a square grid of image tokens (with --image-word-places, of at most 10 × 10); the model has \(tokensPerImage) tokens for \(side)×\(world.options.style.height) images")
        }
        var tokens: [String: Int32] = [:]
        func token(_ word: String) throws -> Int32 {
            if let known = tokens[word] { return known }
            let ids = try processor.encode(word)
            guard ids.count == 1 else { throw TrainingError("--image-words: the tokenizer splits \"\(word)\" into \(ids.count) tokens") }
            tokens[word] = ids[0]
            return ids[0]
        }
        let trained = Set(world.prompts.filter { $0.split == "train" }.map(\.sceneID))
        var targets: [String: [[ImageTokenWords.Word]]] = [:]
        for scene in world.scenes where trained.contains(scene.id) {
            let key = try ImageTokenWords.key(of: folder.appendingPathComponent(World.imagePath(scene.id)))
            targets[key] = try scene.cellWords(cell: side / grid, places: places).map { words in
                try words.map { ImageTokenWords.Word(token: try token($0), probability: 1 / Float(words.count)) }
            }
        }
        return ImageTokenWords(targets: targets, weight: weight)
    }
}
