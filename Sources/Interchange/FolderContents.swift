import Foundation

/// The files of a folder (a Hugging Face model folder, say) and its content id: SHA-256 over
/// each file's relative path and content, in path order. The store names checkpoints by it and
/// training keys its reference caches by it, so one model has one identity everywhere.
public struct FolderContents: Sendable {
    public let url: URL
    /// Relative paths of the folder's files: hidden entries (such as `.cache/`) and the
    /// lineage export (`vlm_align.json`, a record about the model, not the model) left out.
    public let files: [String]

    /// Lists the folder; links are followed, and a link to nothing, or to something outside the
    /// folder, is an error naming it. (A Hugging Face cache snapshot, `…/snapshots/<revision>`,
    /// links into its repository's `blobs/`: anywhere in that repository is inside.)
    public init(_ url: URL) throws {
        self.url = url.standardizedFileURL
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw InputError(file: url.path, "no such folder")
        }
        let resolved = self.url.resolvingSymlinksInPath()
        let parent = resolved.deletingLastPathComponent()
        let inside = (parent.lastPathComponent == "snapshots" ? parent.deletingLastPathComponent() : resolved).path + "/"
        var files: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let folder = relative.isEmpty ? self.url : self.url.appending(path: relative)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
            where !name.hasPrefix(".") && !(relative.isEmpty && name == Lineage.fileName) {
                let path = relative.isEmpty ? name : "\(relative)/\(name)"
                var isFolder: ObjCBool = false
                // fileExists follows links: a link to a folder is walked, a link to a file is a file.
                let entry = self.url.appending(path: path)
                guard FileManager.default.fileExists(atPath: entry.path, isDirectory: &isFolder) else {
                    throw InputError(file: entry.path, "a link to nothing")
                }
                let target = entry.resolvingSymlinksInPath().path
                guard target.hasPrefix(inside) else { throw InputError(file: entry.path, "a link to \(target), outside the folder") }
                if isFolder.boolValue { pending.append(path) } else { files.append(path) }
            }
        }
        self.files = files.sorted()
    }

    /// The content id.
    public func contentHash() throws -> String {
        var hasher = SHA256()
        for file in files { hasher.update("\(file)\u{0}\(try SHA256.hex(fileAt: url.appending(path: file)))\n") }
        return hasher.hexDigest()
    }

    /// Copies the files into `destination`, following symbolic links (a Hub cache snapshot is
    /// links into its blob store), so the copy stands alone.
    public func copy(to destination: URL) throws {
        for file in files {
            let target = destination.appending(path: file)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: url.appending(path: file).resolvingSymlinksInPath(), to: target)
        }
    }
}
