import Evaluation
import Testing

/// IoU and matched precision / recall / F1 on hand-made cases, worked by hand.
@Suite(.timeLimit(.minutes(10))) struct GroundingTests {
    @Test func iouOfOverlappingNestedAndDisjointBoxes() {
        #expect(Box(0, 0, 2, 2).iou(Box(1, 1, 3, 3)) == 1.0 / 7.0)  // 1 / (4 + 4 - 1)
        #expect(Box(0, 0, 4, 4).iou(Box(1, 1, 3, 3)) == 0.25)
        #expect(Box(0, 0, 1, 1).iou(Box(1, 0, 2, 1)) == 0)  // touching edges
        #expect(Box(0, 0, 1, 1).iou(Box(5, 5, 6, 6)) == 0)
        #expect(Box(2, 3, 10, 7).iou(Box(2, 3, 10, 7)) == 1)
    }

    @Test func degenerateBoxesOverlapNothing() {
        #expect(Box(1, 1, 1, 5).isDegenerate && Box(1, 1, 1, 5).iou(Box(1, 1, 1, 5)) == 0)  // zero width
        #expect(Box(3, 3, 1, 1).isDegenerate && Box(3, 3, 1, 1).iou(Box(0, 0, 4, 4)) == 0)  // inverted
        #expect(Box(0, 0, .nan, 1).iou(Box(0, 0, 1, 1)) == 0)
        let s = GroundingScores.score(predicted: [Box(1, 1, 1, 1)], truth: [Box(0, 0, 2, 2), Box(5, 5, 5, 9)])
        #expect(s.truePositives == 0 && s.precision == 0 && s.recall == 0 && s.f1 == 0)
    }

    @Test func greedyOneToOneMatchingByIoU() {
        // two predictions both overlap truth 0; the better one takes it, the other takes truth 1
        let truth = [Box(0, 0, 10, 10), Box(1, 0, 11, 10)]
        let predicted = [Box(1, 0, 11, 10), Box(0, 0, 10, 10), Box(50, 50, 60, 60)]
        let m = GroundingScores.matches(predicted: predicted, truth: truth)
        #expect(m.map(\.prediction) == [0, 1] && m.map(\.truth) == [1, 0])
        let s = GroundingScores.score(predicted: predicted, truth: truth)
        #expect(s.truePositives == 2 && s.precision == 2.0 / 3.0 && s.recall == 1)
        #expect(abs(s.f1 - 0.8) < 1e-12 && s.meanMatchedIoU == 1)
        // one prediction can match only one truth
        let one = GroundingScores.score(predicted: [Box(0, 0, 10, 10)], truth: [Box(0, 0, 10, 10), Box(0, 0, 10, 10)])
        #expect(one.truePositives == 1 && one.recall == 0.5)
    }

    @Test func thresholdIsInclusiveAndAdjustable() {
        let p = [Box(0, 0, 2, 1)], t = [Box(0, 0, 1, 1)]  // IoU exactly 0.5
        #expect(GroundingScores.score(predicted: p, truth: t).truePositives == 1)
        #expect(GroundingScores.score(predicted: p, truth: t, threshold: 0.75).truePositives == 0)
        #expect(GroundingScores.score(predicted: [Box(0, 0, 2, 2)], truth: [Box(1, 1, 3, 3)], threshold: 0.1).truePositives == 1)
    }

    @Test func emptySides() {
        let none = GroundingScores.score(predicted: [], truth: [])
        #expect(none.precision == 1 && none.recall == 1 && none.f1 == 1)
        let missed = GroundingScores.score(predicted: [], truth: [Box(0, 0, 1, 1)])
        #expect(missed.precision == 1 && missed.recall == 0 && missed.f1 == 0)
        let invented = GroundingScores.score(predicted: [Box(0, 0, 1, 1)], truth: [])
        #expect(invented.precision == 0 && invented.recall == 1 && invented.f1 == 0)
    }

    @Test func outOfImageBoxesAreClipped() {
        let image = (width: 10.0, height: 10.0)
        // half outside: its visible part equals the truth
        #expect(GroundingScores.score(predicted: [Box(5, 0, 15, 10)], truth: [Box(5, 0, 10, 10)], imageSize: image).truePositives == 1)
        #expect(GroundingScores.score(predicted: [Box(5, 0, 15, 10)], truth: [Box(5, 0, 10, 10)]).truePositives == 1)  // IoU 0.5 unclipped
        #expect(GroundingScores.score(predicted: [Box(6, 0, 16, 10)], truth: [Box(6, 0, 10, 10)]).truePositives == 0)  // IoU 0.4
        #expect(GroundingScores.score(predicted: [Box(6, 0, 16, 10)], truth: [Box(6, 0, 10, 10)], imageSize: image).truePositives == 1)
        // wholly outside: degenerate after clipping, a false positive
        let outside = GroundingScores.score(predicted: [Box(20, 20, 30, 30)], truth: [Box(0, 0, 5, 5)], imageSize: image)
        #expect(outside.truePositives == 0 && outside.predictions == 1 && outside.precision == 0)
        #expect(Box(20, 20, 30, 30).clipped(width: 10, height: 10).isDegenerate)
    }

    @Test func scoresAddUpOverImages() {
        var total = GroundingScores.score(predicted: [Box(0, 0, 1, 1)], truth: [Box(0, 0, 1, 1)])
        total += GroundingScores.score(predicted: [Box(0, 0, 1, 1)], truth: [Box(3, 3, 4, 4)])
        #expect(total.truePositives == 1 && total.predictions == 2 && total.truths == 2 && total.f1 == 0.5)
    }
}
