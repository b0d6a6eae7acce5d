import Interchange
import Tensor
import Testing
@testable import VLM

/// Inference through a vision tower in runs of whole images: the runs respect the patch budget
/// (one image over it runs alone), and their outputs join in image order.
@Suite struct ImageRunsTests {
    @Test func tilesRunInBudgetAndJoinInOrder() {
        var rng = SeededGenerator(seed: 1)
        let tiles = 5, patches = 4
        let batch = ImageBatch(pixels: Tensor.uniform(shape: [tiles, 3, 8, 8], using: &rng),
                               patchMask: Tensor(shape: [tiles, patches], values: [Float](repeating: 1, count: tiles * patches)))
        var runs: [Int] = []
        let joined = batch.encodedInRuns(ofPatches: 2 * patches + 1) { run in
            runs.append(run.count)
            return run.pixels
        }
        #expect(runs == [2, 2, 1])
        #expect(joined.shape == batch.pixels.shape && joined.array == batch.pixels.array)
    }

    @Test func gridImagesRunInBudgetAndJoinInOrder() {
        var rng = SeededGenerator(seed: 2)
        let grids = [ImageGrid(t: 1, h: 2, w: 2), ImageGrid(t: 1, h: 4, w: 4), ImageGrid(t: 1, h: 2, w: 4), ImageGrid(t: 1, h: 2, w: 2)]
        let total = grids.reduce(0) { $0 + $1.patches }
        let batch = ImageBatch(pixels: Tensor.uniform(shape: [total, 6], using: &rng),
                               patchMask: Tensor(shape: [total], values: [Float](repeating: 1, count: total)), grids: grids)
        var runs: [[ImageGrid]] = []
        let joined = batch.encodedInRuns(ofPatches: 12) { run in
            runs.append(run.grids)
            #expect(run.pixels.dim(0) == run.grids.reduce(0) { $0 + $1.patches })
            return run.pixels
        }
        // 4 patches, then 16 alone (over the budget), then 8 + 4
        #expect(runs == [[grids[0]], [grids[1]], [grids[2], grids[3]]])
        #expect(joined.array == batch.pixels.array)
    }
}
