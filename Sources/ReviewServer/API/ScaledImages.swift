import Foundation
import Imaging
import Preferences

/// Images shrunk to fit a reviewer's screen (`GET /api/images/ID?fit=N`): made once per content
/// ID and size, and kept under the workspace's `cache/images/`, so large images stay fast.
enum ScaledImages {
    /// The sizes a request may ask for, in pixels of the longer side: powers of two, so the
    /// cache holds at most seven copies of an image, whatever reviewers ask.
    static let sizes = (6...12).map { 1 << $0 }

    /// The blob as PNG, its longer side shrunk to `longest` pixels.
    static func png(of blob: ImageBlob, fitting longest: Int, in workspace: Workspace) throws -> Data {
        let folder = workspace.root.appending(path: "cache/images", directoryHint: .isDirectory)
        let file = folder.appending(path: "\(blob.sha256)-\(longest).png")
        if let cached = try? Data(contentsOf: file) { return cached }
        let data = try RGBImage(contentsOf: workspace.blobURL(blob.sha256)).downscaled(toFit: longest).pngData()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try data.write(to: file, options: .atomic)
        return data
    }
}
