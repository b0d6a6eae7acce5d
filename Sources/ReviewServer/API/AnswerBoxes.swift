import Foundation
import Preferences

/// A box an answer claims on the pair's first image, in that image's pixels, as the review page
/// draws it.
struct AnswerBox: Codable, Equatable, Sendable {
    /// Corners, top-left then bottom-right, clipped to the image.
    var x1: Double
    var y1: Double
    var x2: Double
    var y2: Double
    /// The box as written leaves the image: it is drawn clipped, and flagged.
    var clipped: Bool
    /// The words of the answer that give it.
    var text: String
}

/// Finds the boxes in an answer's text, in the order they are written, in any of the syntaxes
/// VLMs write them in:
///
/// - `[x1, y1, x2, y2]`: four numbers in square brackets are pixels of the image (ShapesWorld's
///   answers, and JSON `"bbox_2d": [x1, y1, x2, y2]` as Qwen2.5-VL writes it);
/// - `<|box_start|>(x1,y1),(x2,y2)<|box_end|>`: Qwen-VL's tokens, coordinates normalised to
///   0–1000 of the image's width and height.
///
/// Corners given in either order are sorted. A box reaching outside the image is clipped to it
/// and flagged; one wholly outside clips to a line or a point (drawn as nothing, still flagged).
/// At most `limit` boxes per answer.
enum AnswerBoxes {
    static let limit = 50

    // Regex is not Sendable, but these are never changed after they are made.
    private static let number = #"\s*(-?\d+(?:\.\d+)?)\s*"#
    nonisolated(unsafe) private static let bracketed = try! Regex("\\[\(number),\(number),\(number),\(number)\\]")
    nonisolated(unsafe) private static let qwen = try! Regex("<\\|box_start\\|>\\s*\\(\(number),\(number)\\)\\s*,\\s*\\(\(number),\(number)\\)\\s*<\\|box_end\\|>")

    static func find(in answer: String, width: Int, height: Int) -> [AnswerBox] {
        var found: [(at: String.Index, box: AnswerBox)] = []
        for (regex, scale) in [(bracketed, (1.0, 1.0)), (qwen, (Double(width) / 1000, Double(height) / 1000))] {
            for match in answer.matches(of: regex) {
                let values = (1...4).compactMap { match.output[$0].substring.flatMap { Double($0) } }
                guard values.count == 4 else { continue }
                let box = clip(values[0] * scale.0, values[1] * scale.1, values[2] * scale.0, values[3] * scale.1,
                               width: Double(width), height: Double(height), text: String(answer[match.range]))
                found.append((match.range.lowerBound, box))
            }
        }
        return found.sorted { $0.at < $1.at }.prefix(limit).map(\.box)
    }

    private static func clip(_ xa: Double, _ ya: Double, _ xb: Double, _ yb: Double, width: Double, height: Double, text: String) -> AnswerBox {
        let (x1, x2, y1, y2) = (min(xa, xb), max(xa, xb), min(ya, yb), max(ya, yb))
        func inside(_ v: Double, _ limit: Double) -> Double { min(max(v, 0), limit) }
        let box = AnswerBox(x1: inside(x1, width), y1: inside(y1, height), x2: inside(x2, width), y2: inside(y2, height), clipped: false, text: text)
        var flagged = box
        flagged.clipped = (box.x1, box.y1, box.x2, box.y2) != (x1, y1, x2, y2)
        return flagged
    }
}
