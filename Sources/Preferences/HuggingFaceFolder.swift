import Foundation

/// A Hugging Face model folder as the store takes it in: checked for a config and weights, and
/// hashed over its files.
struct HuggingFaceFolder {
    let url: URL
    /// Relative paths of the folder's files (hidden entries, such as `.cache/`, left out).
    let files: [String]

    /// Checks the folder; an error names the file at fault and what is wrong.
    init(at url: URL) throws {
        self.url = url.standardizedFileURL
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw StoreError.badInput(file: url.path, line: nil, problem: "no such model folder")
        }
        files = try Self.files(under: self.url)
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

    /// SHA-256 over each file's relative path and content, in path order.
    func contentHash() throws -> String {
        var hasher = SHA256()
        for file in files { hasher.update("\(file)\u{0}\(try SHA256.hex(fileAt: url.appending(path: file)))\n") }
        return hasher.hexDigest()
    }

    /// Copies the files into `destination`, following symbolic links (a Hub cache snapshot is
    /// links into its blob store), so the copy stands alone.
    func copy(to destination: URL) throws {
        for file in files {
            let target = destination.appending(path: file)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: url.appending(path: file).resolvingSymlinksInPath(), to: target)
        }
    }

    private static func files(under root: URL) throws -> [String] {
        var files: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let folder = relative.isEmpty ? root : root.appending(path: relative)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where !name.hasPrefix(".") {
                let path = relative.isEmpty ? name : "\(relative)/\(name)"
                var isFolder: ObjCBool = false
                // fileExists follows links: a link to a folder is walked, a link to a file is a file.
                guard FileManager.default.fileExists(atPath: root.appending(path: path).path, isDirectory: &isFolder) else {
                    throw StoreError.badInput(file: root.appending(path: path).path, line: nil, problem: "a link to nothing")
                }
                if isFolder.boolValue { pending.append(path) } else { files.append(path) }
            }
        }
        return files.sorted()
    }
}
