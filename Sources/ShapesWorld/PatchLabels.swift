import Interchange

/// What lies under each patch of a scene's image, and which patches each object covers: the
/// dense targets that teach a vision tower to see shapes (`vlm-align shapes pretrain`).
public struct PatchLabels: Sendable {
    /// The three attributes, in this order, with their classes (a patch's also has "nothing").
    public static let attributes = ["shape", "colour", "size"]
    public static let classes = [Shape.allCases.count, Colour.allCases.count, Size.allCases.count]
    /// A patch belongs to the object covering most of it when that object covers at least this
    /// share of it; else to the background (class `classes[a]`, one past the attribute's own).
    public static let minimumCoverage = 0.2

    /// Per attribute, one class per patch, row-major.
    public var patches: [[Int32]]
    /// Per patch, the index of the object it belongs to; nil for the background.
    public var owners: [Int?]
    /// Per object (left to right): its share of each patch's area, and its three classes.
    public var objects: [(coverage: [Float], classes: [Int32])]
}

extension Scene {
    /// The scene's labels for square patches of `patchSize` pixels, coverage measured on the
    /// renderer's sub-pixel samples.
    public func patchLabels(patchSize: Int, minimumCoverage: Double = PatchLabels.minimumCoverage) -> PatchLabels {
        let columns = width / patchSize, rows = height / patchSize, patches = rows * columns
        let n = Self.supersampling, samplesPerPatch = Double(patchSize * patchSize * n * n)
        var coverage: [[Float]] = []
        for object in objects {
            let inside = object.outline.contains()
            let box = object.box
            var hits = [Int](repeating: 0, count: patches)
            for py in max(0, box.y1)..<min(rows * patchSize, box.y2) {
                for px in max(0, box.x1)..<min(columns * patchSize, box.x2) {
                    var count = 0
                    for sy in 0..<n {
                        for sx in 0..<n where inside(Double(px) + (Double(sx) + 0.5) / Double(n),
                                                     Double(py) + (Double(sy) + 0.5) / Double(n)) {
                            count += 1
                        }
                    }
                    hits[(py / patchSize) * columns + px / patchSize] += count
                }
            }
            coverage.append(hits.map { Float(Double($0) / samplesPerPatch) })
        }
        var labels = PatchLabels.classes.map { [Int32](repeating: Int32($0), count: patches) }
        var owners = [Int?](repeating: nil, count: patches)
        for p in 0..<patches {
            guard let best = coverage.indices.max(by: { coverage[$0][p] < coverage[$1][p] }),
                  Double(coverage[best][p]) >= minimumCoverage else { continue }
            owners[p] = best
            for (a, c) in objects[best].classes.enumerated() { labels[a][p] = c }
        }
        return PatchLabels(patches: labels, owners: owners, objects: zip(objects, coverage).map { ($1, $0.classes) })
    }
}

extension SceneObject {
    /// Shape, colour and size as class indices, in `PatchLabels.attributes` order.
    var classes: [Int32] {
        [Int32(Shape.allCases.firstIndex(of: shape)!), Int32(Colour.allCases.firstIndex(of: colour)!),
         Int32(Size.allCases.firstIndex(of: size)!)]
    }
}
