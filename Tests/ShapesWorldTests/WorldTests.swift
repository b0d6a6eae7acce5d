import Foundation
import Interchange
import Testing
@testable import ShapesWorld

@Suite(.timeLimit(.minutes(10))) struct WorldTests {
    static let world = World.generate(Fixtures.smallOptions)

    @Test func promptsAreDeterministicFromTheSeed() {
        let again = World.generate(Fixtures.smallOptions)
        #expect(firstDifference(Self.world.scenes, again.scenes) == nil)
        #expect(firstDifference(Self.world.prompts, again.prompts) == nil)
        var other = Fixtures.smallOptions
        other.seed += 1
        #expect(firstDifference(Self.world.prompts.map(\.text), World.generate(other).prompts.map(\.text)) != nil)
    }

    @Test func aLargerWorldBeginsWithTheSameScenes() {
        var larger = Fixtures.smallOptions
        larger.trainScenes += 10
        let world = World.generate(larger)
        let n = Fixtures.smallOptions.trainScenes
        #expect(firstDifference(Array(world.scenes.prefix(n)), Array(Self.world.scenes.prefix(n))) == nil)
    }

    @Test func splitsAndCategories() {
        #expect(Self.world.splits == ["train", "eval", "round-1", "round-2"])
        #expect(Self.world.scenes.count == 30 + 20 + 2 * 10)
        let train = Self.world.prompts.filter { $0.split == "train" }
        #expect(Set(train.map(\.category)) == Set(Category.allCases))
        #expect(Set(Self.world.prompts.map(\.id)).count == Self.world.prompts.count)
        for prompt in Self.world.prompts {
            #expect(prompt.tags.first == prompt.category.rawValue)
            #expect(prompt.id == "\(prompt.sceneID)-\(prompt.category.rawValue)")
        }
        // hallucination probes and their opposites are both there
        let existence = Self.world.prompts.filter { $0.category == .existence }
        #expect(existence.contains { $0.tags.contains("absent") && $0.reference == "no" })
        #expect(existence.contains { $0.tags.contains("present") && $0.reference == "yes" })
        #expect(Self.world.prompts.contains { $0.tags.contains("zero") && $0.reference == "0" })
    }

    @Test func referentsNameExactlyOneObject() throws {
        let scenes = Dictionary(uniqueKeysWithValues: Self.world.scenes.map { ($0.id, $0) })
        for prompt in Self.world.prompts {
            for referent in prompt.question.referents {
                #expect(scenes[prompt.sceneID]!.objects(matching: referent).count == 1, "\(prompt.id)")
            }
            if case .spatial(let subject, let relation, let object) = prompt.question {
                // asked only where the two are clearly apart along the axis
                let scene = scenes[prompt.sceneID]!
                let (a, b) = (scene.objects(matching: subject)[0], scene.objects(matching: object)[0])
                #expect(relation.holds(a, b) || relation.holds(b, a), "\(prompt.id)")
            }
        }
    }

    /// Splits text as the model's tokenizer does: lower-cased, at whitespace, punctuation apart.
    static func pretokenize(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isWhitespace || character.isPunctuation {
                if !current.isEmpty { words.append(current) }
                current = ""
                if character.isPunctuation { words.append(String(character)) }
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    @Test func theVocabularyCoversEveryPromptAndAnswer() {
        let vocabulary = Set(Vocabulary.tokens(maxCoordinate: 64))
        #expect(vocabulary.count == Vocabulary.tokens(maxCoordinate: 64).count, "no token twice")
        var rng = SeededGenerator(seed: 9)
        let scenes = Dictionary(uniqueKeysWithValues: Self.world.scenes.map { ($0.id, $0) })
        for prompt in Self.world.prompts {
            let wrong = prompt.question.wrongAnswer(in: scenes[prompt.sceneID]!, using: &rng).text
            for text in [prompt.text, prompt.reference, wrong] {
                let missing = Self.pretokenize(text).filter { !vocabulary.contains($0) }
                #expect(missing.isEmpty, "\(prompt.id): \(text)")
            }
        }
        for word in Self.pretokenize("User: Assistant:") { #expect(vocabulary.contains(word)) }
    }

    @Test func badOptionsAreRefusedWithTheReason() {
        let cases: [(WorldOptions, String)] = [
            (WorldOptions(seed: 1, style: SceneStyle(width: 50, height: 50)), "multiple of 16"),
            (WorldOptions(seed: 1, style: SceneStyle(width: 64, height: 32)), "64×32"),
            (WorldOptions(seed: 1, style: SceneStyle(maxObjects: 0)), "objects per scene"),
            (WorldOptions(seed: 1, style: SceneStyle(noise: -1)), "noise"),
            (WorldOptions(seed: 1, trainScenes: 0), "train scenes"),
            (WorldOptions(seed: 1, evalScenes: 0), "eval scenes"),
            (WorldOptions(seed: 1, rounds: -1), "rounds"),
            (WorldOptions(seed: 1, trainScenes: 200_000), "at most 100000"),
        ]
        for (options, problem) in cases {
            #expect { try options.validate() } throws: { error in "\(error)".contains(problem) }
        }
        #expect(throws: Never.self) { try WorldOptions(seed: 1).validate() }
    }
}
