import Foundation
@testable import ShapesWorld

/// A hand-made scene whose truth is easy to read off:
///
///     small red circle (12, 12)      large blue square (40, 14)
///     small red triangle (14, 44)    large green star (44, 46)
enum Fixtures {
    static let circle = SceneObject(shape: .circle, colour: .red, size: .small, x: 12, y: 12, radius: 5)
    static let square = SceneObject(shape: .square, colour: .blue, size: .large, x: 40, y: 14, radius: 9)
    static let triangle = SceneObject(shape: .triangle, colour: .red, size: .small, x: 14, y: 44, radius: 5)
    static let star = SceneObject(shape: .star, colour: .green, size: .large, x: 44, y: 46, radius: 9)

    static let scene = Scene(id: "hand", width: 64, height: 64, objects: [square, star, circle, triangle])

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("shapesworld-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A small world, quick to generate and write.
    static let smallOptions = WorldOptions(seed: 42, trainScenes: 30, evalScenes: 20, poolScenes: 10, rounds: 2)
}

/// The index of the first differing element, or nil, so failures name a place instead of
/// printing two whole arrays.
func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> Int? {
    if let i = zip(a.indices, b.indices).first(where: { a[$0] != b[$1] })?.0 { return i }
    return a.count == b.count ? nil : min(a.count, b.count)
}
