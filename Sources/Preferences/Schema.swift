import Foundation
import GRDB

/// Every schema migration, in order. A migration, once released, never changes: a workspace
/// written by an older vlm-align is brought up to date by running the ones it lacks on open.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: v1)
        migrator.registerMigration("v2", migrate: v2)
        migrator.registerMigration("v3", migrate: v3)
        migrator.registerMigration("review comments", migrate: reviewComments)
        migrator.registerMigration("review adjudication and gold", migrate: reviewAdjudicationAndGold)
        migrator.registerMigration("review settings", migrate: reviewSettings)
        migrator.registerMigration("rounds: convergence goal, evaluatedAt", migrate: roundsConvergence)
        return migrator
    }

    /// Content, reviews and lineage.
    private static func v1(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE blob (
                sha256 TEXT PRIMARY KEY NOT NULL,
                byteCount INTEGER NOT NULL,
                format TEXT NOT NULL CHECK (format IN ('png', 'jpeg')),
                width INTEGER NOT NULL,
                height INTEGER NOT NULL,
                createdAt DATETIME NOT NULL
            );
            CREATE TABLE checkpoint (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL,
                parentId INTEGER REFERENCES checkpoint(id),
                kind TEXT NOT NULL CHECK (kind IN ('base', 'sft', 'dpo')),
                round INTEGER REFERENCES round(number),
                trainingConfig TEXT NOT NULL CHECK (json_valid(trainingConfig)),
                metrics TEXT NOT NULL CHECK (json_valid(metrics)),
                folder TEXT NOT NULL UNIQUE,
                contentHash TEXT NOT NULL UNIQUE,
                createdAt DATETIME NOT NULL
            );
            -- The current checkpoint is the latest move; rollbacks append, nothing is deleted.
            CREATE TABLE checkpointPointer (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                checkpointId INTEGER NOT NULL REFERENCES checkpoint(id),
                reason TEXT NOT NULL CHECK (reason IN ('registered', 'trained', 'rollback')),
                movedAt DATETIME NOT NULL
            );
            CREATE TABLE round (
                number INTEGER PRIMARY KEY NOT NULL,
                parentCheckpointId INTEGER NOT NULL REFERENCES checkpoint(id),
                goal TEXT NOT NULL CHECK (goal IN ('coverage', 'edge-cases', 'failure-cluster')),
                status TEXT NOT NULL
                    CHECK (status IN ('generating', 'reviewing', 'training', 'evaluating', 'done', 'abandoned')),
                createdAt DATETIME NOT NULL
            );
            CREATE TABLE prompt (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                contentHash TEXT NOT NULL UNIQUE,
                externalId TEXT,
                body TEXT NOT NULL CHECK (json_valid(body)),
                text TEXT NOT NULL,
                category TEXT,
                tags TEXT NOT NULL CHECK (json_valid(tags)),
                split TEXT NOT NULL CHECK (split IN ('train', 'held-out')),
                createdAt DATETIME NOT NULL
            );
            CREATE INDEX promptExternalId ON prompt(externalId);
            CREATE TABLE promptImage (
                promptId INTEGER NOT NULL REFERENCES prompt(id),
                position INTEGER NOT NULL,
                blob TEXT NOT NULL REFERENCES blob(sha256),
                PRIMARY KEY (promptId, position)
            );
            CREATE TABLE candidate (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                contentHash TEXT NOT NULL UNIQUE,
                promptId INTEGER NOT NULL REFERENCES prompt(id),
                body TEXT NOT NULL CHECK (json_valid(body)),
                text TEXT NOT NULL,
                checkpointId INTEGER REFERENCES checkpoint(id),
                sampling TEXT CHECK (sampling IS NULL OR json_valid(sampling)),
                seed INTEGER,
                createdAt DATETIME NOT NULL
            );
            CREATE INDEX candidatePrompt ON candidate(promptId);
            CREATE TABLE pair (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                promptId INTEGER NOT NULL REFERENCES prompt(id),
                candidateA INTEGER NOT NULL REFERENCES candidate(id),
                candidateB INTEGER NOT NULL REFERENCES candidate(id),
                round INTEGER REFERENCES round(number),
                reason TEXT NOT NULL CHECK (reason IN ('coverage', 'uncertainty', 'failure-cluster', 'imported')),
                createdAt DATETIME NOT NULL,
                CHECK (candidateA <> candidateB)
            );
            -- One pair per two candidates, whichever is A.
            CREATE UNIQUE INDEX pairCandidates ON pair(min(candidateA, candidateB), max(candidateA, candidateB));
            CREATE INDEX pairRound ON pair(round);
            CREATE TABLE reviewer (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer')),
                tokenHash TEXT UNIQUE,
                createdAt DATETIME NOT NULL,
                disabled BOOLEAN NOT NULL DEFAULT 0
            );
            CREATE TABLE comparison (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                pairId INTEGER NOT NULL REFERENCES pair(id),
                reviewerId INTEGER NOT NULL REFERENCES reviewer(id),
                verdict TEXT NOT NULL CHECK (verdict IN ('a', 'b', 'tie', 'both-bad', 'skip')),
                reasonTags TEXT NOT NULL CHECK (json_valid(reasonTags)),
                rubric TEXT CHECK (rubric IS NULL OR json_valid(rubric)),
                leftShown TEXT CHECK (leftShown IN ('a', 'b')),
                timeSpentMs INTEGER,
                createdAt DATETIME NOT NULL,
                -- One vote per reviewer per pair: a retried submission cannot count twice.
                UNIQUE (pairId, reviewerId)
            );
            """)
        // Imported verdicts are recorded under this reviewer; it has no token, so nobody signs in as it.
        try db.execute(
            sql: "INSERT INTO reviewer (name, role, tokenHash, createdAt, disabled) VALUES (?, 'reviewer', NULL, ?, 0)",
            arguments: [Reviewer.importedName, Date()])
    }

    /// Preference dataset versions, and the version each checkpoint was trained on.
    private static func v2(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE datasetVersion (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                contentHash TEXT NOT NULL UNIQUE,
                policy TEXT NOT NULL CHECK (policy IN ('majority', 'unanimous', 'reliability-weighted')),
                pairCount INTEGER NOT NULL,
                trainCount INTEGER NOT NULL,
                heldOutCount INTEGER NOT NULL,
                tieCount INTEGER NOT NULL,
                bothBadCount INTEGER NOT NULL,
                unresolvedCount INTEGER NOT NULL,
                createdAt DATETIME NOT NULL
            );
            CREATE TABLE datasetEntry (
                datasetVersionId INTEGER NOT NULL REFERENCES datasetVersion(id),
                pairId INTEGER NOT NULL REFERENCES pair(id),
                chosen TEXT NOT NULL CHECK (chosen IN ('a', 'b')),
                PRIMARY KEY (datasetVersionId, pairId)
            );
            CREATE TRIGGER datasetVersionImmutable BEFORE UPDATE ON datasetVersion
                BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;
            CREATE TRIGGER datasetVersionKept BEFORE DELETE ON datasetVersion
                BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;
            CREATE TRIGGER datasetEntryImmutable BEFORE UPDATE ON datasetEntry
                BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;
            CREATE TRIGGER datasetEntryKept BEFORE DELETE ON datasetEntry
                BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;
            ALTER TABLE checkpoint ADD COLUMN datasetVersionId INTEGER REFERENCES datasetVersion(id);
            """)
    }

    /// The review app: pairs handed out to reviewers, and sign-in sessions.
    private static func v3(_ db: Database) throws {
        try db.execute(sql: """
            -- A pair handed out to a reviewer, in the order it was shown. While unexpired it holds one
            -- of the pair's review slots; the reviewer's verdict removes it.
            CREATE TABLE assignment (
                pairId INTEGER NOT NULL REFERENCES pair(id),
                reviewerId INTEGER NOT NULL REFERENCES reviewer(id),
                leftShown TEXT NOT NULL CHECK (leftShown IN ('a', 'b')),
                handedOutAt DATETIME NOT NULL,
                expiresAt DATETIME NOT NULL,
                PRIMARY KEY (pairId, reviewerId)
            );
            CREATE INDEX assignmentReviewer ON assignment(reviewerId);
            CREATE TABLE session (
                tokenHash TEXT PRIMARY KEY NOT NULL,
                reviewerId INTEGER NOT NULL REFERENCES reviewer(id),
                csrfToken TEXT NOT NULL,
                createdAt DATETIME NOT NULL,
                expiresAt DATETIME NOT NULL
            );
            CREATE INDEX comparisonReviewer ON comparison(reviewerId, createdAt);
            """)
    }

    /// A reviewer's optional free-text note with a verdict.
    private static func reviewComments(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE comparison ADD COLUMN comment TEXT")
    }

    /// An admin's decision on a pair (it wins in `dataset freeze`), pairs with a known verdict that
    /// measure reviewers, and where each dataset entry's verdict came from.
    private static func reviewAdjudicationAndGold(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE adjudication (
                pairId INTEGER PRIMARY KEY NOT NULL REFERENCES pair(id),
                verdict TEXT NOT NULL CHECK (verdict IN ('a', 'b', 'tie', 'both-bad')),
                reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
                adjudicatorId INTEGER NOT NULL REFERENCES reviewer(id),
                decidedAt DATETIME NOT NULL
            );
            CREATE TABLE goldPair (
                pairId INTEGER PRIMARY KEY NOT NULL REFERENCES pair(id),
                verdict TEXT NOT NULL CHECK (verdict IN ('a', 'b', 'tie', 'both-bad')),
                markedById INTEGER REFERENCES reviewer(id),
                markedAt DATETIME NOT NULL
            );
            ALTER TABLE datasetVersion ADD COLUMN adjudicatedCount INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE datasetVersion ADD COLUMN goldCount INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE datasetVersion ADD COLUMN minGoldAccuracy REAL;
            ALTER TABLE datasetVersion ADD COLUMN belowGold TEXT CHECK (belowGold IN ('drop', 'down-weight'));
            ALTER TABLE datasetVersion ADD COLUMN belowGoldReviewers TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(belowGoldReviewers));
            ALTER TABLE datasetEntry ADD COLUMN source TEXT NOT NULL DEFAULT 'reviewers'
                CHECK (source IN ('reviewers', 'adjudication', 'gold'));
            """)
    }

    /// Per-workspace review settings: the guidelines (Markdown) and the rubric and reason tags.
    private static func reviewSettings(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE reviewSetting (
                name TEXT PRIMARY KEY NOT NULL CHECK (name IN ('guidelines', 'vocabulary')),
                value TEXT NOT NULL,
                updatedAt DATETIME NOT NULL
            );
            """)
    }

    /// Rounds (`Rounds`): the convergence goal, and when a round's checkpoint was evaluated (a
    /// round closes only after that). SQLite cannot change a CHECK, so the table is rebuilt; the
    /// tables that reference it keep their references by name.
    private static func roundsConvergence(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE roundNew (
                number INTEGER PRIMARY KEY NOT NULL,
                parentCheckpointId INTEGER NOT NULL REFERENCES checkpoint(id),
                goal TEXT NOT NULL CHECK (goal IN ('coverage', 'edge-cases', 'failure-cluster', 'convergence')),
                status TEXT NOT NULL
                    CHECK (status IN ('generating', 'reviewing', 'training', 'evaluating', 'done', 'abandoned')),
                createdAt DATETIME NOT NULL,
                evaluatedAt DATETIME
            );
            INSERT INTO roundNew (number, parentCheckpointId, goal, status, createdAt)
                SELECT number, parentCheckpointId, goal, status, createdAt FROM round;
            DROP TABLE round;
            ALTER TABLE roundNew RENAME TO round;
            """)
    }
}
