import Foundation
import GRDB
import Interchange
import Synchronization
import TestSupport
import Testing
@testable import Preferences

@Suite(.timeLimit(.minutes(10))) struct ReliabilityTests {
    /// A deterministic verdict per reviewer and pair, so the stored verdicts can be checked one by one.
    static func verdict(reviewer: Int, pair: Int) -> Verdict { Verdict.allCases[(reviewer * 7 + pair * 3) % Verdict.allCases.count] }

    /// 50 threads, each with its own connection to the database (as 50 processes or server
    /// workers would have), record 20 verdicts each and submit every one twice, all at once.
    @Test func fiftyConcurrentWritersLoseNothingAndCountNothingTwice() throws {
        let folder = try TemporaryFolder()
        let (writers, pairs) = (50, 20)
        let workspace = try ReviewTests.workspaceWithPairs(pairs, in: folder)
        let reviewers = try (0..<writers).map { try workspace.addReviewer(name: "reviewer \($0)").reviewer.id! }
        let outcomes = Mutex<[RecordOutcome]>([]), failures = Mutex<[String]>([])
        let gate = DispatchSemaphore(value: 0), done = DispatchGroup()
        let root = workspace.root
        for (index, reviewer) in reviewers.enumerated() {
            done.enter()
            Thread {
                defer { done.leave() }
                gate.wait()
                do {
                    let connection = try Workspace.open(at: root)
                    for pair in 1...pairs {
                        let vote = NewComparison(pairID: Int64(pair), reviewerID: reviewer, verdict: Self.verdict(reviewer: index, pair: pair),
                                                 reasonTags: ["t\(pair % 3)"], leftShown: pair % 2 == 0 ? .a : .b, timeSpentMs: pair * 100)
                        let first = try connection.recordComparison(vote).outcome
                        let retry = try connection.recordComparison(vote).outcome
                        outcomes.withLock { $0 += [first, retry] }
                    }
                } catch {
                    failures.withLock { $0.append("writer \(index): \(error)") }
                }
            }.start()
        }
        let started = ContinuousClock.now
        for _ in reviewers { gate.signal() }
        guard done.wait(timeout: .now() + 300) == .success else {
            Issue.record("the writers did not finish in 300 s")
            return
        }
        let elapsed = ContinuousClock.now - started
        print("50 concurrent writers: \(writers * pairs * 2) submissions in \(elapsed)")

        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let recorded = outcomes.withLock { $0 }
        #expect(recorded.filter { $0 == .added }.count == writers * pairs)
        #expect(recorded.filter { $0 == .unchanged }.count == writers * pairs)
        let stored = try workspace.database.read { try Comparison.fetchAll($0) }
        #expect(stored.count == writers * pairs)
        #expect(Set(stored.map { [$0.pairId, $0.reviewerId] }).count == writers * pairs)
        let index = Dictionary(uniqueKeysWithValues: reviewers.enumerated().map { ($1, $0) })
        let wrong = stored.filter { $0.verdict != Self.verdict(reviewer: index[$0.reviewerId]!, pair: Int($0.pairId)) }
        #expect(wrong.isEmpty, "\(wrong.count) verdicts differ from what their writer recorded")
        #expect(stored.allSatisfy { $0.timeSpentMs == Int($0.pairId) * 100 && $0.reasonTags == ["t\($0.pairId % 3)"] })
        #expect(try workspace.database.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }

    /// `vlm-align import pairs` is killed with SIGKILL while it is writing (paused after a tenth
    /// of its images are in the blob store); reopened, the store passes SQLite's integrity check,
    /// shows nothing of the import and keeps what it had.
    @Test func sigkillDuringImportLeavesTheStoreConsistent() throws {
        let folder = try TemporaryFolder()
        let root = folder.appending("ws")
        let workspace = try Workspace.create(at: root)
        try workspace.importPairs(from: try Fixtures.writeTRLFile(count: 3, in: folder, name: "earlier.jsonl", seed: 9).file)
        let (digest, blobsBefore) = (try workspace.contentDigest(), try workspace.blobFileCount())
        let rows = 2500
        let big = try Fixtures.writeTRLFile(count: rows, in: folder, name: "big.jsonl").file

        // Blobs are written after the whole file is checked and before the import's one
        // transaction: paused at a tenth of them, the import is mid-way, its records unwritten.
        let process = try CLI.process(["import", "pairs", big.path, "--workspace", root.path],
                                      environment: [TestPause.variable: TestPause.value(.importBlob, rows / 10)])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try CLI.waitUntilPaused(process)
        // and meanwhile the writer is free: reviewers' verdicts do not wait for a long import
        var noWaiting = Configuration()
        noWaiting.busyMode = .immediateError
        let other = try DatabaseQueue(path: root.appending(path: Workspace.databaseName).path, configuration: noWaiting)
        #expect(throws: Never.self, "an import held the write lock while it wrote its files") {
            try other.inTransaction(.immediate) { _ in .rollback }
        }
        try other.close()
        kill(process.processIdentifier, SIGKILL)
        try CLI.waitForExit(process)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        #expect(try workspace.blobFileCount() - blobsBefore == rows / 10)

        let reopened = try Workspace.open(at: root)
        let (integrity, foreignKeyFaults) = try reopened.database.read { db in
            (try String.fetchAll(db, sql: "PRAGMA integrity_check"), try Row.fetchAll(db, sql: "PRAGMA foreign_key_check"))
        }
        #expect(integrity == ["ok"] && foreignKeyFaults.isEmpty)
        #expect(try reopened.contentDigest() == digest)

        // The same import then runs to the end; the blob files the killed run left are reused.
        let report = try reopened.importPairs(from: big)
        #expect(report.pairsAdded == rows && report.imagesAdded == rows && report.verdictsAdded == rows)
        #expect(try reopened.rowCounts()["pair"] == rows + 3)
    }
}
