import Foundation
import Imaging
import Interchange
import JSON
import Tensor
import Testing
import Tokenization
@testable import VLM

/// Qwen2-VL / Qwen2.5-VL configs, image processing and prompts against what transformers 5.24
/// made of them (tools/fixtures/qwen2vl_fixtures.py).
@Suite(.timeLimit(.minutes(10))) struct Qwen2VLProcessingTests {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/qwen")
    static let models = ["qwen2-vl", "qwen2.5-vl"]

    /// The 5.x folder and the same config in 4.x's flat layout read the same.
    @Test(arguments: models)
    func configLayoutsReadTheSame(name: String) throws {
        let five = try Qwen2VLConfig(contentsOf: Self.folder.appendingPathComponent("\(name)/config.json"))
        let four = try Qwen2VLConfig(contentsOf: Self.folder.appendingPathComponent("config-4x/\(name).json"))
        #expect(five == four)
        #expect(five.text.attentionBias && five.text.vocabSize == 303 && five.imageTokenId == 5 && five.visionStartTokenId == 3)
        if name == "qwen2-vl" {
            #expect(five.generation == .qwen2VL && five.mropeSection == [2, 1, 3] && !five.tieWordEmbeddings)
            #expect(five.vision.hiddenSize == 32 && five.vision.outHiddenSize == 48 && five.vision.intermediateSize == 64)
            #expect(five.vision.hiddenAct == "quick_gelu" && five.vision.windowSize == nil && five.text.kvHeads == 2)
        } else {
            #expect(five.generation == .qwen25VL && five.mropeSection == [4, 2, 4] && five.tieWordEmbeddings)
            #expect(five.vision.hiddenSize == 32 && five.vision.outHiddenSize == 40 && five.vision.intermediateSize == 48)
            #expect(five.vision.windowSize == 56 && five.vision.fullAttentionBlocks == [1] && five.text.ropeTheta == 1_000_000)
        }
    }

    @Test func badConfigsAreNamed() throws {
        let url = Self.folder.appendingPathComponent("qwen2-vl/config.json")
        var json = try JSONValue(parsing: Data(contentsOf: url))
        json = json.setting("text_config", to: json["text_config"]!.setting("rope_parameters", to: .object([
            ("rope_type", .string("default")), ("rope_theta", .double(10000)), ("mrope_section", .array([.int(2), .int(2)]))])))
        #expect(throws: ModelError.self) { try Qwen2VLConfig(json: json, file: "c.json") }

        let good = try JSONValue(parsing: Data(contentsOf: url))
        let vision = good["vision_config"]!, text = good["text_config"]!
        for (bad, problem) in [
            (good.setting("vision_config", to: vision.setting("hidden_act", to: .string("gelu"))), "hidden_act gelu"),
            (good.setting("vision_config", to: vision.setting("in_channels", to: .int(4))), "in_channels 4"),
            (good.setting("vision_config", to: vision.setting("hidden_size", to: .int(40))), "merger's output width 40"),
            (good.setting("text_config", to: text.setting("use_sliding_window", to: .bool(true))), "use_sliding_window"),
        ] {
            #expect(throws: ModelError.self, "\(problem)") { try Qwen2VLConfig(json: bad, file: "c.json") }
            do { _ = try Qwen2VLConfig(json: bad, file: "c.json") } catch {
                #expect("\(error)".contains("c.json") && "\(error)".contains(problem.components(separatedBy: " ")[0]), "\(error)")
            }
        }
    }

    /// An image whose attention table would not fit is refused before the tower runs, naming the
    /// setting to lower.
    @Test func tooLargeAnImageIsRefused() throws {
        let processor = try #require(try ModelFolder.processor(Self.folder.appendingPathComponent("qwen2-vl")) as? Qwen2VLProcessor)
        let grid = ImageGrid(t: 1, h: 64, w: 64)  // 4,096 patches
        let bytes = Double(processor.visionHeads) * 4096 * 4096 * 4
        try processor.checkAttentionFits(grid, memory: bytes * 4)
        #expect(throws: ModelError.self) { try processor.checkAttentionFits(grid, memory: bytes * 3) }
        do { try processor.checkAttentionFits(grid, memory: bytes * 3) } catch {
            #expect("\(error)".contains("preprocessor_config.json") && "\(error)".contains("max_pixels"), "\(error)")
        }
    }

    /// transformers' smart_resize, with Python's round (halves to even).
    @Test func smartResizeRoundsHalvesToEven() throws {
        #expect(try Qwen2VLImageProcessor.smartResize(height: 70, width: 70, factor: 28, minPixels: 28 * 28, maxPixels: 1 << 20) == (56, 56))
        #expect(try Qwen2VLImageProcessor.smartResize(height: 42, width: 98, factor: 28, minPixels: 28 * 28, maxPixels: 1 << 20) == (56, 112))
        #expect(try Qwen2VLImageProcessor.smartResize(height: 10, width: 10, factor: 28, minPixels: 56 * 56, maxPixels: 1 << 20) == (56, 56))
        #expect(throws: ModelError.self) { try Qwen2VLImageProcessor.smartResize(height: 1, width: 300, factor: 28, minPixels: 1, maxPixels: 1 << 20) }
    }

    /// pixel_values and image_grid_thw of Qwen2VLImageProcessor, for images of odd sizes under a
    /// setting that upscales and one that downscales.
    @Test func pixelValuesMatchTransformers() throws {
        let expected = try SafetensorsFile(path: Self.folder.appendingPathComponent("images.safetensors").path)
        let meta = try JSONValue(parsing: Data(contentsOf: Self.folder.appendingPathComponent("images.json")))
        let settings = try #require(meta["settings"]?.objectValue)
        let images = try #require(meta["images"]?.objectValue)
        #expect(images.count == 4)
        var worst: Float = 0
        for (name, grids) in images {
            let image = try RGBImage(contentsOf: Self.folder.appendingPathComponent("images/\(name)"))
            for (setting, values) in settings {
                var processor = Qwen2VLImageProcessor()
                processor.minPixels = try #require(values["min_pixels"]?.intValue)
                processor.maxPixels = try #require(values["max_pixels"]?.intValue)
                let (pixels, grid) = try processor.process(image)
                let thw = grids[setting]?.arrayValue?.compactMap(\.intValue)
                #expect([grid.t, grid.h, grid.w] == thw ?? [], "\(name) \(setting)")
                let want = try expected.tensor("\(name)/\(setting)")
                #expect(pixels.shape == want.shape, "\(name) \(setting): \(pixels.shape) vs \(want.shape)")
                guard pixels.shape == want.shape else { continue }
                for i in 0..<want.count { worst = max(worst, abs(pixels[i] - want[i])) }
            }
        }
        print("Qwen2VLImageProcessor: 4 images × 2 settings, pixel values within \(worst)")
        #expect(worst <= 1e-5, "pixel values differ by up to \(worst)")
    }

    /// The chat template, the image pads expanded by the merged grids, the tokens and the pixels
    /// of a prompt with two images, as Qwen2VLProcessor makes them.
    @Test(arguments: models)
    func promptMatchesTheProcessor(name: String) throws {
        let model = Self.folder.appendingPathComponent(name)
        let inputs = try JSONValue(parsing: Data(contentsOf: model.appendingPathComponent("inputs.json")))
        let processor = try ModelFolder.processor(model)
        let messages = [ChatMessage(role: "user", content: .parts([.image, .text("Compare the two images."), .image]))]
        let rendered = try processor.render(messages, addGenerationPrompt: true)
        #expect(rendered == inputs["prompt"]?.stringValue)
        let images = try ["wide.png", "tall.png"].map { try RGBImage(contentsOf: Self.folder.appendingPathComponent("images/\($0)")) }
        let encoded = try processor.encodePrompt(rendered, images: images)
        let ids = inputs["input_ids"]?.arrayValue?.compactMap(\.intValue) ?? []
        let promptLength = try #require(inputs["prompt_length"]?.intValue)
        #expect(encoded.tokens.map(Int.init) == Array(ids.prefix(promptLength)))
        #expect(encoded.tiles == [1, 1])
        let batch = try #require(encoded.images)
        let grids = inputs["image_grid_thw"]?.arrayValue?.map { $0.arrayValue!.compactMap(\.intValue) } ?? []
        #expect(batch.grids.map { [$0.t, $0.h, $0.w] } == grids)
        let want = try SafetensorsFile(path: model.appendingPathComponent("expected.safetensors").path).tensor("pixel_values")
        #expect(batch.pixels.shape == want.shape)
        var worst: Float = 0
        for i in 0..<min(want.count, batch.pixels.count) { worst = max(worst, abs(batch.pixels[i] - want[i])) }
        #expect(worst <= 1e-5)
        // the completion tokenizes apart, as TRL appends it
        let completion = try processor.encode(try #require(inputs["completion"]?.stringValue))
        #expect((encoded.tokens + completion).map(Int.init) == ids)
        #expect(processor.stopTokens.contains(2))
        #expect(batch.item(1).grids == [batch.grids[1]] && batch.item(1).pixels.dim(0) == grids[1].reduce(1, *))
    }
}
