import Foundation
import Interchange
import JSON

extension World {
    /// The world a data file belongs to: DIR when the file lies in DIR/sft, DIR/eval, DIR/pairs or
    /// DIR/pools and DIR/world.json exists.
    public static func folder(containing file: URL) -> URL? {
        let folder = file.standardizedFileURL.deletingLastPathComponent().deletingLastPathComponent()
        return FileManager.default.fileExists(atPath: manifest(in: folder).path) ? folder : nil
    }

    /// Refuses a model whose image size or vocabulary differ from those of the world's model
    /// folder, before anything trains: its images would be resized under the answers' pixel
    /// coordinates, and words of the answers would be unknown to its tokenizer.
    public static func checkModel(_ model: URL, fits world: URL) throws {
        let own = world.appendingPathComponent("model")
        let (worldSide, modelSide) = (try imageSide(own), try imageSide(model))
        if worldSide != modelSide {
            throw InputError(file: model.appendingPathComponent("preprocessor_config.json").path,
                             "the model takes \(modelSide.map { "\($0)-pixel" } ?? "unsized") images, but the world \(world.path) has \(worldSide.map { "\($0)-pixel" } ?? "unsized") ones (shapes generate --size): train it on a world of its size")
        }
        let missing = try vocabulary(own).subtracting(vocabulary(model))
        if !missing.isEmpty {
            throw InputError(file: model.appendingPathComponent("tokenizer.json").path,
                             "the model's vocabulary lacks \(missing.count) words of the world \(world.path) (\(missing.sorted().prefix(5).joined(separator: ", "))…): its answers could not be written")
        }
    }

    private static func json(_ url: URL) throws -> JSONValue {
        guard let data = try? Data(contentsOf: url) else { throw InputError(file: url.path, "cannot read") }
        do { return try JSONValue(parsing: data) } catch { throw InputError(file: url.path, "not valid JSON: \(error)") }
    }

    private static func imageSide(_ folder: URL) throws -> Int? {
        try json(folder.appendingPathComponent("preprocessor_config.json"))["size"]?["longest_edge"]?.intValue
    }

    private static func vocabulary(_ folder: URL) throws -> Set<String> {
        let url = folder.appendingPathComponent("tokenizer.json")
        guard let vocab = try json(url)["model"]?["vocab"]?.objectValue else { throw InputError(file: url.path, "no model.vocab") }
        return Set(vocab.map(\.0))
    }
}
