/// Each shape's exact outline around a centre, scaled by the nominal radius. Vertex tables are
/// literals rather than sin/cos calls so that pixels are identical whatever the maths library.
struct Outline {
    let shape: Shape
    let x: Double
    let y: Double
    let radius: Double

    /// Unit-radius polygons, y pointing down; nil for the circle.
    private static func unitPolygon(_ shape: Shape) -> [(Double, Double)]? {
        switch shape {
        case .circle:
            return nil
        case .square:
            return [(-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)]
        case .diamond:
            return [(0, -1.15), (1.15, 0), (0, 1.15), (-1.15, 0)]
        case .triangle:
            // equilateral, circumradius 1.15, pointing up, shifted so its box is centred
            return [(0, -0.8625), (0.995_929_214_7, 0.8625), (-0.995_929_214_7, 0.8625)]
        case .star:
            // five points of radius 1.2 at -90° + 72°k, inner corners of radius 0.5 between
            let outer = 1.2, inner = 0.5
            let c18 = 0.951_056_516_295_153_5, s18 = 0.309_016_994_374_947_4
            let c54 = 0.587_785_252_292_473_1, s54 = 0.809_016_994_374_947_5
            return [
                (0, -outer), (inner * c54, -inner * s54), (outer * c18, -outer * s18),
                (inner * c18, inner * s18), (outer * c54, outer * s54), (0, inner),
                (-outer * c54, outer * s54), (-inner * c18, inner * s18), (-outer * c18, -outer * s18),
                (-inner * c54, -inner * s54),
            ]
        }
    }

    private var polygon: [(Double, Double)]? {
        Self.unitPolygon(shape).map { $0.map { (x + radius * $0.0, y + radius * $0.1) } }
    }

    /// Largest distance from the centre to the outline, in units of the radius.
    static func extent(_ shape: Shape) -> Double {
        guard let unit = unitPolygon(shape) else { return 1 }
        return unit.map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }.max()!
    }

    var bounds: (minX: Double, minY: Double, maxX: Double, maxY: Double) {
        guard let polygon else { return (x - radius, y - radius, x + radius, y + radius) }
        let xs = polygon.map(\.0), ys = polygon.map(\.1)
        return (xs.min()!, ys.min()!, xs.max()!, ys.max()!)
    }

    /// A point-membership test for the renderer's samples.
    func contains() -> (Double, Double) -> Bool {
        guard let polygon else {
            let (cx, cy, r2) = (x, y, radius * radius)
            return { px, py in (px - cx) * (px - cx) + (py - cy) * (py - cy) <= r2 }
        }
        return { px, py in
            // even–odd ray casting, so the star's concave corners need no special case
            var inside = false
            var j = polygon.count - 1
            for i in 0..<polygon.count {
                let (xi, yi) = polygon[i], (xj, yj) = polygon[j]
                if (yi > py) != (yj > py), px < (xj - xi) * (py - yi) / (yj - yi) + xi { inside.toggle() }
                j = i
            }
            return inside
        }
    }
}
