import Foundation
import GRDB
@testable import Preferences
import Testing

@Suite(.timeLimit(.minutes(10))) struct WorkspaceTests {
    @Test func createMakesDatabaseInWALModeWithFolders() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        for sub in ["workspace.sqlite", "blobs", "checkpoints"] {
            #expect(FileManager.default.fileExists(atPath: folder.appending("ws/\(sub)").path))
        }
        #expect(try workspace.database.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try workspace.database.read { try Schema.migrator.appliedMigrations($0) } == Schema.migrator.migrations)
        #expect(Schema.migrator.migrations.starts(with: ["v1", "v2", "v3"]))
        #expect(try workspace.reviewers().map(\.name) == [Reviewer.importedName])
    }

    @Test func createRefusesAnExistingWorkspaceAndOpenRefusesAPlainFolder() throws {
        let folder = try TemporaryFolder()
        _ = try Workspace.create(at: folder.appending("ws"))
        #expect(throws: StoreError.alreadyAWorkspace(path: folder.appending("ws").path)) { try Workspace.create(at: folder.appending("ws")) }
        #expect(throws: StoreError.notAWorkspace(path: folder.url.standardizedFileURL.path)) { try Workspace.open(at: folder.url) }
        #expect(!FileManager.default.fileExists(atPath: folder.appending(Workspace.databaseName).path))
    }

    /// A database as the first release wrote it (only migration v1), with content in it, opens
    /// migrated: its data is intact and what later migrations added works on it.
    @Test func olderSchemaIsMigratedOnOpen() throws {
        let folder = try TemporaryFolder()
        let root = folder.appending("old")
        for sub in ["blobs", "checkpoints"] { try FileManager.default.createDirectory(at: root.appending(path: sub), withIntermediateDirectories: true) }
        let pool = try DatabasePool(path: root.appending(path: Workspace.databaseName).path)
        try Schema.migrator.migrate(pool, upTo: "v1")
        // Written with SQL, as the v1 code would have: record types follow the newest schema.
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO checkpoint (id, name, kind, trainingConfig, metrics, folder, contentHash, createdAt)
                    VALUES (1, 'base', 'sft', '{}', '{}', 'checkpoints/x', 'x', '2026-01-01 00:00:00.000');
                INSERT INTO checkpointPointer (checkpointId, reason, movedAt) VALUES (1, 'registered', '2026-01-01 00:00:00.000');
                INSERT INTO prompt (id, contentHash, body, text, tags, split, createdAt) VALUES (1, 'p', '"Which?"', 'Which?', '[]', 'train', '2026-01-01 00:00:00.000');
                INSERT INTO candidate (id, contentHash, promptId, body, text, createdAt) VALUES (1, 'c1', 1, '"left"', 'left', '2026-01-01 00:00:00.000');
                INSERT INTO candidate (id, contentHash, promptId, body, text, createdAt) VALUES (2, 'c2', 1, '"right"', 'right', '2026-01-01 00:00:00.000');
                INSERT INTO round (number, parentCheckpointId, goal, status, createdAt) VALUES (1, 1, 'failure-cluster', 'reviewing', '2026-01-01 00:00:00.000');
                INSERT INTO pair (id, promptId, candidateA, candidateB, round, reason, createdAt) VALUES (1, 1, 1, 2, 1, 'coverage', '2026-01-01 00:00:00.000');
                INSERT INTO reviewer (id, name, role, tokenHash, createdAt) VALUES (7, 'ana', 'reviewer', 'h', '2026-01-01 00:00:00.000');
                INSERT INTO comparison (pairId, reviewerId, verdict, reasonTags, createdAt) VALUES (1, 7, 'b', '["clearer"]', '2026-01-01 00:00:00.000');
                """)
        }
        try pool.close()

        let workspace = try Workspace.open(at: root)
        #expect(try workspace.database.read { try Schema.migrator.appliedMigrations($0) } == Schema.migrator.migrations)
        #expect(Schema.migrator.migrations.starts(with: ["v1", "v2", "v3"]))
        let checkpoint = try workspace.checkpoint(1)
        #expect(checkpoint.name == "base" && checkpoint.datasetVersionId == nil && checkpoint.kind == .sft)
        let round = try workspace.round(1)
        #expect(round.goal == .failureCluster && round.status == .reviewing && round.evaluatedAt == nil)
        #expect(try workspace.pair(1).round == 1 && workspace.openRound()?.number == 1)
        #expect(try workspace.currentCheckpoint()?.id == 1)
        let comparisons = try workspace.comparisons(ofPair: 1)
        #expect(comparisons.count == 1 && comparisons[0].verdict == .b && comparisons[0].reasonTags == ["clearer"])
        #expect(try workspace.prompt(1).body == .plain("Which?"))
        let (version, isNew) = try workspace.freezeDataset(policy: .majority)
        #expect(isNew && version.pairCount == 1)
        #expect(try workspace.entries(ofDataset: version.id!).map(\.chosen) == [.b])
        #expect(try workspace.database.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }

    @Test func databaseOfANewerVersionIsRefused() throws {
        let folder = try TemporaryFolder()
        let root = folder.appending("ws")
        try Workspace.create(at: root).database.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
        }
        #expect(throws: StoreError.newerSchema(path: root.standardizedFileURL.path)) { try Workspace.open(at: root) }
    }
}
