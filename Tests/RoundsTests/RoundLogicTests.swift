import Foundation
import Interchange
import Preferences
import Testing
@testable import Rounds

/// The rounds' decisions apart from any model: convergence, mining's picks, clusters, prompt
/// stratification, reviewer specs.
struct RoundLogicTests {
    @Test func convergenceFollowsTheDesign() {
        #expect(Convergence(accuracies: []).converged == false)
        let one = Convergence(accuracies: [(1, 0.70)])
        #expect(!one.converged && one.reason.contains("convergence needs two"))
        #expect(Convergence(accuracies: [(1, 0.86)]).converged, "≥ 85% converges at once")
        let gaining = Convergence(accuracies: [(1, 0.60), (2, 0.70)])
        #expect(!gaining.converged && gaining.reason.contains("+10.0 points"), "\(gaining.reason)")
        let flat = Convergence(accuracies: [(1, 0.60), (2, 0.70), (3, 0.705)])
        #expect(flat.converged && flat.reason.contains("from round 2 to 3: +0.5 points (< 1)"), "\(flat.reason)")
        #expect(Convergence(accuracies: [(1, 0.70), (2, 0.65)]).converged, "a loss is less than a 1-point gain")
    }

    @Test func miningPicksByConfidence() {
        func pair(_ p: Double, _ chosen: Side? = nil) -> MinedPair { MinedPair(pairID: nil, prompt: "", a: "", b: "", p: p, chosen: chosen) }
        let pairs = [pair(0.9), pair(0.52), pair(0.1), pair(0.45), pair(0.5)]
        #expect(Mining.pick(.uncertain, pairs, k: 3, seed: 0) == [4, 1, 3])
        let reviewed = [pair(0.9, .b), pair(0.6, .b), pair(0.2, .a), pair(0.95, .a), pair(0.3, .b)]
        #expect(Mining.pick(.confidentlyWrong, reviewed, k: 5, seed: 0) == [0, 2, 1], "wrong side only, farthest first")
        let random = Mining.pick(.random, pairs, k: 5, seed: 3)
        #expect(Set(random) == Set(0..<5) && random == Mining.pick(.random, pairs, k: 5, seed: 3))
        #expect(Mining.pick(.uncertain, pairs, k: 10, seed: 0).count == 5)
    }

    @Test func clustersSeparateUnlikeTexts() {
        let texts = ["how many circles are there", "how many squares are there", "how many stars are there",
                     "is there a red circle yes", "is there a blue square no", "is there a green star yes",
                     "how many circles are there in the image"]
        let clusters = TextClusters.cluster(texts, k: 2, seed: 1)
        #expect(clusters.count == 2)
        #expect(clusters.map { Set($0.members) } == [[0, 1, 2, 6], [3, 4, 5]], "\(clusters.map(\.members))")
        #expect(clusters[0].terms.contains("many"))
        // given embeddings, they decide the clusters; the words still name them
        let embedded = TextClusters.cluster(texts, k: 2, seed: 1, embeddings: texts.indices.map { $0 < 2 ? [1, 0] : [0, 1] })
        #expect(embedded.map { Set($0.members) } == [[2, 3, 4, 5, 6], [0, 1]] && embedded[1].terms.contains("many"))
        #expect(TextClusters.cluster([], k: 3, seed: 0).isEmpty)
        #expect(TextClusters.cluster(["a b", "a b"], k: 5, seed: 0).map(\.members) == [[0, 1]], "identical texts: one cluster")
    }

    @Test func stratifiedPromptsTakeTurnsByCategory() {
        let items = Array(repeating: "a", count: 6) + ["b", "b", "c"]
        let picked = RoundPrompts.stratified(items, count: 6, seed: 1) { $0 }
        #expect(picked == ["a", "b", "c", "a", "b", "a"])
        #expect(RoundPrompts.stratified(items, count: 100, seed: 1) { $0 }.count == 9)
        let weighted = RoundPrompts.stratified(items, count: 4, seed: 1, weights: ["b": 1]) { $0 }
        #expect(weighted == ["b", "b"], "only weighted categories, until they run out")
    }

    @Test func regressionsAreCategoriesBelowTheReferenceByMoreThanAPoint() {
        let reference = ["negation/accuracy": 0.70, "attributes/accuracy": 0.97, "counting/accuracy": 0.95, "all/accuracy": 0.80,
                         "spatial/accuracy": 0.88, "description/exact_match": 0.5, "captions/exact_match": 0.40, "negation/hallucination_rate": 0.01]
        let current = ["negation/accuracy": 0.66, "attributes/accuracy": 0.94, "counting/accuracy": 0.945, "all/accuracy": 0.70,
                       "spatial/accuracy": 0.90, "description/accuracy": 0.2, "description/exact_match": 0.1, "captions/exact_match": 0.35,
                       "negation/hallucination_rate": 0.5, "grounding/accuracy": 0.1]
        let fallen = Regressions.fallen(current, below: reference)
        // counting −0.5 is within the tolerance; "all", rates, and categories the reference lacks are left out;
        // exact match counts only where there is no accuracy
        #expect(fallen.map(\.category) == ["captions", "negation", "attributes"])
        #expect(zip(fallen.map(\.points), [5.0, 4.0, 3.0]).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(Regressions.fallen(reference, below: reference).isEmpty)
        #expect(Regressions.fallen(current, below: [:]).isEmpty)
    }

    @Test func reviewerSpecs() throws {
        let parsed = try ReviewSimulation.parseReviewers("careful:2,sloppy")
        #expect(parsed.map(\.profile.name) == ["careful", "sloppy"] && parsed.map(\.count) == [2, 1])
        #expect(throws: RoundError.self) { try ReviewSimulation.parseReviewers("careful:0") }
        #expect(throws: RoundError.self) { try ReviewSimulation.parseReviewers("careful:x") }
    }
}
