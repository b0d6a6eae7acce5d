import Foundation
import Interchange
import Testing
@testable import ShapesWorld

@Suite(.timeLimit(.minutes(10))) struct UnanswerableTests {
    /// Over many scenes: one unanswerable prompt each, its subject matching no object, worded
    /// exactly as the attributes and grounding questions, never naming what it asks; mostly a
    /// near miss of a real object (one attribute changed).
    @Test func subjectsNeverNameAnObjectOfTheScene() {
        var asked: [ObjectQuery: Int] = [:]
        var nearMisses = 0
        let scenes = 1500
        for i in 0..<scenes {
            var sceneRNG = SeededGenerator(seed: 5, stream: 1, index: i)
            let scene = Scene.random(id: "s\(i)", style: SceneStyle(maxObjects: 1 + i % 6), using: &sceneRNG)
            var promptRNG = SeededGenerator(seed: 5, stream: 2, index: i)
            let unanswerable = scene.prompts(split: "train", using: &promptRNG).filter { $0.category == .unanswerable }
            guard unanswerable.count == 1, case .unanswerable(let query, let subject) = unanswerable[0].question else {
                Issue.record("scene \(i): \(unanswerable.count) unanswerable prompts")
                continue
            }
            let prompt = unanswerable[0]
            asked[query, default: 0] += 1
            #expect(scene.objects(matching: subject).isEmpty, "scene \(i): \(prompt.text) names an object it has")
            #expect(prompt.tags == ["unanswerable", query.rawValue])
            #expect(prompt.reference == "there is no " + subject.phrase)
            #expect(prompt.id == "s\(i)-unanswerable")
            switch query {
            case .colour:
                #expect(subject.colour == nil && prompt.text == Question.attributes(asked: .colour, subject: subject).text)
            case .size:
                #expect(subject.size == nil && prompt.text == Question.attributes(asked: .size, subject: subject).text)
            case .box:
                #expect(prompt.text == Question.grounding(subject: subject).text)
            }
            let stated = [subject.size.map { _ in Attribute.size }, subject.colour.map { _ in .colour }].compactMap { $0 }
            if scene.objects.contains(where: { object in
                // one stated attribute differs, the rest agree
                let differs = [subject.shape != object.shape] + stated.map { $0 == .size ? subject.size != object.size : subject.colour != object.colour }
                return differs.filter { $0 }.count == 1
            }) { nearMisses += 1 }
        }
        #expect(Set(asked.keys) == Set(ObjectQuery.allCases))
        #expect(asked.values.allSatisfy { $0 > scenes / 4 }, "\(asked)")
        #expect(nearMisses > scenes * 9 / 10, "\(nearMisses) near misses of \(scenes)")
    }

    @Test func everySplitHasTheCategory() throws {
        let world = World.generate(Fixtures.smallOptions)
        for split in world.splits {
            let prompts = world.prompts.filter { $0.split == split }
            #expect(prompts.filter { $0.category == .unanswerable }.count == Set(prompts.map(\.sceneID)).count, "\(split)")
        }
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try DatasetWriter.write(world, to: directory)
        let eval = try JSONLines.read(SupervisedRecord.self, from: directory.appendingPathComponent("eval/unanswerable.jsonl")).map(\.row)
        #expect(eval.count == 20 && eval.allSatisfy { $0.completion[0].content.parts[0].text!.hasPrefix("there is no ") })
        let pool = try JSONLines.read(PoolRecord.self, from: directory.appendingPathComponent("pools/round-1.jsonl")).map(\.row)
        #expect(pool.filter { $0.category == .unanswerable }.count == 10)
        // the synthetic pairs reject a made-up attribute, which the oracle calls a hallucination
        let pairs = try JSONLines.read(PreferenceRecord.self, from: directory.appendingPathComponent("pairs/synthetic.jsonl")).map(\.row)
            .filter { $0.id.hasSuffix("-unanswerable") }
        let prompts = Dictionary(uniqueKeysWithValues: world.prompts.map { ($0.id, $0) })
        let scenes = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0) })
        #expect(pairs.count == 30)
        for pair in pairs {
            let prompt = prompts[pair.id]!
            let rejected = Oracle.judge(pair.rejected[0].content.parts[0].text!, to: prompt.question, in: scenes[prompt.sceneID]!)
            #expect(rejected.form == .grammar && rejected.reasons == [.hallucinatedObject] && rejected.hallucinations == 1, "\(pair.id)")
        }
    }

    /// `shapes judge`: a made-up attribute counts in the hallucination rate; refusals are right.
    @Test func judgeCountsMadeUpAttributesAsHallucinations() throws {
        let world = World.generate(Fixtures.smallOptions)
        let scenes = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0) })
        let unanswerable = world.prompts.filter { $0.category == .unanswerable }
        var rng = SeededGenerator(seed: 3)
        let madeUp = unanswerable.map { AnswerRecord(id: $0.id, answer: $0.question.madeUpAnswer(in: scenes[$0.sceneID]!, using: &rng).text) }
        let refusals = unanswerable.map { AnswerRecord(id: $0.id, answer: $0.reference) }
        let report = try world.judge(madeUp + refusals, file: "answers.jsonl")
        let summary = try #require(report.categories.first { $0.category == "unanswerable" })
        #expect(summary.answers == 2 * unanswerable.count)
        #expect(summary.accuracy == 0.5 && summary.hallucinationRate == 0.5)
        #expect(summary.reasons == ["hallucinated_object": unanswerable.count])
    }

    @Test func aWorldWhoseUnanswerableQuestionNamesARealObjectIsRefused() throws {
        var world = World.generate(WorldOptions(seed: 8, trainScenes: 2, evalScenes: 1, rounds: 0))
        let i = try #require(world.prompts.firstIndex { $0.category == .unanswerable })
        let scene = world.scenes.first { $0.id == world.prompts[i].sceneID }!
        world.prompts[i].question = .unanswerable(asked: .box, subject: ObjectDescription(scene.objects[0].kind))
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try JSONEncoder().encode(world).write(to: World.manifest(in: directory))
        #expect { try World.load(from: directory) } throws: { error in
            "\(error)".contains("prompt \(world.prompts[i].id)") && "\(error)".contains("an unanswerable question must not")
        }
    }
}
