import Foundation
import JSON
import TestSupport
import Testing

/// `vlm-align bench dpo | sft | tower`: a steady step (or the tower's pass) with the FLOPs its
/// products need and the machine's sgemm rate as one JSON object; data too short for the steps
/// asked, and impossible options, refused with the file or option named.
@Suite(.timeLimit(.minutes(10))) struct BenchTrainingCommandTests {
    static let folder = TRLFixture.folder

    static func run(_ extra: [String]) throws -> CLI.Result {
        try CLI.run(["bench", "dpo", "--model", folder.appendingPathComponent("policy").path,
                     "--ref-model", folder.appendingPathComponent("reference").path,
                     "--data", folder.appendingPathComponent("pairs.jsonl").path] + extra)
    }

    @Test func aStepIsTimedAndItsProductsCounted() throws {
        let result = try Self.run(["--batch-size", "1", "--steps", "2", "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let json = try JSONValue(parsing: Data(result.output.utf8))
        #expect(json["examples_per_step"]?.doubleValue == 1)
        #expect((json["step_seconds_median"]?.doubleValue ?? 0) > 0)
        #expect((json["gemm_gflop"]?.doubleValue ?? 0) > 0)
        #expect((json["sgemm_peak_gflops"]?.doubleValue ?? 0) > 0)
        let share = json["gemm_share"]?.doubleValue ?? -1
        #expect(share > 0 && share <= 1.05, "products took \(share) of the step")
        #expect(result.errors.contains("timed step 2 of 2"), "progress goes to stderr: \(result.errors)")
    }

    @Test func tooFewPairsForTheStepsNameTheFile() throws {
        let result = try Self.run(["--batch-size", "4", "--steps", "8"])
        #expect(result.status != 0)
        #expect(result.errors.contains("pairs.jsonl") && result.errors.contains("need 40"), "\(result.errors)")
        #expect(!result.errors.contains("Fatal error"), "\(result.errors)")
    }

    @Test(arguments: [["--batch-size", "0"], ["--steps", "0"], ["--steps", "-2"]])
    func impossibleOptionsAreRefused(options: [String]) throws {
        let result = try Self.run(options)
        #expect(result.status != 0)
        #expect(result.errors.contains(options[0]), "\(result.errors)")
        #expect(!result.errors.contains("Fatal error"), "\(result.errors)")
    }

    @Test func anSFTStepCountsItsExamples() throws {
        let result = try CLI.run(["bench", "sft", "--model", Self.folder.appendingPathComponent("policy").path,
                                  "--data", Self.folder.deletingLastPathComponent().appendingPathComponent("trl-sft/completions.jsonl").path,
                                  "--batch-size", "2", "--steps", "0"])
        #expect(result.status != 0 && result.errors.contains("--steps"), "\(result.errors)")
        let run = try CLI.run(["bench", "sft", "--model", Self.folder.appendingPathComponent("policy").path,
                               "--data", Self.folder.deletingLastPathComponent().appendingPathComponent("trl-sft/completions.jsonl").path,
                               "--batch-size", "1", "--steps", "2", "--json"])
        #expect(run.status == 0, "\(run.errors)")
        let json = try JSONValue(parsing: Data(run.output.utf8))
        #expect(json["examples_per_step"]?.doubleValue == 1)
        #expect((json["gemm_gflop"]?.doubleValue ?? 0) > 0 && (json["examples_per_second"]?.doubleValue ?? 0) > 0)
    }

    @Test func theTowersPassIsCountedAndOtherFamiliesRefused() throws {
        let run = try CLI.run(["bench", "tower", "--shape", "tiny", "--images", "2", "--repeats", "1", "--json"])
        #expect(run.status == 0, "\(run.errors)")
        let json = try JSONValue(parsing: Data(run.output.utf8))
        #expect(json["images"]?.doubleValue == 2 && (json["gemm_gflop"]?.doubleValue ?? 0) > 0)
        #expect((json["forward_seconds"]?.doubleValue ?? 0) <= (json["forward_backward_seconds"]?.doubleValue ?? 0))
        for options in [["--shape", "qwen2-vl-2b"], ["--images", "0"], ["--repeats", "0"]] {
            let refused = try CLI.run(["bench", "tower", "--shape", "tiny"] + options)
            #expect(refused.status != 0 && refused.errors.contains(options[0]), "\(options): \(refused.errors)")
            #expect(!refused.errors.contains("Fatal error"))
        }
    }
}
