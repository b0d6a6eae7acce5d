import Foundation
import JSON
import TestSupport
import Testing

/// The reference log-probs `vlm-align dpo` caches on disk: found again only for the same
/// reference and the same tokenized pairs, and recomputed, never misread, when the file is
/// damaged.
@Suite(.timeLimit(.minutes(10))) struct ReferenceCacheTests {
    static let folder = TRLFixture.folder

    /// A one-step DPO run from the fixture's policy on `data` with the cache in `cache`;
    /// whether it found the reference log-probs cached, and its first metrics line.
    static func run(_ dir: URL, data: URL = folder.appendingPathComponent("pairs.jsonl"), cache: URL,
                    _ extra: [String]) throws -> (cached: Bool, metrics: JSONValue) {
        let out = dir.appendingPathComponent("run-\(UUID().uuidString)")
        let result = try CLI.run(["dpo", "--model", folder.appendingPathComponent("policy").path, "--data", data.path,
                                  "--out", out.path, "--cache-dir", cache.path, "--allow-no-sft", "--max-steps", "1",
                                  "--batch-size", "4", "--learning-rate", "1e-3"] + extra)
        guard result.status == 0 else { throw CLIError("dpo \(extra) failed: \(result.errors)") }
        let cached = result.output.contains("reference log-probs: cached (")
        guard cached || result.output.contains("reference log-probs: computed for 4 pairs") else {
            throw CLIError("dpo \(extra) did not say where its reference log-probs came from: \(result.output)")
        }
        let line = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")[0]
        return (cached, try JSONValue(parsing: String(line)))
    }

    /// The cache files, by name, with the (chosen, rejected) rows each holds.
    static func files(_ cache: URL) throws -> [String: [[Double]]] {
        let names = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".json") }
        return try Dictionary(uniqueKeysWithValues: names.map { name in
            let rows = try JSONValue(parsing: Data(contentsOf: cache.appendingPathComponent(name))).arrayValue ?? []
            return (name, rows.map { ($0.arrayValue ?? []).compactMap(\.doubleValue) })
        })
    }

    /// A copy of the fixture's pairs and images in `name`, `change` applied to the pairs' text.
    static func dataCopy(in dir: URL, _ name: String, change: (String) -> String = { $0 }) throws -> URL {
        let copy = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("images"), to: copy.appendingPathComponent("images"))
        let text = try String(contentsOf: folder.appendingPathComponent("pairs.jsonl"), encoding: .utf8)
        try Data(change(text).utf8).write(to: copy.appendingPathComponent("pairs.jsonl"))
        return copy.appendingPathComponent("pairs.jsonl")
    }

    /// Each change of what determines the reference log-probs (the reference's weights, how it
    /// is held, a pair's text or image) misses the cache; what does not (β, the data's place)
    /// hits it. The values stored are the reference's: TRL's log-probs of the policy when the
    /// policy is the reference, with or without LoRA; other values for its NF4 form.
    @Test func theCacheIsKeyedByTheReferenceAndThePairs() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = ["--ref-model", Self.folder.appendingPathComponent("reference").path]
        let asPolicy = ["--ref-model", Self.folder.appendingPathComponent("policy").path]

        #expect(try !Self.run(dir, cache: cache, reference).cached)
        #expect(try Self.run(dir, cache: cache, reference + ["--beta", "0.5"]).cached, "β does not change the reference log-probs")
        #expect(try Self.run(dir, data: try Self.dataCopy(in: dir, "moved"), cache: cache, reference).cached,
                "the same pairs and images in another folder")
        #expect(try !Self.run(dir, cache: cache, asPolicy).cached, "another reference model")
        let renamed = try Self.dataCopy(in: dir, "answer") { $0.replacingOccurrences(of: "a small red circle", with: "a small red square") }
        #expect(try !Self.run(dir, data: renamed, cache: cache, reference).cached, "another answer")
        let repainted = try Self.dataCopy(in: dir, "image")
        try FileManager.default.removeItem(at: repainted.deletingLastPathComponent().appendingPathComponent("images/scene0.png"))
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("images/scene1.png"),
                                         to: repainted.deletingLastPathComponent().appendingPathComponent("images/scene0.png"))
        #expect(try !Self.run(dir, data: repainted, cache: cache, reference).cached, "another image")
        let beforeLoRA = try Self.files(cache)
        #expect(try !Self.run(dir, cache: cache, ["--lora-rank", "4"]).cached, "the policy with its adapters off")
        let afterLoRA = try Self.files(cache)
        #expect(try !Self.run(dir, cache: cache, ["--lora-rank", "4", "--quantize", "nf4"]).cached, "the policy's NF4 form")
        let afterNF4 = try Self.files(cache)
        #expect(beforeLoRA.count == 4 && afterLoRA.count == 5 && afterNF4.count == 6)

        // the policy as the reference, held in fp32, with and without LoRA: TRL's log-probs
        let trl = try TRLFixture().pairEntries.map { [$0["chosen_logps"]?.doubleValue ?? .nan, $0["rejected_logps"]?.doubleValue ?? .nan] }
        let lora = try #require(afterLoRA.first { beforeLoRA[$0.key] == nil }?.value)
        let nf4 = try #require(afterNF4.first { afterLoRA[$0.key] == nil }?.value)
        func close(_ a: [[Double]], _ b: [[Double]], _ tolerance: Double) -> Bool {
            a.count == b.count && zip(a.joined(), b.joined()).allSatisfy { abs($0 - $1) <= tolerance * abs($1) }
        }
        #expect(close(lora, trl, 1e-4), "\(lora) vs TRL's \(trl)")
        #expect(beforeLoRA.values.contains { close($0, trl, 1e-4) }, "the run with the policy as --ref-model stored TRL's log-probs")
        #expect(!close(nf4, trl, 1e-3), "NF4 log-probs \(nf4) equal the fp32 ones")
    }

    /// A damaged cache file (empty, not JSON, cut short, another count or shape of rows) is
    /// recomputed and rewritten, and the run's numbers are those of an undamaged one.
    @Test func aDamagedCacheFileIsRecomputed() throws {
        let dir = try CLI.temporaryDirectory(), cache = dir.appendingPathComponent("cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = ["--ref-model", Self.folder.appendingPathComponent("reference").path]
        let clean = try Self.run(dir, cache: cache, reference)
        let stored = try Self.files(cache)
        let (name, rows) = try #require(stored.first)
        #expect(stored.count == 1 && rows.count == 4)
        let file = cache.appendingPathComponent(name)
        let original = try Data(contentsOf: file)
        let damages = ["", "not json", String(decoding: original.prefix(original.count / 2), as: UTF8.self),
                       "[[-1.0, -2.0]]", "[[-1, -2, -3], [-1, -2, -3], [-1, -2, -3], [-1, -2, -3]]", #"{"chosen": [-1]}"#]
        for damage in damages {
            try Data(damage.utf8).write(to: file)
            let again = try Self.run(dir, cache: cache, reference)
            #expect(!again.cached, "read a damaged file: \(damage)")
            for key in ["loss", "rewards/chosen", "rewards/rejected", "logps/chosen"] {
                #expect(again.metrics[key]?.doubleValue == clean.metrics[key]?.doubleValue, "\(key) after \(damage)")
            }
            #expect(try Self.files(cache) == stored, "the file is rewritten whole")
        }
    }
}
