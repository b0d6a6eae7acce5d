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
    /// With `places`, also the cell of that object's centre, the same on all of its cells: its
    /// column as "0"… and its row as "10"… (`placeWords`).
    public func cellWords(cell: Int, minimumCoverage: Double = 0.05, places: Bool = false) -> [[String]] {
        patchLabels(patchSize: cell, minimumCoverage: minimumCoverage).owners.map { owner in
            guard let owner else { return ["nothing"] }
            let object = objects[owner]
            return [object.size.rawValue, object.colour.rawValue, object.shape.rawValue] + (places ? placeWords(of: object, cell: cell) : [])
        }
    }

    /// The cell of the object's centre on the grid of `cell`-pixel cells: its column as "0", "1", …
    /// and its row as "10", "11", …. A token's words are a bag without order, so column and row
    /// need words of their own (grids of up to 10 columns).
    public func placeWords(of object: SceneObject, cell: Int) -> [String] {
        let column = min(width / cell - 1, max(0, Int(object.x) / cell))
        let row = min(height / cell - 1, max(0, Int(object.y) / cell))
        return [String(column), String(10 + row)]
    }
}
