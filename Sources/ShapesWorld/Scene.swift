/// The closed world: what an object can be, and a scene of objects on a canvas.

public enum Shape: String, Codable, CaseIterable, Sendable {
    case circle, square, triangle, diamond, star

    public var plural: String { rawValue + "s" }
}

public enum Colour: String, Codable, CaseIterable, Sendable {
    case red, orange, yellow, green, blue, purple

    /// Fill colour, far enough apart that every name is visible at 64 px with noise.
    public var rgb: (Double, Double, Double) {
        switch self {
        case .red: (215, 35, 35)
        case .orange: (245, 140, 20)
        case .yellow: (235, 215, 30)
        case .green: (35, 160, 60)
        case .blue: (35, 75, 215)
        case .purple: (140, 50, 180)
        }
    }
}

public enum Size: String, Codable, CaseIterable, Sendable {
    case small, large

    /// Nominal radius as a fraction of the canvas's shorter side.
    var radiusFraction: Double { self == .small ? 0.08 : 0.14 }
}

/// An axis-aligned box in pixel coordinates: x1, y1 the top-left corner, x2, y2 the
/// bottom-right one (edges, so a box covering pixel columns 3...7 has x1 = 3, x2 = 8).
public struct Box: Codable, Equatable, Sendable, CustomStringConvertible {
    public var x1, y1, x2, y2: Int

    public init(x1: Int, y1: Int, x2: Int, y2: Int) {
        (self.x1, self.y1, self.x2, self.y2) = (x1, y1, x2, y2)
    }

    public var area: Int { max(0, x2 - x1) * max(0, y2 - y1) }

    public func intersection(_ other: Box) -> Int {
        max(0, min(x2, other.x2) - max(x1, other.x1)) * max(0, min(y2, other.y2) - max(y1, other.y1))
    }

    /// Intersection over union; 0 for a degenerate box.
    public func iou(_ other: Box) -> Double {
        let inter = intersection(other)
        let union = area + other.area - inter
        return union > 0 ? Double(inter) / Double(union) : 0
    }

    /// The grammar's form, `[x1, y1, x2, y2]`.
    public var description: String { "[\(x1), \(y1), \(x2), \(y2)]" }
}

public struct SceneObject: Codable, Equatable, Sendable {
    public var shape: Shape
    public var colour: Colour
    public var size: Size
    /// Centre and nominal radius in pixels.
    public var x: Double
    public var y: Double
    public var radius: Double

    public init(shape: Shape, colour: Colour, size: Size, x: Double, y: Double, radius: Double) {
        self.shape = shape
        self.colour = colour
        self.size = size
        self.x = x
        self.y = y
        self.radius = radius
    }

    /// The pixels the object touches, as a box.
    public var box: Box {
        let b = outline.bounds
        return Box(x1: Int(b.minX.rounded(.down)), y1: Int(b.minY.rounded(.down)),
                   x2: Int(b.maxX.rounded(.up)), y2: Int(b.maxY.rounded(.up)))
    }

    var outline: Outline { Outline(shape: shape, x: x, y: y, radius: radius) }

    /// Identity in the world's language: what the object is, not where.
    public var kind: ObjectKind { ObjectKind(size: size, colour: colour, shape: shape) }
}

/// A complete object description: size, colour, shape.
public struct ObjectKind: Hashable, Codable, Sendable {
    public var size: Size
    public var colour: Colour
    public var shape: Shape

    public init(size: Size, colour: Colour, shape: Shape) {
        self.size = size
        self.colour = colour
        self.shape = shape
    }
}

/// A canvas colour with a linear gradient: base + dx·(x/W - ½) + dy·(y/H - ½), per channel.
public struct Background: Codable, Equatable, Sendable {
    public var base: [Double]
    public var dx: [Double]
    public var dy: [Double]

    public static let plain = Background(base: [235, 235, 235], dx: [0, 0, 0], dy: [0, 0, 0])

    public init(base: [Double], dx: [Double], dy: [Double]) {
        self.base = base
        self.dx = dx
        self.dy = dy
    }
}

/// Everything needed to render one image and to know the truth about it.
public struct Scene: Codable, Equatable, Sendable {
    public var id: String
    public var width: Int
    public var height: Int
    public var background: Background
    /// Amplitude of uniform per-pixel noise, in 8-bit levels (0: none).
    public var noise: Int
    public var noiseSeed: UInt64
    /// Left to right by centre (then top to bottom): the order descriptions list them in.
    public var objects: [SceneObject]

    public init(id: String, width: Int, height: Int, background: Background = .plain, noise: Int = 0,
                noiseSeed: UInt64 = 0, objects: [SceneObject]) {
        self.id = id
        self.width = width
        self.height = height
        self.background = background
        self.noise = noise
        self.noiseSeed = noiseSeed
        self.objects = objects.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
    }
}
