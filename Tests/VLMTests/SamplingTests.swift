import Foundation
import Interchange
import JSON
import Testing
@testable import VLM

/// What tools/fixtures/sampling_fixtures.py recorded from transformers: per case, fp32 logits,
/// settings, and the scores after generate()'s warpers (nil: removed) with their softmax.
struct SamplingFixture {
    struct Case {
        let name: String
        let settings: SamplingSettings
        let logits: [Float]
        let scores: [Float?]
        let probabilities: [Double]
    }

    let cases: [Case]

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    init() throws {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/sampling.json")
        let json = try JSONValue(parsing: Data(contentsOf: url))
        guard let rows = json["cases"]?.arrayValue else { throw Malformed(description: "\(url.path): no \"cases\" list") }
        cases = try rows.enumerated().map { i, row in
            func numbers(_ key: String) throws -> [Double?] {
                guard let values = row[key]?.arrayValue else { throw Malformed(description: "\(url.path): case \(i) has no \"\(key)\" list") }
                return try values.map { v in
                    guard v.isNull || v.doubleValue != nil else { throw Malformed(description: "\(url.path): case \(i) \"\(key)\" holds \(v.typeName)") }
                    return v.doubleValue
                }
            }
            guard let name = row["name"]?.stringValue, let temperature = row["temperature"]?.doubleValue,
                  let topK = row["top_k"]?.intValue, let topP = row["top_p"]?.doubleValue else {
                throw Malformed(description: "\(url.path): case \(i) lacks name, temperature, top_k or top_p")
            }
            let probabilities = try numbers("probabilities").compactMap { $0 }, logits = try numbers("logits")
            guard probabilities.count == logits.count else { throw Malformed(description: "\(url.path): case \(i) has a null probability") }
            // null logits are -inf (JSON has no infinities)
            return Case(name: name, settings: SamplingSettings(temperature: Float(temperature), topK: topK, topP: Float(topP)),
                        logits: logits.map { $0.map(Float.init) ?? -.infinity },
                        scores: try numbers("scores").map { $0.map(Float.init) }, probabilities: probabilities)
        }
    }
}

/// The sampler against transformers' generate(): the distribution it draws from equals softmax of
/// the scores after TemperatureLogitsWarper → TopKLogitsWarper → TopPLogitsWarper, and seeded
/// draws land on each token as often as that distribution says.
///
/// Which of several equal logits top-p keeps at its boundary follows torch.sort, which is not
/// stable: tokens are therefore compared in groups of equal logits (a group of one is a token).
@Suite(.timeLimit(.minutes(10))) struct SamplingTests {
    /// Tokens grouped by logit, highest first.
    static func groups(_ logits: [Float]) -> [[Int]] {
        Dictionary(grouping: logits.indices) { logits[$0] }.sorted { $0.key > $1.key }.map { $0.value.sorted() }
    }

    static func distribution(_ c: SamplingFixture.Case) -> [Int32: (logit: Float, probability: Double)] {
        let kept = c.logits.withUnsafeBufferPointer { Generator.distribution($0.baseAddress!, vocab: c.logits.count, settings: c.settings) }
        return Dictionary(uniqueKeysWithValues: kept.map { ($0.id, ($0.logit, $0.probability)) })
    }

    @Test func keptTokensScoresAndProbabilitiesEqualTransformers() throws {
        let fixture = try SamplingFixture()
        #expect(!fixture.cases.isEmpty)
        for c in fixture.cases {
            let ours = Self.distribution(c)
            #expect(abs(ours.values.reduce(0) { $0 + $1.probability } - 1) < 1e-12, "\(c.name): probabilities sum to 1")
            for group in Self.groups(c.logits) {
                let theirs = group.filter { c.scores[$0] != nil }, mine = group.filter { ours[Int32($0)] != nil }
                #expect(mine.count == theirs.count, "\(c.name): logit \(c.logits[group[0]]) keeps tokens \(mine), transformers \(theirs)")
                guard let reference = theirs.first else { continue }
                for token in mine {
                    let (logit, probability) = ours[Int32(token)]!
                    // the same fp32 division, so the same bits; torch's softmax runs in fp32
                    #expect(logit == c.scores[reference]!, "\(c.name): token \(token) scaled to \(logit), transformers \(c.scores[reference]!)")
                    let expected = c.probabilities[reference]
                    #expect(abs(probability - expected) <= 1e-6 * expected + 1e-9,
                            "\(c.name): token \(token) has probability \(probability), transformers \(expected)")
                }
            }
        }
    }

    /// 40,000 seeded draws per case: each group's count is within 5 standard deviations of the
    /// binomial count transformers' probabilities predict (a correct sampler misses one of the
    /// ~150 bounds with probability ~1e-4; the seeds are fixed, so the outcome is too), and
    /// tokens transformers removes are never drawn.
    @Test func seededDrawFrequenciesFollowTransformersDistribution() throws {
        let draws = 40_000
        for (i, c) in try SamplingFixture().cases.enumerated() {
            var counts = [Int](repeating: 0, count: c.logits.count)
            var rng = SeededGenerator(seed: UInt64(i))
            var logits = c.logits
            for _ in 0..<draws {
                let token = logits.withUnsafeMutableBufferPointer { Generator.sample($0.baseAddress!, vocab: $0.count, settings: c.settings, rng: &rng) }
                counts[Int(token)] += 1
            }
            for group in Self.groups(c.logits) {
                // fp32 probabilities can sum to a hair over 1
                let p = min(1, group.reduce(0) { $0 + c.probabilities[$1] }), count = group.reduce(0) { $0 + counts[$1] }
                let mean = Double(draws) * p, sd = (Double(draws) * p * (1 - p)).squareRoot()
                #expect(abs(Double(count) - mean) <= 5 * sd, "\(c.name): tokens \(group) drawn \(count) times of \(draws), expected \(mean) ± 5·\(sd)")
            }
        }
    }

    @Test func samplingIsSeededAndTemperatureZeroIsGreedy() {
        var logits: [Float] = [2, 1, 0.5, 3, -1]
        func draws(_ settings: SamplingSettings, seed: UInt64) -> [Int32] {
            var rng = SeededGenerator(seed: seed)
            return (0..<300).map { _ in logits.withUnsafeMutableBufferPointer { Generator.sample($0.baseAddress!, vocab: 5, settings: settings, rng: &rng) } }
        }
        let warm = SamplingSettings(temperature: 1)
        #expect(draws(warm, seed: 1) == draws(warm, seed: 1))
        #expect(draws(warm, seed: 1) != draws(warm, seed: 2))
        #expect(draws(SamplingSettings(), seed: 5).allSatisfy { $0 == 3 })
        logits[0] = 10
        #expect(draws(SamplingSettings(temperature: 0.01), seed: 6).allSatisfy { $0 == 0 })
    }

    /// The kept tokens come most likely first, equal logits by id (so that a seed draws the same
    /// token however the order is computed), with -0 equal to +0 and -inf and NaN tokens left out.
    @Test func keptTokensAreOrderedByLogitThenId() {
        var rng = SeededGenerator(seed: 5)
        let pool: [Float] = [0, -0.0, 1.5, -1.5, 3, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                             .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        let logits = (0..<500).map { i in i % 3 == 0 ? pool[Int.random(in: 0..<pool.count, using: &rng)] : Float.random(in: -4..<4, using: &rng) }
        let kept = logits.withUnsafeBufferPointer {
            Generator.distribution($0.baseAddress!, vocab: logits.count, settings: SamplingSettings(temperature: 0.7))
        }
        let scaled = logits.map { $0 / 0.7 }
        let expected = scaled.indices.filter { scaled[$0] > -.infinity }
            .sorted { scaled[$0] > scaled[$1] || (scaled[$0] == scaled[$1] && $0 < $1) }
        #expect(kept.map { Int($0.id) } == expected)
    }
}
