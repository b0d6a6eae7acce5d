import Foundation
import JSON
import Testing
@testable import Training

/// The schedules against transformers' (tools/fixtures/schedule_fixtures.py: the rate the
/// optimizer holds at each step of `get_scheduler`), every kind with and without warmup.
@Suite(.timeLimit(.minutes(10))) struct LearningRateScheduleTests {
    @Test func everyStepsRateIsTransformers() throws {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/schedules.json")
        let cases = try JSONValue(parsing: Data(contentsOf: url))["cases"]?.arrayValue ?? []
        var kinds = Set<LearningRateSchedule.Kind>()
        for entry in cases {
            guard let name = entry["kind"]?.stringValue, let kind = LearningRateSchedule.Kind(rawValue: name),
                  let base = entry["base"]?.doubleValue, let warmup = entry["warmup"]?.intValue, let total = entry["total"]?.intValue,
                  let rates = entry["rates"]?.arrayValue?.compactMap(\.doubleValue), rates.count == total else {
                Issue.record("\(url.path): a case without kind, base, warmup, total and one rate per step: \(entry)")
                continue
            }
            kinds.insert(kind)
            let schedule = LearningRateSchedule(kind: kind, base: Float(base), warmupSteps: warmup, totalSteps: total)
            for (step, rate) in rates.enumerated() {
                let ours = Double(schedule.rate(at: step))
                #expect(abs(ours - rate) <= 1e-6 * base, "\(name), warmup \(warmup) of \(total), step \(step): \(ours) vs \(rate)")
            }
        }
        #expect(kinds == Set(LearningRateSchedule.Kind.allCases))
    }
}
