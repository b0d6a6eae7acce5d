import Foundation
import Interchange

/// What an import accepts of the images its file names.
public struct ImagePolicy: Sendable {
    /// Images of more pixels are refused (from their headers).
    public var maxPixels = ImageLimits.pixelBudget
    /// The folder images must be in (nil: the import file's own). A dataset whose files name
    /// `../images/…` (ShapesWorld's) names its root here.
    public var root: URL?
    /// Accept images anywhere: absolute paths, and relative ones that climb out of the root.
    public var allowOutsidePaths = false

    public init(maxPixels: Int = ImageLimits.pixelBudget, root: URL? = nil, allowOutsidePaths: Bool = false) {
        self.maxPixels = maxPixels
        self.root = root
        self.allowOutsidePaths = allowOutsidePaths
    }
}

/// The image files an import file names, resolved against the import file's folder and checked
/// (inside that folder, present, readable, PNG or JPEG, within the pixel budget) before
/// anything is written.
struct ImageFiles {
    let source: URL
    let policy: ImagePolicy
    private var checked: Set<String> = []

    init(source: URL, policy: ImagePolicy) {
        self.source = source
        self.policy = policy
    }

    /// The image's location; an error names the import file, its line and the image.
    mutating func check(_ path: String, line: Int) throws -> URL {
        let url = JSONLines.resolve(path, against: source).standardizedFileURL
        if checked.contains(url.path) { return url }
        let folder = (policy.root ?? source.deletingLastPathComponent()).standardizedFileURL.path
        guard policy.allowOutsidePaths || url.path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") else {
            throw StoreError.badInput(file: source.path, line: line,
                                      problem: "image \"\(path)\" is outside \(folder); name the dataset's folder with --image-root DIR, or pass --allow-outside-paths")
        }
        let problem: String
        if !FileManager.default.fileExists(atPath: url.path) {
            problem = "image \"\(path)\" not found (looked for \(url.path))"
        } else if let handle = try? FileHandle(forReadingFrom: url) {
            defer { try? handle.close() }
            do {
                let header = try ImageFormat.header(of: (try? handle.read(upToCount: 1 << 16)) ?? Data())
                if let tooLarge = ImageLimits.problem(width: header.width, height: header.height, budget: policy.maxPixels) {
                    throw ImageFormat.HeaderError(tooLarge)
                }
                checked.insert(url.path)
                return url
            } catch {
                problem = "image \"\(path)\": \(error)"
            }
        } else {
            problem = "image \"\(path)\" cannot be read"
        }
        throw StoreError.badInput(file: source.path, line: line, problem: problem)
    }

    /// The bytes of a checked image.
    func bytes(of url: URL, line: Int) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw StoreError.badInput(file: source.path, line: line, problem: "image \(url.path) cannot be read: \(error.localizedDescription)")
        }
    }
}

extension Workspace {
    /// The rows of a JSONL file the user gave, errors as the store reports them.
    static func rows<Row: Decodable>(_ type: Row.Type, from file: URL) throws -> [(line: Int, row: Row)] {
        do { return try JSONLines.read(Row.self, from: file) } catch let error as InputError { throw StoreError(error) }
    }
}
