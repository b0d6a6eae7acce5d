import Foundation
import Imaging
import Interchange
import Testing
@testable import ShapesWorld

@Suite(.timeLimit(.minutes(10))) struct SceneTests {
    static func scene(_ seed: UInt64, index: Int = 0, style: SceneStyle = SceneStyle()) -> Scene {
        var rng = SeededGenerator(seed: seed, stream: 1, index: index)
        return Scene.random(id: "s", style: style, using: &rng)
    }

    @Test func scenesAreDeterministicFromTheSeed() {
        for seed: UInt64 in [0, 1, 99, .max] {
            #expect(Self.scene(seed) == Self.scene(seed))
        }
        let distinct = Set((0..<20).map { String(describing: Self.scene(UInt64($0)).objects.map(\.x)) })
        #expect(distinct.count == 20)
    }

    @Test func objectsAreInsideTheCanvasAndApart() {
        for i in 0..<300 {
            let scene = Self.scene(7, index: i)
            #expect((1...6).contains(scene.objects.count))
            for object in scene.objects {
                let box = object.box
                #expect(box.x1 >= 0 && box.y1 >= 0 && box.x2 <= scene.width && box.y2 <= scene.height, "scene \(i): \(box)")
            }
            for (j, a) in scene.objects.enumerated() {
                for b in scene.objects[(j + 1)...] {
                    let distance = ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
                    #expect(distance > a.radius * Outline.extent(a.shape) + b.radius * Outline.extent(b.shape),
                            "scene \(i): objects touch")
                }
            }
        }
    }

    @Test func everyShapeColourAndSizeAndEveryCountOccurs() {
        let scenes = (0..<300).map { Self.scene(3, index: $0) }
        let objects = scenes.flatMap(\.objects)
        #expect(Set(objects.map(\.shape)) == Set(Shape.allCases))
        #expect(Set(objects.map(\.colour)) == Set(Colour.allCases))
        #expect(Set(objects.map(\.size)) == Set(Size.allCases))
        #expect(Set(scenes.map(\.objects.count)) == Set(1...6))
    }

    @Test func boxesFollowTheOutlines() {
        #expect(Fixtures.square.box == Box(x1: 32, y1: 6, x2: 48, y2: 22))
        #expect(Fixtures.circle.box == Box(x1: 7, y1: 7, x2: 17, y2: 17))
        #expect(Fixtures.star.box == Box(x1: 33, y1: 35, x2: 55, y2: 55))
    }

    @Test func pngBytesAreDeterministic() throws {
        for seed: UInt64 in [5, 6] {
            let a = try Self.scene(seed).render().pngData(), b = try Self.scene(seed).render().pngData()
            #expect(a == b)
        }
        #expect(try Self.scene(5).render().pngData() != Self.scene(6).render().pngData())
    }

    @Test func renderingIsAntiAliasedAndFaithful() throws {
        let scene = Fixtures.scene  // plain background, no noise
        let image = scene.render()
        #expect(image.width == 64 && image.height == 64)
        // centres carry the fill colour, far corners the background
        for object in scene.objects {
            let (r, g, b) = image[Int(object.x), Int(object.y)]
            let fill = object.colour.rgb
            #expect((Double(r), Double(g), Double(b)) == fill, "\(object.shape) centre")
        }
        #expect(image[0, 63] == (235, 235, 235))
        // the circle's edge has pixels partly covered: strictly between fill and background
        let circle = Fixtures.circle.box
        var blended = 0
        for y in circle.y1..<circle.y2 {
            for x in circle.x1..<circle.x2 {
                let green = image[x, y].1  // 35 inside, 235 outside
                if green > 35 && green < 235 { blended += 1 }
            }
        }
        #expect(blended >= 8)
        // nothing is drawn outside the objects' boxes
        for y in 0..<64 {
            for x in 0..<64 where !scene.objects.contains(where: { o in
                let b = o.box
                return x >= b.x1 && x < b.x2 && y >= b.y1 && y < b.y2
            }) {
                #expect(image[x, y] == (235, 235, 235), "pixel (\(x), \(y))")
            }
        }
    }

    @Test func noiseAndBackgroundVariationChangePixelsWithinBounds() throws {
        let plain = Self.scene(11, style: SceneStyle(backgroundVariation: false, noise: 0))
        let noisy = Scene(id: plain.id, width: 64, height: 64, background: plain.background, noise: 6, noiseSeed: 3,
                          objects: plain.objects)
        let a = plain.render(), b = noisy.render()
        let differences = zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }
        #expect(differences.max()! <= 6)
        #expect(differences.filter { $0 > 0 }.count > a.pixels.count / 2)
        let varied = Self.scene(11, style: SceneStyle(backgroundVariation: true, noise: 0))
        #expect(varied.background != .plain)
        #expect(varied.objects == plain.objects)
    }

    @Test func otherResolutions() throws {
        let scene = Self.scene(2, style: SceneStyle(width: 128, height: 128))
        let image = scene.render()
        #expect(image.width == 128 && image.height == 128)
        let decoded = try RGBImage(decoding: try image.pngData(), source: "memory")
        #expect(decoded == image)
    }
}
