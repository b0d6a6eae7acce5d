import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes that survive a power cut: the data reaches the disk (fsync) before a rename makes it
/// visible, and the rename itself is made durable by syncing the folder that holds it.
public enum DurableFiles {
    /// Flushes a file's or a folder's contents to the disk.
    public static func sync(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw InputError(file: url.path, "cannot open to sync: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw InputError(file: url.path, "cannot sync to disk: \(String(cString: strerror(errno)))") }
    }

    /// Writes `data` to a temporary file beside `url`, syncs it, renames it over `url` and syncs
    /// the folder: a reader sees the old contents or the new, never a part.
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        try data.write(to: temporary)
        do {
            try sync(temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw InputError(file: url.path, "cannot rename into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        try sync(url.deletingLastPathComponent())
    }
}
