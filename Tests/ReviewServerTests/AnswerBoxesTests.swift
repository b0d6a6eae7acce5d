import Testing
@testable import ReviewServer

@Suite struct AnswerBoxesTests {
    @Test func pixelBoxesAndJSONBBoxesAreReadInPixels() {
        let boxes = AnswerBoxes.find(in: #"The star is at [33, 80, 75, 120]; JSON: {"bbox_2d": [10.5, 2, 40, 30.25], "label": "dog"}"#,
                                     width: 128, height: 128)
        #expect(boxes == [AnswerBox(x1: 33, y1: 80, x2: 75, y2: 120, clipped: false, text: "[33, 80, 75, 120]"),
                          AnswerBox(x1: 10.5, y1: 2, x2: 40, y2: 30.25, clipped: false, text: "[10.5, 2, 40, 30.25]")])
    }

    @Test func qwenBoxTokensAreNormalisedToAThousand() {
        let boxes = AnswerBoxes.find(in: "<|object_ref_start|>cat<|object_ref_end|><|box_start|>(100,250),(500, 750)<|box_end|>", width: 640, height: 480)
        #expect(boxes == [AnswerBox(x1: 64, y1: 120, x2: 320, y2: 360, clipped: false, text: "<|box_start|>(100,250),(500, 750)<|box_end|>")])
    }

    @Test func aBoxLeavingTheImageIsClippedAndFlaggedAndCornersAreSorted() {
        let boxes = AnswerBoxes.find(in: "[120, 60, 90, -10] and <|box_start|>(430,180),(1100,470)<|box_end|> and [200, 200, 300, 300]",
                                     width: 128, height: 100)
        #expect(boxes.map(\.clipped) == [true, true, true])
        #expect(boxes.map { [$0.x1, $0.y1, $0.x2, $0.y2] } == [[90, 0, 120, 60], [55.04, 18, 128, 47], [128, 100, 128, 100]])
    }

    @Test func textWithoutFourNumbersInBracketsHasNoBoxes() {
        #expect(AnswerBoxes.find(in: "There are [3] circles at (1, 2) and [1, 2, 3].", width: 10, height: 10).isEmpty)
        let many = Array(repeating: "[1, 1, 2, 2]", count: 80).joined(separator: " ")
        #expect(AnswerBoxes.find(in: many, width: 10, height: 10).count == AnswerBoxes.limit)
    }
}
