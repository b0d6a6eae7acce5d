import Foundation
import GRDB
import Preferences
@testable import ReviewServer
import Testing

/// Many reviewers at once, over real HTTP on loopback (the review app's load test): every verdict
/// stored exactly once, no pair given to more reviewers than the overlap. The latencies are
/// printed, not asserted: they depend on the machine.
@Suite(.timeLimit(.minutes(10))) struct ConcurrencyTests {
    struct Submission: Sendable {
        var reviewer: String
        var pairId: Int64
        var verdict: ShownVerdict
        var seconds: Double
    }

    @Test func fiftyReviewersAtOnceLoseAndDuplicateNothing() async throws {
        let names = (0..<50).map { "reviewer-\($0)" }
        let (pairs, overlap) = (100, 3)
        try await TestServer.with(pairs: pairs, reviewers: names, overlap: overlap) { server in
            let started = Date()
            let submissions = try await withThrowingTaskGroup(of: [Submission].self) { group in
                for (index, name) in names.enumerated() {
                    group.addTask {
                        let client = try await server.client(signedInAs: name)
                        var mine: [Submission] = []
                        let deadline = ContinuousClock.now + .seconds(300)
                        while true {
                            let next = try await client.post("/api/pairs/next").decode(NextPairReply.self)
                            guard let pair = next.pair else {
                                // Pairs that others hold may come free when they skip them: ask again until none needs this reviewer.
                                if next.progress.remaining == 0 { break }
                                guard ContinuousClock.now < deadline else {
                                    throw TestError("\(name) waited 300 s for \(next.progress.remaining) pairs that others hold")
                                }
                                try await Task.sleep(for: .milliseconds(20))
                                continue
                            }
                            // Every seventh verdict is a skip, which leaves the pair's slot to someone else.
                            let verdict: ShownVerdict = (index + mine.count) % 7 == 0 ? .skip : [.left, .right, .tie, .bothBad][(index + mine.count) % 4]
                            let body = VerdictBody(pairId: pair.pairId, verdict: verdict.rawValue)
                            let sent = Date()
                            let reply = try await client.post("/api/verdicts", json: body)
                            guard reply.status == 200, try reply.decode(VerdictReply.self).outcome == "added" else {
                                throw TestError("\(name) pair \(pair.pairId): \(reply.status) \(reply.text)")
                            }
                            mine.append(Submission(reviewer: name, pairId: pair.pairId, verdict: verdict, seconds: Date().timeIntervalSince(sent)))
                            // A retried submission (a lost reply, say) counts once.
                            if mine.count == 1 {
                                let retry = try await client.post("/api/verdicts", json: body)
                                guard try retry.decode(VerdictReply.self).outcome == "unchanged" else { throw TestError("retry: \(retry.text)") }
                            }
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let elapsed = Date().timeIntervalSince(started)

            let stored = try await server.workspace.database.read { try Comparison.fetchAll($0) }
            let reviewers = Dictionary(uniqueKeysWithValues: try server.workspace.reviewers().map { ($0.id!, $0.name) })
            #expect(stored.count == submissions.count)
            #expect(Set(stored.map { "\(reviewers[$0.reviewerId]!) \($0.pairId)" }).count == stored.count)
            let sent = Dictionary(uniqueKeysWithValues: submissions.map { ("\($0.reviewer) \($0.pairId)", $0.verdict) })
            #expect(sent.count == submissions.count, "a reviewer was given a pair twice")
            var mismatched = 0
            for comparison in stored {
                let verdict = sent["\(reviewers[comparison.reviewerId]!) \(comparison.pairId)"]
                if verdict?.verdict(leftShown: comparison.leftShown!) != comparison.verdict { mismatched += 1 }
            }
            #expect(mismatched == 0)
            // Every pair got exactly `overlap` verdicts other than skips: none short, none over.
            let perPair = Dictionary(grouping: stored.filter { $0.verdict != .skip }, by: \.pairId).mapValues(\.count)
            #expect(perPair.count == pairs && perPair.values.allSatisfy { $0 == overlap })
            #expect(try await server.workspace.database.read { try Assignment.fetchCount($0) } == 0)

            let latencies = submissions.map(\.seconds).sorted()
            print(String(format: "50 reviewers: %d verdicts (%d skips) in %.2f s, %.0f verdicts/s; submit latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                         submissions.count, submissions.filter { $0.verdict == .skip }.count, elapsed, Double(submissions.count) / elapsed,
                         latencies[latencies.count / 2] * 1000, latencies[latencies.count * 99 / 100] * 1000, latencies.last! * 1000))
        }
    }
}
