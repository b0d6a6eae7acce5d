import Interchange

/// How scenes look: canvas, background, noise, how many objects.
public struct SceneStyle: Codable, Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var maxObjects: Int
    /// A random light background tint and gradient per scene, instead of plain grey.
    public var backgroundVariation: Bool
    /// Amplitude of uniform per-pixel noise, in 8-bit levels.
    public var noise: Int

    public init(width: Int = 64, height: Int = 64, maxObjects: Int = 6, backgroundVariation: Bool = true, noise: Int = 4) {
        self.width = width
        self.height = height
        self.maxObjects = maxObjects
        self.backgroundVariation = backgroundVariation
        self.noise = noise
    }
}

extension Scene {
    /// A random scene of 1...maxObjects objects that do not touch (their outlines' enclosing
    /// circles are at least a small gap apart) and lie inside the canvas. The layout is drawn
    /// first, so background and noise settings do not change it.
    public static func random(id: String, style: SceneStyle, using rng: inout SeededGenerator) -> Scene {
        let objects = randomObjects(style: style, using: &rng)
        let background = randomBackground(using: &rng)
        return Scene(id: id, width: style.width, height: style.height,
                     background: style.backgroundVariation ? background : .plain,
                     noise: style.noise, noiseSeed: rng.next(), objects: objects)
    }

    private static func randomObjects(style: SceneStyle, using rng: inout SeededGenerator) -> [SceneObject] {
        let side = Double(min(style.width, style.height))
        let gap = max(1, 0.03 * side)
        let count = rng.int(in: 1...style.maxObjects)
        while true {
            var placed: [(object: SceneObject, extent: Double)] = []
            for _ in 0..<count {
                let shape = rng.pick(Shape.allCases), colour = rng.pick(Colour.allCases)
                // a large object that no longer fits is made small before the scene is redrawn
                for size in rng.pick(Size.allCases) == .large ? [Size.large, .small] : [.small] {
                    let radius = size.radiusFraction * side
                    let extent = radius * Outline.extent(shape)
                    if let (x, y) = place(extent: extent, gap: gap, among: placed, style: style, using: &rng) {
                        placed.append((SceneObject(shape: shape, colour: colour, size: size, x: x, y: y, radius: radius), extent))
                        break
                    }
                }
            }
            if placed.count == count { return placed.map(\.object) }
        }
    }

    private static func place(extent: Double, gap: Double, among placed: [(object: SceneObject, extent: Double)],
                              style: SceneStyle, using rng: inout SeededGenerator) -> (Double, Double)? {
        let margin = extent + 1
        guard Double(style.width) > 2 * margin, Double(style.height) > 2 * margin else { return nil }
        for _ in 0..<100 {
            let x = rng.uniform(margin, Double(style.width) - margin)
            let y = rng.uniform(margin, Double(style.height) - margin)
            let free = placed.allSatisfy { other in
                let (dx, dy) = (x - other.object.x, y - other.object.y)
                let minimum = extent + other.extent + gap
                return dx * dx + dy * dy >= minimum * minimum
            }
            if free { return (x, y) }
        }
        return nil
    }

    private static func randomBackground(using rng: inout SeededGenerator) -> Background {
        let grey = rng.uniform(200, 245)
        let base = (0..<3).map { _ in grey + rng.uniform(-8, 8) }
        let dx = rng.uniform(-20, 20), dy = rng.uniform(-20, 20)
        return Background(base: base, dx: [dx, dx, dx], dy: [dy, dy, dy])
    }
}
