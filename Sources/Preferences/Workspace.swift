import Foundation
import GRDB

/// A team's alignment workspace: a folder holding the SQLite database, the content-addressed
/// image blobs and the checkpoint folders. Open one per process (or per writer); every instance
/// talks to the same file, and SQLite's locking serialises their write transactions.
public final class Workspace: Sendable {
    public static let databaseName = "workspace.sqlite"

    public let root: URL
    /// WAL mode: readers never block the writer, and a killed process leaves a journal SQLite
    /// rolls back on the next open.
    public let database: DatabasePool

    public var blobsFolder: URL { root.appending(path: "blobs", directoryHint: .isDirectory) }
    public var checkpointsFolder: URL { root.appending(path: "checkpoints", directoryHint: .isDirectory) }

    private init(root: URL, database: DatabasePool) {
        self.root = root
        self.database = database
    }

    /// Creates the folder (if needed), the database with the current schema, `blobs/` and
    /// `checkpoints/`.
    public static func create(at folder: URL) throws -> Workspace {
        let root = folder.standardizedFileURL
        let databaseFile = root.appending(path: databaseName)
        if FileManager.default.fileExists(atPath: databaseFile.path) {
            throw StoreError.alreadyAWorkspace(path: root.path)
        }
        for sub in [root, root.appending(path: "blobs"), root.appending(path: "checkpoints")] {
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        }
        return try connect(root: root)
    }

    /// Opens an existing workspace, migrating a database written by an older schema.
    public static func open(at folder: URL) throws -> Workspace {
        let root = folder.standardizedFileURL
        guard FileManager.default.fileExists(atPath: root.appending(path: databaseName).path) else {
            throw StoreError.notAWorkspace(path: root.path)
        }
        return try connect(root: root)
    }

    private static func connect(root: URL) throws -> Workspace {
        var configuration = Configuration()
        // Concurrent writers (review server requests, other processes) wait their turn instead
        // of failing: write transactions are IMMEDIATE, so waiting is all a busy writer needs.
        configuration.busyMode = .timeout(60)
        let pool = try DatabasePool(path: root.appending(path: databaseName).path, configuration: configuration)
        let migrator = Schema.migrator
        if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
            throw StoreError.newerSchema(path: root.path)
        }
        try migrator.migrate(pool)
        return Workspace(root: root, database: pool)
    }
}
