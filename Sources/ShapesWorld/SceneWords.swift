/// A scene written as words, and the words under each image token: the two bridges that teach a
/// decoder to read a scene from an image as it reads it from text (docs/shapesworld.md, "A base
/// that sees"): first the decoder answers from the scene written out, then the connector is
/// trained to put each image token where the words of what lies under it are.
extension Scene {
    /// Every object left to right, a sentence each: "small red circle . large blue square .".
    /// Without positions: with each object's box too, a fresh decoder did not learn even to copy
    /// the objects into a list in 1,500 steps (descriptions 0%); without, 100% by step 1,000.
    public var words: String {
        objects.map { "\($0.size.rawValue) \($0.colour.rawValue) \($0.shape.rawValue) ." }.joined(separator: " ")
    }

    /// The categories a question can be answered from `words` alone: not those about positions.
    public static let answerableFromWords: Set<Category> = [.existence, .counting, .attributes, .negation, .description, .unanswerable]

    /// Per cell of a grid of square `cell`-pixel cells (row-major): the size, colour and shape of
    /// the object covering most of it, if it covers at least `minimumCoverage` of it, else
    /// "nothing". A small object split over four cells covers each of them a little, so the
    /// threshold is lower than the tower's patch labels'.
    public func cellWords(cell: Int, minimumCoverage: Double = 0.05) -> [[String]] {
        let labels = patchLabels(patchSize: cell, minimumCoverage: minimumCoverage)
        return labels.patches[0].indices.map { p in
            let classes = labels.patches.map { Int($0[p]) }
            guard classes[0] < Shape.allCases.count else { return ["nothing"] }
            return [Size.allCases[classes[2]].rawValue, Colour.allCases[classes[1]].rawValue, Shape.allCases[classes[0]].rawValue]
        }
    }
}
