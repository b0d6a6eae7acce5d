import Interchange
import Testing
@testable import ShapesWorld

@Suite(.timeLimit(.minutes(10))) struct PatchLabelsTests {
    static func object(_ shape: Shape, _ colour: Colour, _ size: Size, x: Double, y: Double) -> SceneObject {
        SceneObject(shape: shape, colour: colour, size: size, x: x, y: y, radius: 64 * (size == .large ? 0.14 : 0.08))
    }

    @Test func aSquareCoversThePatchesUnderItAndItsArea() {
        // a large square centred on the corner of four 8-pixel patches: 0.85 · 8.96 half side
        let square = Self.object(.square, .blue, .large, x: 32, y: 32)
        let labels = Scene(id: "s", width: 64, height: 64, objects: [square]).patchLabels(patchSize: 8)
        let half = 0.85 * 8.96
        let inner: Set<Int> = [27, 28, 35, 36]  // rows and columns 3 and 4 of the 8 × 8 grid
        for p in 0..<64 {
            let expected: [Int32] = inner.contains(p) ? [1, 4, 1] : [5, 6, 2]  // square, blue, large; else background
            #expect(labels.patches.map { $0[p] } == expected, "patch \(p)")
        }
        let coverage = labels.objects[0].coverage
        // each inner patch is covered from the square's edge to the patch corner, (32 - 24.384)² of
        // 64 px², up to the sub-pixel samples' quarter pixel at each of the two edges
        let sampling = 2 * 0.25 * half / 64
        for p in inner { #expect(abs(Double(coverage[p]) - (half * half) / 64) <= sampling, "patch \(p): \(coverage[p])") }
        #expect(abs(Double(coverage.reduce(0, +)) * 64 - 4 * half * half) <= 4 * 0.25 * 2 * half)
        #expect(labels.objects[0].classes == [1, 4, 1])
    }

    @Test func aCircleCoversItsArea() {
        let circle = Self.object(.circle, .red, .small, x: 20.3, y: 41.7)
        let labels = Scene(id: "s", width: 64, height: 64, objects: [circle]).patchLabels(patchSize: 8)
        let area = Double.pi * circle.radius * circle.radius
        #expect(abs(Double(labels.objects[0].coverage.reduce(0, +)) * 64 - area) < 0.02 * area)
    }

    @Test func aPatchBelongsToTheObjectCoveringMostOfItWhenThatIsAFifth() {
        for i in 0..<200 {
            var rng = SeededGenerator(seed: 11, stream: 1, index: i)
            let scene = Scene.random(id: "s", style: SceneStyle(), using: &rng)
            let labels = scene.patchLabels(patchSize: 8)
            #expect(labels.objects.count == scene.objects.count)
            for p in 0..<64 {
                let shares = labels.objects.map { Double($0.coverage[p]) }
                #expect(shares.allSatisfy { (0...1).contains($0) } && shares.reduce(0, +) <= 1.0001, "scene \(i) patch \(p)")
                let best = shares.indices.max { shares[$0] < shares[$1] }!
                let classes = labels.patches.map { $0[p] }
                if shares[best] >= PatchLabels.minimumCoverage {
                    #expect(classes == labels.objects[best].classes, "scene \(i) patch \(p)")
                } else {
                    #expect(classes == PatchLabels.classes.map(Int32.init), "scene \(i) patch \(p): background")
                }
            }
        }
    }
}
