import Foundation
import Interchange

/// A Hugging Face model folder as the store takes it in: checked for a config and weights, and
/// hashed over its files.
struct HuggingFaceFolder {
    let contents: FolderContents
    var url: URL { contents.url }
    var files: [String] { contents.files }

    /// Checks the folder; an error names the file at fault and what is wrong.
    init(at url: URL) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw StoreError.badInput(file: url.path, line: nil, problem: "no such model folder")
        }
        do { contents = try FolderContents(url) } catch let error as InputError { throw StoreError(error) }
        let files = contents.files
        let config = self.url.appending(path: "config.json")
        guard files.contains("config.json") else {
            throw StoreError.badInput(file: url.path, line: nil, problem: "not a Hugging Face model folder: no config.json")
        }
        guard (try? JSONSerialization.jsonObject(with: Data(contentsOf: config))) is [String: Any] else {
            throw StoreError.badInput(file: config.path, line: nil, problem: "not a JSON object")
        }
        if files.contains("model.safetensors.index.json") {
            let index = self.url.appending(path: "model.safetensors.index.json")
            guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: index)) as? [String: Any],
                  let weightMap = object["weight_map"] as? [String: String]
            else { throw StoreError.badInput(file: index.path, line: nil, problem: "no \"weight_map\" object") }
            if let missing = Set(weightMap.values).sorted().first(where: { !files.contains($0) }) {
                throw StoreError.badInput(file: index.path, line: nil, problem: "names shard \(missing), which is not in the folder")
            }
        } else if !files.contains("model.safetensors") && !files.contains("adapter_model.safetensors") {
            throw StoreError.badInput(file: url.path, line: nil,
                                      problem: "no weights: model.safetensors, model.safetensors.index.json or adapter_model.safetensors")
        }
    }
}

extension HuggingFaceFolder {
    func contentHash() throws -> String { try contents.contentHash() }
    func copy(to destination: URL) throws { try contents.copy(to: destination) }
}
