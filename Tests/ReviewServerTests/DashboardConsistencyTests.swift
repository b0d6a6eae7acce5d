import Foundation
import GRDB
import Preferences
@testable import ReviewServer
import Synchronization
import Testing

/// The dashboard reads one snapshot of the workspace, so reviewers and verdicts that arrive while
/// it is read cannot leave it half-updated.
@Suite(.timeLimit(.minutes(10))) struct DashboardConsistencyTests {
    final class Flag: Sendable {
        let isSet = Mutex(false)
    }

    @Test func reviewersAddedWhileTheDashboardIsReadDoNotBreakIt() async throws {
        try await TestServer.with(pairs: 10) { server in
            let root = try await server.client(signedInAs: "root")
            let written = Flag()
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                group.addTask {
                    // Each newcomer arrives with a verdict in one transaction, on a pair others judged
                    // differently: a conflict, and a κ with each of them, that name the newcomer.
                    for i in 0..<300 {
                        try server.workspace.database.write { db in
                            try db.execute(sql: "INSERT INTO reviewer (name, role, createdAt, disabled) VALUES (?, 'reviewer', ?, 0)",
                                           arguments: ["late-\(i)", Date()])
                            try db.execute(sql: """
                                INSERT INTO comparison (pairId, reviewerId, verdict, reasonTags, createdAt) VALUES (?, ?, ?, '[]', ?)
                                """, arguments: [i % 10 + 1, db.lastInsertedRowID, i % 3 == 0 ? "a" : "b", Date()])
                        }
                    }
                    written.isSet.withLock { $0 = true }
                    return []
                }
                for _ in 0..<3 {
                    group.addTask {
                        var statuses: [Int] = []
                        let deadline = ContinuousClock.now + .seconds(300)
                        repeat {
                            statuses.append(try await root.get("/api/admin/dashboard").status)
                            guard ContinuousClock.now < deadline else { throw TestError("the writer did not finish in 300 s") }
                        } while !written.isSet.withLock { $0 }
                        return statuses
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(!statuses.isEmpty && statuses.allSatisfy { $0 == 200 })
        }
    }
}
