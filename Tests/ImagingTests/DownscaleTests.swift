import Imaging
import Testing

@Suite struct DownscaleTests {
    @Test func eachPixelIsTheMeanOfTheSourcePixelsItCovers() {
        // 4 × 2: columns 0–1 black and white, columns 2–3 red; shrunk to 2 × 1.
        var image = RGBImage(width: 4, height: 2, fill: (255, 0, 0))
        for y in 0..<2 { image[0, y] = (0, 0, 0); image[1, y] = (255, 255, 255) }
        let small = image.downscaled(toFit: 2)
        #expect(small.width == 2 && small.height == 1)
        #expect(small[0, 0] == (128, 128, 128) && small[1, 0] == (255, 0, 0))
    }

    @Test func partlyCoveredPixelsCountByTheirShareAndSmallImagesStayAsTheyAre() {
        // 3 × 1 → 2 × 1: the middle pixel is half in each output pixel.
        var image = RGBImage(width: 3, height: 1, fill: (0, 0, 0))
        image[1, 0] = (90, 90, 90)
        image[2, 0] = (180, 180, 180)
        let small = image.downscaled(toFit: 2)
        #expect(small.width == 2 && small.height == 1)
        #expect(small[0, 0] == (30, 30, 30) && small[1, 0] == (150, 150, 150))
        #expect(image.downscaled(toFit: 3) == image)
        let tall = RGBImage(width: 10, height: 1000, fill: (1, 2, 3)).downscaled(toFit: 100)
        #expect(tall.width == 1 && tall.height == 100 && tall[0, 50] == (1, 2, 3))
    }
}
