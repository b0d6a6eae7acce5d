import Foundation
import GRDB
import Interchange
import Testing
@testable import Preferences

@Suite(.timeLimit(.minutes(10))) struct DatasetTests {
    /// Six train pairs and one held-out pair, reviewers r0–r2 (ids 2–4), verdicts:
    /// 1: a a → A · 2: b → B · 3: tie tie → tie · 4: both-bad · 5: a b → unresolved · 6: skip · 7 (held-out): a.
    static func reviewedWorkspace(in folder: TemporaryFolder) throws -> (Workspace, [Int64]) {
        let workspace = try ReviewTests.workspaceWithPairs(6, in: folder)
        let heldOut = try workspace.addPrompt(images: [], body: .plain("Held-out question"), split: .heldOut)
        let a = try workspace.addCandidate(promptID: heldOut.id!, body: .plain("good"))
        let b = try workspace.addCandidate(promptID: heldOut.id!, body: .plain("bad"))
        try workspace.addPair(a.id!, b.id!, reason: .coverage)
        let r = try (0..<3).map { try workspace.addReviewer(name: "r\($0)").reviewer.id! }
        for (pair, reviewer, verdict) in [(1, 0, Verdict.a), (1, 1, .a), (2, 0, .b), (3, 0, .tie), (3, 1, .tie), (4, 0, .bothBad),
                                          (5, 0, .a), (5, 1, .b), (6, 0, .skip), (7, 0, .a)] {
            try workspace.recordComparison(NewComparison(pairID: Int64(pair), reviewerID: r[reviewer], verdict: verdict))
        }
        return (workspace, r)
    }

    @Test func freezeKeepsPairsResolvedToAOrBAndCountsTheRest() throws {
        let folder = try TemporaryFolder()
        let (workspace, _) = try Self.reviewedWorkspace(in: folder)
        let (version, isNew) = try workspace.freezeDataset(policy: .majority)
        #expect(isNew && version.policy == .majority)
        #expect(version.pairCount == 3 && version.trainCount == 2 && version.heldOutCount == 1)
        #expect(version.tieCount == 1 && version.bothBadCount == 1 && version.unresolvedCount == 1)
        let entries = try workspace.entries(ofDataset: version.id!)
        #expect(entries.map(\.pairId) == [1, 2, 7] && entries.map(\.chosen) == [.a, .b, .a])

        let digest = try workspace.contentDigest()
        let (again, againIsNew) = try workspace.freezeDataset(policy: .majority)
        #expect(!againIsNew && again.id == version.id)
        #expect(try workspace.contentDigest() == digest)
    }

    @Test func newVerdictsMakeANewVersionAndDiffShowsAddedRemovedFlipped() throws {
        let folder = try TemporaryFolder()
        let (workspace, r) = try Self.reviewedWorkspace(in: folder)
        let first = try workspace.freezeDataset(policy: .majority).version
        try workspace.recordComparison(NewComparison(pairID: 5, reviewerID: r[2], verdict: .a))  // 5: a b a → A (added)
        try workspace.recordComparison(NewComparison(pairID: 2, reviewerID: r[1], verdict: .a))  // 2: b a a → A (flipped)
        try workspace.recordComparison(NewComparison(pairID: 2, reviewerID: r[2], verdict: .a))
        try workspace.recordComparison(NewComparison(pairID: 1, reviewerID: r[1], verdict: .b))  // 1: a b → unresolved (removed)
        let (second, isNew) = try workspace.freezeDataset(policy: .majority)
        #expect(isNew && second.id != first.id && second.contentHash != first.contentHash)
        let diff = try workspace.diffDatasets(first, second)
        #expect(diff.added.map(\.pairId) == [5] && diff.removed.map(\.pairId) == [1])
        #expect(diff.flipped.map(\.pairId) == [2] && diff.flipped[0].chosen == .a && diff.unchanged == 1)
        // The first version is as it was.
        #expect(try workspace.entries(ofDataset: first.id!).map(\.chosen) == [.a, .b, .a])
        #expect(try workspace.datasetVersions().map(\.id) == [first.id, second.id])
    }

    @Test func policiesGiveDifferentVersions() throws {
        let folder = try TemporaryFolder()
        let (workspace, r) = try Self.reviewedWorkspace(in: folder)
        // r2 agrees with r0 on pair 2, where r1 did not vote: r0 is the more reliable of the two.
        try workspace.recordComparison(NewComparison(pairID: 2, reviewerID: r[2], verdict: .b))
        let majority = try workspace.freezeDataset(policy: .majority).version
        let unanimous = try workspace.freezeDataset(policy: .unanimous).version
        // The same pairs resolve under both (pair 5 splits under either): the same content, one version.
        #expect(unanimous.id == majority.id)
        let weighted = try workspace.freezeDataset(policy: .reliabilityWeighted)
        // Weights (agreements + 1) / (comparable pairs + 2): r0 agrees on 1, 2 and 3 of 4, 4/6;
        // r1 on 1 and 3 of 3, 3/5. Pair 5 (r0 a, r1 b) goes to r0.
        #expect(weighted.isNew && weighted.version.policy == .reliabilityWeighted)
        #expect(try workspace.entries(ofDataset: weighted.version.id!).map(\.pairId) == [1, 2, 5, 7])
    }

    /// The hash is over what the pairs say (chosen and rejected answers), not how they are stored.
    @Test func contentHashIgnoresStorageOrderAndOrientation() throws {
        func build(_ name: String, flipped: Bool) throws -> String {
            let folder = try TemporaryFolder()
            let workspace = try Workspace.create(at: folder.appending(name))
            let prompt = try workspace.addPrompt(images: [Fixtures.png(width: 2, height: 2, seed: 1)], body: .plain("Which?"))
            let (reviewer, _) = try workspace.addReviewer(name: "r")
            for i in flipped ? [2, 1, 0] : [0, 1, 2] {
                let good = try workspace.addCandidate(promptID: prompt.id!, body: .plain("good \(i)"))
                let bad = try workspace.addCandidate(promptID: prompt.id!, body: .plain("bad \(i)"))
                let pair = flipped ? try workspace.addPair(bad.id!, good.id!, reason: .coverage) : try workspace.addPair(good.id!, bad.id!, reason: .coverage)
                try workspace.recordComparison(NewComparison(pairID: pair.id!, reviewerID: reviewer.id!, verdict: flipped ? .b : .a))
            }
            return try workspace.freezeDataset(policy: .majority).version.contentHash
        }
        #expect(try build("one", flipped: false) == (try build("two", flipped: true)))
    }

    @Test func versionsAreImmutableInTheDatabase() throws {
        let folder = try TemporaryFolder()
        let (workspace, _) = try Self.reviewedWorkspace(in: folder)
        let version = try workspace.freezeDataset(policy: .majority).version
        for sql in ["UPDATE datasetEntry SET chosen = 'b'", "DELETE FROM datasetEntry", "UPDATE datasetVersion SET pairCount = 0",
                    "DELETE FROM datasetVersion"] {
            #expect(throws: DatabaseError.self) { try workspace.database.write { try $0.execute(sql: sql) } }
        }
        #expect(try workspace.entries(ofDataset: version.id!).count == 3)
    }

    @Test func versionsAreFoundByIDOrHashPrefix() throws {
        let folder = try TemporaryFolder()
        let (workspace, _) = try Self.reviewedWorkspace(in: folder)
        let version = try workspace.freezeDataset(policy: .majority).version
        #expect(try workspace.datasetVersion("1").id == version.id)
        #expect(try workspace.datasetVersion(String(version.contentHash.prefix(8))).id == version.id)
        #expect(throws: StoreError.notFound(kind: "dataset version", id: "2")) { try workspace.datasetVersion("2") }
        #expect(throws: StoreError.notFound(kind: "dataset version", id: "abc")) { try workspace.datasetVersion("abc") }
    }

    @Test func freezingWithNothingResolvedIsRefused() throws {
        let folder = try TemporaryFolder()
        let workspace = try ReviewTests.workspaceWithPairs(2, in: folder)
        #expect(throws: StoreError.refused("nothing to freeze: no pair resolves to A or B under the majority policy")) {
            try workspace.freezeDataset(policy: .majority)
        }
    }

    @Test func exportRefusesAFolderWithFilesAndLeavesItAlone() throws {
        let folder = try TemporaryFolder()
        let (workspace, _) = try Self.reviewedWorkspace(in: folder)
        let version = try workspace.freezeDataset(policy: .majority).version
        let out = folder.appending("out")
        _ = try folder.write("keep me", to: "out/notes.txt")
        #expect(throws: StoreError.refused("\(out.path) exists and is not an empty folder; export into a new folder")) {
            try workspace.exportDataset(version, to: out)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["notes.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains("partial") }.isEmpty)
    }
}
