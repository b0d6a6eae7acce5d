import Foundation
import JSON
import TestSupport
import Testing

/// `vlm-align bench model`: its measurements as one JSON object, and options it cannot run
/// refused with the option named (never a crash).
@Suite(.timeLimit(.minutes(10))) struct BenchModelCommandTests {
    @Test func batchedSamplingReportsItsRates() throws {
        let result = try CLI.run(["bench", "model", "--shape", "tiny", "--batch", "3", "--new-tokens", "4", "--repeats", "1", "--json"])
        #expect(result.status == 0, "\(result.errors)")
        let json = try JSONValue(parsing: Data(result.output.utf8))
        #expect(json["batch"]?.doubleValue == 3)
        #expect((json["generated_tokens_per_second"]?.doubleValue ?? 0) > 0)
        #expect((json["prefill_tokens_per_second"]?.doubleValue ?? 0) > 0)
    }

    @Test(arguments: [["--batch", "-1"], ["--batch", "0"], ["--repeats", "0"], ["--new-tokens", "1"], ["--text-tokens", "-3"]])
    func impossibleOptionsAreRefused(options: [String]) throws {
        let result = try CLI.run(["bench", "model", "--shape", "tiny"] + options)
        #expect(result.status != 0)
        #expect(result.errors.contains(options[0]), "\(result.errors)")
        #expect(!result.errors.contains("Fatal error"), "\(result.errors)")
    }
}
