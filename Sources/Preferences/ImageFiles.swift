import Foundation
import Interchange

/// The image files an import file names, resolved against the import file's folder and checked
/// (present, readable, PNG or JPEG) before anything is written.
struct ImageFiles {
    let source: URL
    /// Images of more pixels are refused (from their headers).
    let maxPixels: Int
    private var checked: Set<String> = []

    init(source: URL, maxPixels: Int) {
        self.source = source
        self.maxPixels = maxPixels
    }

    /// The image's location; an error names the import file, its line and the image.
    mutating func check(_ path: String, line: Int) throws -> URL {
        let url = JSONLines.resolve(path, against: source)
        if checked.contains(url.path) { return url }
        let problem: String
        if !FileManager.default.fileExists(atPath: url.path) {
            problem = "image \"\(path)\" not found (looked for \(url.path))"
        } else if let handle = try? FileHandle(forReadingFrom: url) {
            defer { try? handle.close() }
            do {
                let header = try ImageFormat.header(of: (try? handle.read(upToCount: 1 << 16)) ?? Data())
                if let tooLarge = ImageLimits.problem(width: header.width, height: header.height, budget: maxPixels) {
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
