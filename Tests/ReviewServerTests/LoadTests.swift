import Foundation
import GRDB
import Preferences
@testable import ReviewServer
import Testing

/// A bounded load test on loopback: 50 signed-in reviewers each ask for a pair and give a verdict
/// a fixed number of times, all at once. Every verdict must be stored once, as sent; the
/// latencies are printed, not asserted (they depend on the machine).
@Suite struct LoadTests {
    struct Sent: Sendable {
        var reviewer: String
        var pairId: Int64
        var verdict: ShownVerdict
    }

    @Test func fiftyReviewersTenVerdictsEachNoneLostOrDuplicated() async throws {
        let names = (0..<50).map { "load-\($0)" }
        let (perReviewer, overlap) = (10, 2)
        // Room for everyone's verdicts and some to spare, so nobody waits on pairs others hold.
        let pairs = names.count * perReviewer / overlap + 20
        try await TestServer.with(pairs: pairs, reviewers: names, overlap: overlap) { server in
            let clock = ContinuousClock()
            let started = clock.now
            let results = try await withThrowingTaskGroup(of: ([Sent], [Duration]).self) { group in
                for (index, name) in names.enumerated() {
                    group.addTask {
                        let client = try await server.client(signedInAs: name)
                        var sent: [Sent] = [], latencies: [Duration] = []
                        func timed(_ path: String, _ body: some Encodable = [String: String]()) async throws -> Client.Reply {
                            let start = clock.now
                            let reply = try await client.post(path, json: body)
                            latencies.append(clock.now - start)
                            guard reply.status == 200 else { throw TestError("\(name) \(path): \(reply.status) \(reply.text)") }
                            return reply
                        }
                        while sent.count < perReviewer {
                            guard let pair = try await timed("/api/pairs/next").decode(NextPairReply.self).pair else {
                                throw TestError("\(name) ran out of pairs after \(sent.count)")
                            }
                            let verdict: ShownVerdict = [.left, .right, .tie, .bothBad][(index + sent.count) % 4]
                            let outcome = try await timed("/api/verdicts", VerdictBody(pairId: pair.pairId, verdict: verdict.rawValue))
                                .decode(VerdictReply.self).outcome
                            guard outcome == "added" else { throw TestError("\(name) pair \(pair.pairId): \(outcome)") }
                            sent.append(Sent(reviewer: name, pairId: pair.pairId, verdict: verdict))
                        }
                        return (sent, latencies)
                    }
                }
                return try await group.reduce(into: ([Sent](), [Duration]())) { $0.0 += $1.0; $0.1 += $1.1 }
            }
            let elapsed = clock.now - started
            let (sent, latencies) = results

            let stored = try await server.workspace.database.read { try Comparison.fetchAll($0) }
            let reviewers = Dictionary(uniqueKeysWithValues: try server.workspace.reviewers().map { ($0.id!, $0.name) })
            let storedKeys = stored.map { "\(reviewers[$0.reviewerId] ?? "?") \($0.pairId)" }
            let sentVerdicts = Dictionary(sent.map { ("\($0.reviewer) \($0.pairId)", $0.verdict) }, uniquingKeysWith: { first, _ in first })
            #expect(sent.count == names.count * perReviewer)
            #expect(sentVerdicts.count == sent.count, "a reviewer was given a pair twice")
            #expect(stored.count == sent.count, "lost or duplicated verdicts")
            #expect(Set(storedKeys) == Set(sentVerdicts.keys))
            let mismatched = zip(stored, storedKeys).filter { comparison, key in
                sentVerdicts[key]?.verdict(leftShown: comparison.leftShown!) != comparison.verdict
            }
            #expect(mismatched.isEmpty)
            #expect(Dictionary(grouping: stored, by: \.pairId).values.allSatisfy { $0.count <= overlap })

            let milliseconds = latencies.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000 }.sorted()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(String(format: "load: %d reviewers × %d verdicts: %d requests in %.2f s (%.0f/s); latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                         names.count, perReviewer, milliseconds.count, seconds, Double(milliseconds.count) / seconds,
                         milliseconds[milliseconds.count / 2], milliseconds[milliseconds.count * 99 / 100], milliseconds.last!))
        }
    }
}
