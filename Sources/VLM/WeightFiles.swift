import Foundation
import Tensor

/// The safetensors files of a model folder: `model.safetensors`, or the shards that
/// `model.safetensors.index.json` lists.
public struct WeightFiles {
    public let folder: URL
    let files: [SafetensorsFile]
    /// tensor name → index into `files`
    let location: [String: Int]

    public init(folder: URL, prefix: String = "model") throws {
        self.folder = folder
        let single = folder.appendingPathComponent("\(prefix).safetensors")
        let indexURL = folder.appendingPathComponent("\(prefix).safetensors.index.json")
        var files: [SafetensorsFile] = [], location: [String: Int] = [:]
        if FileManager.default.fileExists(atPath: indexURL.path) {
            guard let data = try? Data(contentsOf: indexURL),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = json["weight_map"] as? [String: String]
            else { throw ModelError(file: indexURL.path, "not a safetensors index: needs a weight_map object of tensor → file") }
            var opened: [String: Int] = [:]
            for (name, shard) in map.sorted(by: { $0.key < $1.key }) {
                guard !shard.contains("/") else { throw ModelError(file: indexURL.path, "shard \(shard) of \(name) is not a file in the folder") }
                if opened[shard] == nil {
                    opened[shard] = files.count
                    files.append(try SafetensorsFile(path: folder.appendingPathComponent(shard).path))
                }
                let i = opened[shard]!
                guard files[i].entries[name] != nil else {
                    throw ModelError(file: files[i].path, "the index lists \(name) in this shard but it is not there")
                }
                location[name] = i
            }
        } else if FileManager.default.fileExists(atPath: single.path) {
            files = [try SafetensorsFile(path: single.path)]
            for name in files[0].entries.keys { location[name] = 0 }
        } else {
            throw ModelError(file: folder.path, "no \(prefix).safetensors or \(prefix).safetensors.index.json in the folder")
        }
        self.files = files
        self.location = location
    }

    public var names: Set<String> { Set(location.keys) }

    public func shape(of name: String) -> [Int]? { location[name].map { files[$0].entries[name]!.shape } }

    /// Fills every parameter of `parameters` from the files; NF4 parameters are read one at a
    /// time into a scratch buffer and quantized, so their fp32 values never exist all at once.
    /// Every missing, unexpected, wrongly shaped or unquantizable tensor is reported at once, by
    /// name. `aliases` maps a parameter to the stored tensor that supplies it when its own is
    /// absent (tied embeddings); `ignoring` names stored tensors that the model does without (a
    /// tied head's copy).
    public func load(into parameters: ParameterSet, aliases: [String: String] = [:], ignoring: Set<String> = []) throws {
        var problems: [String] = []
        var used = Set<String>()
        let largest = parameters.quantizedSpecs.map(\.count).max() ?? 0
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(largest, 1))
        defer { scratch.deallocate() }
        for (spec, quantized) in parameters.specs.map({ ($0, false) }) + parameters.quantizedSpecs.map({ ($0, true) }) {
            guard let source = location[spec.name] != nil ? spec.name : aliases[spec.name].flatMap({ location[$0] != nil ? $0 : nil }) else {
                problems.append("missing \(spec.name) \(spec.shape)")
                continue
            }
            let file = files[location[source]!], entry = file.entries[source]!
            used.insert(source)
            guard entry.shape == spec.shape else {
                problems.append("\(source): expected shape \(spec.shape), found \(entry.shape)")
                continue
            }
            guard quantized else {
                file.read(entry, into: parameters[spec.name].data)
                continue
            }
            file.read(entry, into: scratch)
            do {
                parameters.setQuantized(spec.name, try NF4Weight(quantizing: scratch, shape: spec.shape))
            } catch {
                problems.append("\(source): \(error)")
            }
        }
        for name in location.keys.sorted() where !used.contains(name) && !parameters.contains(name) && !ignoring.contains(name) {
            problems.append("unexpected \(name) \(shape(of: name)!)")
        }
        guard problems.isEmpty else {
            let where_ = files.count == 1 ? files[0].path : folder.path
            throw ModelError(file: where_, "weights do not match the model:\n  " + problems.joined(separator: "\n  "))
        }
    }
}
