import Foundation
import JSON
import TestSupport
import Testing

/// `vlm-align bench dpo`: a steady DPO step with the FLOPs its products need and the machine's
/// sgemm rate as one JSON object; data too short for the steps asked, and impossible options,
/// refused with the file or option named.
@Suite(.timeLimit(.minutes(10))) struct BenchDPOCommandTests {
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
        #expect((json["gemm_gflop_per_step"]?.doubleValue ?? 0) > 0)
        #expect((json["sgemm_peak_gflops"]?.doubleValue ?? 0) > 0)
        let share = json["gemm_share_of_step"]?.doubleValue ?? -1
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
}
