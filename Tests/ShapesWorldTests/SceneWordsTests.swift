import Foundation
import Interchange
import Testing
@testable import ShapesWorld

/// The scene as words (the text stage's context) and the words under each image token (the
/// connector's targets).
@Suite(.timeLimit(.minutes(10))) struct SceneWordsTests {
    @Test func wordsListEachObjectLeftToRight() {
        let scene = Scene(id: "s", width: 64, height: 64, objects: [
            PatchLabelsTests.object(.star, .green, .large, x: 48, y: 20),
            PatchLabelsTests.object(.circle, .red, .small, x: 12, y: 40),
        ])
        #expect(scene.words == "small red circle . large green star .")
    }

    @Test func eachCellHasTheWordsOfTheObjectOverItOrNothing() {
        // a large square centred on the corner of four 16-pixel cells covers a corner of each
        let scene = Scene(id: "s", width: 64, height: 64, objects: [PatchLabelsTests.object(.square, .blue, .large, x: 32, y: 32)])
        let words = scene.cellWords(cell: 16)
        #expect(words.count == 16)
        for (i, w) in words.enumerated() {
            #expect(w == ([5, 6, 9, 10].contains(i) ? ["large", "blue", "square"] : ["nothing"]), "cell \(i): \(w)")
        }
        // a small circle split over four cells is under each of them (a fifth of a cell each
        // would leave it under none)
        let small = Scene(id: "s", width: 64, height: 64, objects: [PatchLabelsTests.object(.circle, .red, .small, x: 32, y: 32)])
        let underSmall = small.cellWords(cell: 16).enumerated().filter { $0.element != ["nothing"] }.map(\.offset)
        #expect(underSmall == [5, 6, 9, 10])
        #expect(small.patchLabels(patchSize: 16).patches[0].allSatisfy { $0 == Int32(Shape.allCases.count) })
    }

    /// With places, every cell of an object also gives that object's centre cell (not its own),
    /// the column as "0"–"3" and the row as "10"–"13"; empty cells stay "nothing".
    @Test func cellsGiveTheirObjectsCentreCellWithPlaces() {
        let scene = Scene(id: "s", width: 64, height: 64, objects: [
            PatchLabelsTests.object(.square, .blue, .large, x: 32, y: 32),  // centre on the corner of cells 5, 6, 9, 10
            PatchLabelsTests.object(.star, .red, .small, x: 56, y: 6),      // cell 3
        ])
        let plain = scene.cellWords(cell: 16), placed = scene.cellWords(cell: 16, places: true)
        #expect(plain[3] == ["small", "red", "star"] && placed[3] == ["small", "red", "star", "3", "10"])
        for i in [5, 6, 9, 10] {
            #expect(placed[i] == ["large", "blue", "square", "2", "12"], "cell \(i): \(placed[i])")
        }
        for i in 0..<16 where plain[i] == ["nothing"] { #expect(placed[i] == ["nothing"]) }
        // centres on or past the canvas's edges stay on the grid
        #expect(scene.placeWords(of: SceneObject(shape: .circle, colour: .red, size: .small, x: 64, y: -1, radius: 5), cell: 16) == ["3", "10"])
        #expect(scene.placeWords(of: SceneObject(shape: .circle, colour: .red, size: .small, x: 0, y: 63.9, radius: 5), cell: 16) == ["0", "13"])

        // a cell two objects share is the one's that covers more of it, words and place alike
        let shared = Scene(id: "s", width: 64, height: 64, objects: [
            PatchLabelsTests.object(.square, .blue, .large, x: 28, y: 24),  // centre in cell 5, reaching into cell 6
            PatchLabelsTests.object(.circle, .red, .small, x: 40, y: 24),   // cell 6
        ])
        let coverage = shared.patchLabels(patchSize: 16, minimumCoverage: 0.05).objects.map { $0.coverage[6] }
        #expect(coverage[0] > 0 && coverage[1] > coverage[0], "cell 6 coverage \(coverage)")
        let sharedWords = shared.cellWords(cell: 16, places: true)
        #expect(sharedWords[6] == ["small", "red", "circle", "2", "11"] && sharedWords[5] == ["large", "blue", "square", "1", "11"])
    }

    /// text/train.jsonl and text/eval.jsonl: every question of the split after its scene's words,
    /// with the true answer even where the label noise changed the image set's.
    @Test func theTextSetAsksEveryTrainQuestionOfTheSceneWordsWithTheTruth() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("text-scenes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = WorldOptions(seed: 3, trainScenes: 30, evalScenes: 2, poolScenes: 2, rounds: 1)
        options.labelNoise = .web
        let world = World.generate(options)
        try DatasetWriter.write(world, to: dir)
        let scenes = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0) })
        let train = world.prompts.filter { $0.split == "train" && Scene.answerableFromWords.contains($0.category) }
        #expect(train.count < world.prompts.filter { $0.split == "train" }.count, "no spatial or grounding question in the world")
        func textRows(_ split: String) throws -> [SupervisedRecord] {
            try String(contentsOf: dir.appendingPathComponent("text/\(split).jsonl"), encoding: .utf8)
                .split(separator: "\n").map { try JSONDecoder().decode(SupervisedRecord.self, from: Data($0.utf8)) }
        }
        let rows = try textRows("train")
        #expect(rows.count == train.count)
        let evalIDs = try textRows("eval").map { $0.id }
        #expect(evalIDs == world.prompts.filter { $0.split == "eval" && Scene.answerableFromWords.contains($0.category) }.map { $0.id })
        let noisy = world.trainingAnswers().answers
        #expect(train.contains { noisy[$0.id] != nil && noisy[$0.id] != $0.reference }, "the web noise changed no answer")
        for (row, prompt) in zip(rows, train) {
            #expect(row.id == prompt.id && row.images.isEmpty)
            #expect(row.prompt == [.user(image: false, scenes[prompt.sceneID]!.words + " " + prompt.text)])
            #expect(row.completion == [.assistant(prompt.reference)])
        }
    }
}
