import Foundation
@testable import Report
import Testing

/// The report's axes: round tick values, whole training steps, no "-0".
@Suite struct SVGChartTests {
    @Test func ticksAreRoundMultiplesInsideTheRange() {
        let (values, step) = SVGChart.ticks(0.6912, 0.6931)
        #expect(step == 0.0005)
        #expect(values.count == 4 && values.allSatisfy { $0 >= 0.6912 && $0 <= 0.6931 })
        #expect(values.map { SVGChart.tick($0, step: step) } == ["0.6915", "0.6920", "0.6925", "0.6930"])
        #expect(SVGChart.ticks(-3, 47).values == [0, 20, 40])
    }

    @Test func stepAxesShowWholeSteps() {
        // four training steps: a quarter of the range would put ticks at 1.75, 2.5 …
        let (values, step) = SVGChart.ticks(1, 4, minimumStep: 1)
        #expect(values == [1, 2, 3, 4] && step == 1)
        #expect(values.map { SVGChart.tick($0, step: step) } == ["1", "2", "3", "4"])
        let svg = SVGChart.lines(title: "loss", series: [("loss", [(1, 0.7), (2, 0.5), (3, 0.45), (4, 0.4)])])
        #expect(!svg.contains(">1.8<") && !svg.contains(">2.5<") && svg.contains(">3</text>"))
    }

    @Test func zeroHasNoSign() {
        let (values, step) = SVGChart.ticks(-0.0004, 0.0012)
        #expect(values.contains(0))
        #expect(SVGChart.tick(-1e-18, step: step) == "0")
        let svg = SVGChart.lines(title: "margin", series: [("margin", [(1, -0.0004), (2, 0.0012)])])
        #expect(!svg.contains("-0.000"))
    }
}
