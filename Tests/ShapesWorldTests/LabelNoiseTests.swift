import Foundation
import Interchange
import Testing
@testable import ShapesWorld

/// The flawed fine-tuning set: label noise in the train split's SFT files, and nowhere else.
@Suite(.timeLimit(.minutes(10))) struct LabelNoiseTests {
    /// Different rates per kind, so answers changed by the wrong kind's rate would show.
    static let noise = LabelNoise(addedObject: 0.6, nearMissYes: 0.3, countOffByOne: 0.5, madeUpAttribute: 0.4,
                                  mirroredSide: 0.7, neighbourAttribute: 0.35, looseBox: 0.55, missedObject: 0.45)
    static let clean = WorldOptions(seed: 11, trainScenes: 500, evalScenes: 10, poolScenes: 10, rounds: 1)
    static var noisy: WorldOptions {
        var options = clean
        options.labelNoise = noise
        return options
    }

    /// The companion table as the docs give it.
    static let companion: [Shape: Shape] = [.circle: .square, .square: .circle, .triangle: .diamond, .diamond: .triangle,
                                            .star: .circle]
    /// The neighbouring colour and size as the docs give them.
    static let neighbour = ["red": "orange", "orange": "red", "yellow": "orange", "green": "yellow", "blue": "purple",
                            "purple": "blue", "small": "large", "large": "small"]

    /// The loose box as the docs define it: each side 30% of the extent (at least 1) further out, on the canvas.
    static func loose(_ b: Box, in scene: Scene) -> Box {
        let mx = max(1, Int((0.3 * Double(b.x2 - b.x1)).rounded())), my = max(1, Int((0.3 * Double(b.y2 - b.y1)).rounded()))
        return Box(x1: max(0, b.x1 - mx), y1: max(0, b.y1 - my), x2: min(scene.width, b.x2 + mx), y2: min(scene.height, b.y2 + my))
    }

    static func written(_ options: WorldOptions) throws -> URL {
        let directory = try Fixtures.temporaryDirectory().appendingPathComponent("world")
        try DatasetWriter.write(World.generate(options), to: directory)
        return directory
    }

    static func taught(_ directory: URL) throws -> [String: String] {
        let records = try JSONLines.read(SupervisedRecord.self, from: directory.appendingPathComponent("sft/train.jsonl")).map(\.row)
        return Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0.completion[0].content.parts[0].text!) })
    }

    /// Each rate realised within four standard errors of its eligible answers; every changed
    /// answer is of its kind, in the grammar, and wrong by the oracle; nothing else changed.
    @Test func ratesAreRealisedAndEachChangeIsOfItsKind() throws {
        let directory = try Self.written(Self.noisy)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let world = try World.load(from: directory)
        let scenes = Dictionary(uniqueKeysWithValues: world.scenes.map { ($0.id, $0) })
        let taught = try Self.taught(directory)
        var eligible: [LabelNoise.Kind: Int] = [:], changed: [LabelNoise.Kind: Int] = [:]
        var overCounts = 0
        for prompt in world.prompts where prompt.split == "train" {
            let scene = scenes[prompt.sceneID]!
            let answer = try #require(taught[prompt.id])
            var kind: LabelNoise.Kind?
            switch prompt.category {
            case .description:
                let fits = scene.objects.contains { o in
                    scene.objects(matching: ObjectDescription(size: o.size, colour: o.colour, shape: Self.companion[o.shape]!)).isEmpty
                }
                if fits { kind = .addedObject }
            case .existence where prompt.tags.contains("near_miss"): kind = .nearMissYes
            case .counting where scene.objects.count >= 4: kind = .countOffByOne
            case .unanswerable: kind = .madeUpAttribute
            case .attributes: kind = .neighbourAttribute
            case .negation:
                if case .objects(let listed)? = AnswerParser.parse(prompt.reference, as: .objects).answer, listed.count >= 2 { kind = .missedObject }
            default: break
            }
            switch prompt.question {
            case .spatial(let subject, .leftOf, let object), .spatial(let subject, .rightOf, let object):
                let (p, q) = (scene.objects(matching: subject)[0].box, scene.objects(matching: object)[0].box)
                if p.x2 <= q.x1 || p.x1 >= q.x2 { kind = .mirroredSide }
            case .grounding(let subject):
                let box = scene.objects(matching: subject)[0].box
                if Self.loose(box, in: scene).iou(box) < 0.5 { kind = .looseBox }
            default: break
            }
            if let kind { eligible[kind, default: 0] += 1 }
            guard answer != prompt.reference else { continue }
            let noisyKind = try #require(kind, "\(prompt.id): \(prompt.reference) became \(answer)")
            changed[noisyKind, default: 0] += 1
            let (parsed, form) = AnswerParser.parse(answer, as: prompt.question.answerKind)
            #expect(form == .grammar, "\(prompt.id): \(answer)")
            let judgement = Oracle.judge(answer, to: prompt.question, in: scene)
            #expect(!judgement.correct, "\(prompt.id): \(answer)")
            switch noisyKind {
            case .addedObject:
                // the true list with one object more, after an object it is the companion of
                // (as read back: the text groups identical objects at the first one's place)
                guard case .objects(let said)? = parsed,
                      case .objects(let truth)? = AnswerParser.parse(prompt.reference, as: .objects).answer else {
                    Issue.record("\(prompt.id): \(answer)")
                    continue
                }
                let i = try #require(said.indices.first { i in i == truth.count || said[i] != truth[i] }, "\(prompt.id)")
                var rest = said
                let added = rest.remove(at: i)
                #expect(rest == truth, "\(prompt.id): \(answer)")
                #expect(scene.objects(matching: added).isEmpty, "\(prompt.id): \(added) is in the scene")
                #expect(said.indices.contains { j in
                    j < i && said[j].size == added.size && said[j].colour == added.colour && Self.companion[said[j].shape!] == added.shape
                }, "\(prompt.id): \(answer)")
                #expect(judgement.hallucinations == 1, "\(prompt.id)")
            case .nearMissYes:
                #expect(answer == "yes" && judgement.hallucinations == 1, "\(prompt.id)")
            case .countOffByOne:
                let (said, truth) = (Int(answer)!, Int(prompt.reference)!)
                #expect(abs(said - truth) == 1, "\(prompt.id)")
                if said > truth { overCounts += 1 }
            case .madeUpAttribute:
                #expect(judgement.reasons == [.hallucinatedObject] && judgement.hallucinations == 1, "\(prompt.id): \(answer)")
            case .mirroredSide:
                #expect(answer == (prompt.reference == "yes" ? "no" : "yes"), "\(prompt.id)")
            case .neighbourAttribute:
                #expect(answer == Self.neighbour[prompt.reference], "\(prompt.id): \(prompt.reference) became \(answer)")
            case .looseBox:
                guard case .grounding(let subject) = prompt.question else { Issue.record("\(prompt.id)"); continue }
                #expect(answer == Self.loose(scene.objects(matching: subject)[0].box, in: scene).description, "\(prompt.id): \(answer)")
                #expect(judgement.hallucinations == 0, "\(prompt.id)")
            case .missedObject:
                // the true list less one of its objects
                guard case .objects(let said)? = parsed,
                      case .objects(let truth)? = AnswerParser.parse(prompt.reference, as: .objects).answer else {
                    Issue.record("\(prompt.id): \(answer)")
                    continue
                }
                // as multisets: the text groups identical objects at the first one's place
                let key = { (o: ObjectDescription) in "\(o)" }
                #expect(said.count == truth.count - 1, "\(prompt.id): \(answer)")
                #expect(truth.indices.contains { i in var rest = truth; rest.remove(at: i); return rest.map(key).sorted() == said.map(key).sorted() },
                        "\(prompt.id): \(answer)")
                #expect(judgement.hallucinations == 0, "\(prompt.id)")
            }
        }
        for kind in LabelNoise.Kind.allCases {
            let n = Double(eligible[kind] ?? 0), p = Self.noise[kind]
            #expect(n >= 100, "\(kind): only \(n) eligible answers")
            let bound = 4 * (n * p * (1 - p)).squareRoot()
            #expect(abs(Double(changed[kind] ?? 0) - n * p) <= bound, "\(kind): \(changed[kind] ?? 0) of \(Int(n)) at rate \(p)")
        }
        let offByOne = Double(changed[.countOffByOne] ?? 0)
        #expect(Double(overCounts) > 0.6 * offByOne, "\(overCounts) of \(offByOne) over-count")
        // what the writer reports is what the files hold
        let report = World.generate(Self.noisy).trainingAnswers()
        #expect(report.changed == changed && report.eligible == eligible)
    }

    /// Clean and noisy worlds of one seed: the same scenes, prompts and true references, the
    /// same images, evaluation sets, pools, pairs and model; only the two SFT files differ,
    /// and the conversations teach the same noisy answers as train.jsonl.
    @Test func onlyTheTrainSFTFilesChange() throws {
        var small = Self.clean
        small.trainScenes = 60
        var noisy = small
        noisy.labelNoise = .web
        let (a, b) = (try Self.written(small), try Self.written(noisy))
        defer {
            try? FileManager.default.removeItem(at: a.deletingLastPathComponent())
            try? FileManager.default.removeItem(at: b.deletingLastPathComponent())
        }
        let files = FileManager.default
        let all = try #require(files.subpaths(atPath: a.path)).sorted()
        let others = try #require(files.subpaths(atPath: b.path)).sorted()
        #expect(all.count > 60 && all.contains("eval/unanswerable.jsonl") && all.contains("pairs/synthetic.jsonl"))
        #expect(all == others)
        for file in all {
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: a.appendingPathComponent(file).path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  file != "world.json" else { continue }
            let same = try Data(contentsOf: a.appendingPathComponent(file)) == Data(contentsOf: b.appendingPathComponent(file))
            #expect(same == !file.hasPrefix("sft/"), "\(file)")
        }
        let (cleanWorld, noisyWorld) = (try World.load(from: a), try World.load(from: b))
        #expect(firstDifference(cleanWorld.scenes, noisyWorld.scenes) == nil)
        #expect(firstDifference(cleanWorld.prompts, noisyWorld.prompts) == nil)
        #expect(noisyWorld.options.labelNoise == .web && cleanWorld.options.labelNoise == .clean)
        let scenes = Dictionary(uniqueKeysWithValues: noisyWorld.scenes.map { ($0.id, $0) })
        for prompt in noisyWorld.prompts {
            #expect(prompt.reference == prompt.question.reference(in: scenes[prompt.sceneID]!).text, "\(prompt.id)")
        }
        // the clean world teaches the references; the noisy one changes some, in both files alike
        #expect(try Self.taught(a) == Dictionary(uniqueKeysWithValues: cleanWorld.prompts.filter { $0.split == "train" }.map { ($0.id, $0.reference) }))
        let taught = try Self.taught(b)
        #expect(taught.contains { id, answer in noisyWorld.prompts.first { $0.id == id }!.reference != answer })
        let byText = Dictionary(uniqueKeysWithValues: noisyWorld.prompts.filter { $0.split == "train" }.map { ("\($0.sceneID)|\($0.text)", $0.id) })
        let conversations = try JSONLines.read(ConversationRecord.self, from: b.appendingPathComponent("sft/conversations.jsonl")).map(\.row)
        var turns = 0
        for conversation in conversations {
            for k in stride(from: 0, to: conversation.messages.count, by: 2) {
                let question = conversation.messages[k].content.parts.last!.text!, answer = conversation.messages[k + 1].content.parts[0].text!
                let id = try #require(byText["\(conversation.id)|\(question)"])
                #expect(taught[id] == answer, "\(id)")
                turns += 1
            }
        }
        #expect(turns == taught.count)
    }

    /// A lower rate changes a subset of what a higher one changes, to the same answers: each
    /// kind draws from its own stream per scene.
    @Test func lowerRatesChangeASubset() {
        var low = Self.clean, high = Self.clean
        for kind in LabelNoise.Kind.allCases { (low.labelNoise[kind], high.labelNoise[kind]) = (0.2, 0.7) }
        let world = World.generate(low)
        let references = Dictionary(uniqueKeysWithValues: world.prompts.map { ($0.id, $0.reference) })
        var highWorld = world
        highWorld.options = high
        let (a, b) = (world.trainingAnswers().answers, highWorld.trainingAnswers().answers)
        let changedLow = a.filter { references[$0.key] != $0.value }, changedHigh = b.filter { references[$0.key] != $0.value }
        #expect(changedLow.count > 100 && changedHigh.count > 2 * changedLow.count)
        #expect(changedLow.allSatisfy { b[$0.key] == $0.value })
    }

    @Test func badRatesAreRefusedAndOldManifestsReadAsClean() throws {
        for kind in LabelNoise.Kind.allCases {
            for rate in [-0.1, 1.5, .nan] {
                var options = WorldOptions(seed: 1)
                options.labelNoise[kind] = rate
                #expect { try options.validate() } throws: { error in "\(error)".contains("label noise rate \(kind.rawValue) must be 0 to 1") }
            }
        }
        #expect(throws: Never.self) { try WorldOptions(seed: 1, labelNoise: LabelNoise(addedObject: 1, nearMissYes: 0)).validate() }
        // world.json written before label noise existed
        let encoded = try JSONEncoder().encode(WorldOptions(seed: 3, labelNoise: .web))
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(object["labelNoise"] != nil)
        object["labelNoise"] = nil
        let old = try JSONDecoder().decode(WorldOptions.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old == WorldOptions(seed: 3))
        #expect(try JSONDecoder().decode(WorldOptions.self, from: encoded).labelNoise == .web)
        // world.json written before the annotators' kinds existed: they read as 0
        let fourKinds = Data(#"{"addedObject": 0.6, "nearMissYes": 0.6, "countOffByOne": 0.3, "madeUpAttribute": 0.6}"#.utf8)
        #expect(try JSONDecoder().decode(LabelNoise.self, from: fourKinds) == .web)
        let crowd = try JSONDecoder().decode(LabelNoise.self, from: JSONEncoder().encode(LabelNoise.crowd))
        #expect(crowd == .crowd && crowd.looseBox == 0.6 && LabelNoise.Kind.allCases.allSatisfy { crowd[$0] > 0 })
    }
}
