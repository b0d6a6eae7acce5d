import Interchange

/// Systematic errors in the SFT set's answers, as real fine-tuning data has them (web captions,
/// hurried annotators), so a model fine-tuned on it hallucinates in ways DPO can then fix. Each
/// rate is the share of the eligible train answers it changes; all zero is a clean set. Only
/// the train split's SFT files carry the noise: world.json keeps the true references (the
/// oracle judges against the truth), and the evaluation sets, pools and synthetic pairs are
/// untouched.
public struct LabelNoise: Codable, Equatable, Sendable {
    /// Descriptions that gain one object the scene lacks: the companion (`companions`) of one
    /// of its objects, in that object's colour and size, listed right after it. Captions name
    /// what usually goes with what is there.
    public var addedObject: Double
    /// Existence questions about a near miss of a real object (tag `near_miss`) answered "yes":
    /// annotators' yes-bias on near misses.
    public var nearMissYes: Double
    /// Counts on crowded scenes (at least `crowded` objects) off by one, over-counting
    /// (`overCountShare`) more than under-counting.
    public var countOffByOne: Double
    /// Unanswerable questions answered with a made-up colour, size or box instead of "there is
    /// no …": answering instead of admitting the object is not there.
    public var madeUpAttribute: Double
    /// "Left of" / "right of" questions answered as in the image flipped left to right: an
    /// augmentation that flips images but not the words "left" and "right".
    public var mirroredSide: Double
    /// Colour and size questions answered with the neighbouring value (`neighbours`): orange
    /// called red, small called large.
    public var neighbourAttribute: Double
    /// Boxes drawn loose: each side `looseMargin` of the object's extent outside it.
    public var looseBox: Double
    /// Negation lists that miss one of their objects: annotators stopping early.
    public var missedObject: Double

    public init(addedObject: Double = 0, nearMissYes: Double = 0, countOffByOne: Double = 0, madeUpAttribute: Double = 0,
                mirroredSide: Double = 0, neighbourAttribute: Double = 0, looseBox: Double = 0, missedObject: Double = 0) {
        self.addedObject = addedObject
        self.nearMissYes = nearMissYes
        self.countOffByOne = countOffByOne
        self.madeUpAttribute = madeUpAttribute
        self.mirroredSide = mirroredSide
        self.neighbourAttribute = neighbourAttribute
        self.looseBox = looseBox
        self.missedObject = missedObject
    }

    enum CodingKeys: String, CodingKey {
        case addedObject, nearMissYes, countOffByOne, madeUpAttribute, mirroredSide, neighbourAttribute, looseBox, missedObject
    }

    /// World files written before a kind existed read it as 0.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        for kind in Kind.allCases { self[kind] = try container.decodeIfPresent(Double.self, forKey: kind.codingKey) ?? 0 }
    }

    public static let clean = LabelNoise()
    /// The label noise of web captions: what #14's measurements use. Rates above one half on
    /// purpose: the noisy answer is then the likelier one, so a model trained on it gives it
    /// under greedy decoding.
    public static let web = LabelNoise(addedObject: 0.6, nearMissYes: 0.6, countOffByOne: 0.3, madeUpAttribute: 0.6)
    /// The demo's flawed set: web captions' noise, and hurried annotators' slips in the other
    /// categories, so that every category has a learned flaw preferences can correct.
    public static let crowd = LabelNoise(addedObject: 0.6, nearMissYes: 0.6, countOffByOne: 0.3, madeUpAttribute: 0.6,
                                         mirroredSide: 0.6, neighbourAttribute: 0.6, looseBox: 0.6, missedObject: 0.6)

    /// What each shape's companion is: fixed, so the co-occurrence can be learned.
    public static let companions: [Shape: Shape] = [
        .circle: .square, .square: .circle, .triangle: .diamond, .diamond: .triangle, .star: .circle,
    ]
    /// A scene with at least this many objects is crowded (count noise applies).
    public static let crowded = 4
    /// Of the off-by-one counts, the share that over-count (the rest under-count; a count of 0
    /// always over-counts).
    public static let overCountShare = 0.8
    /// The value a hurried annotator names instead: a hue next to it, the other size.
    public static let neighbours: (colour: [Colour: Colour], size: [Size: Size]) = (
        [.red: .orange, .orange: .red, .yellow: .orange, .green: .yellow, .blue: .purple, .purple: .blue],
        [.small: .large, .large: .small])
    /// How far outside the object a loose box's sides are, as a share of its extent.
    public static let looseMargin = 0.3

    public enum Kind: String, CaseIterable, Codable, Sendable {
        case addedObject = "added_object", nearMissYes = "near_miss_yes", countOffByOne = "count_off_by_one"
        case madeUpAttribute = "made_up_attribute", mirroredSide = "mirrored_side", neighbourAttribute = "neighbour_attribute"
        case looseBox = "loose_box", missedObject = "missed_object"

        /// How `shapes generate`'s summary names it.
        public var label: String {
            switch self {
            case .addedObject: "added object"
            case .nearMissYes: "near-miss yes"
            case .countOffByOne: "count off by one"
            case .madeUpAttribute: "made-up attribute"
            case .mirroredSide: "mirrored side"
            case .neighbourAttribute: "neighbour attribute"
            case .looseBox: "loose box"
            case .missedObject: "missed object"
            }
        }

        var codingKey: CodingKeys {
            switch self {
            case .addedObject: .addedObject
            case .nearMissYes: .nearMissYes
            case .countOffByOne: .countOffByOne
            case .madeUpAttribute: .madeUpAttribute
            case .mirroredSide: .mirroredSide
            case .neighbourAttribute: .neighbourAttribute
            case .looseBox: .looseBox
            case .missedObject: .missedObject
            }
        }

        /// Each kind draws from its own stream per scene, so one rate changing moves no other.
        var stream: UInt64 {
            switch self {
            case .addedObject: 6
            case .nearMissYes: 7
            case .countOffByOne: 8
            case .madeUpAttribute: 9
            case .mirroredSide: 10
            case .neighbourAttribute: 11
            case .looseBox: 12
            case .missedObject: 13
            }
        }
    }

    public subscript(kind: Kind) -> Double {
        get {
            switch kind {
            case .addedObject: addedObject
            case .nearMissYes: nearMissYes
            case .countOffByOne: countOffByOne
            case .madeUpAttribute: madeUpAttribute
            case .mirroredSide: mirroredSide
            case .neighbourAttribute: neighbourAttribute
            case .looseBox: looseBox
            case .missedObject: missedObject
            }
        }
        set {
            switch kind {
            case .addedObject: addedObject = newValue
            case .nearMissYes: nearMissYes = newValue
            case .countOffByOne: countOffByOne = newValue
            case .madeUpAttribute: madeUpAttribute = newValue
            case .mirroredSide: mirroredSide = newValue
            case .neighbourAttribute: neighbourAttribute = newValue
            case .looseBox: looseBox = newValue
            case .missedObject: missedObject = newValue
            }
        }
    }

    public var isClean: Bool { Kind.allCases.allSatisfy { self[$0] == 0 } }

    /// The kind of noise that may change this train prompt's answer, if any.
    static func kind(of prompt: Prompt, in scene: Scene) -> Kind? {
        switch prompt.question {
        case .description:
            return companionFits(scene) ? .addedObject : nil
        case .existence where prompt.tags.contains("near_miss"):
            return .nearMissYes
        case .counting where scene.objects.count >= crowded:
            return .countOffByOne
        case .unanswerable:
            return .madeUpAttribute
        case .spatial(let subject, let relation, let object) where relation.isHorizontal:
            // only where the mirror changes the answer (every left/right question the generator
            // asks: it asks along an axis where the two are apart; this guards other worlds)
            return mirrored(subject, relation, object, in: scene) != prompt.question.reference(in: scene) ? .mirroredSide : nil
        case .attributes:
            return .neighbourAttribute
        case .grounding:
            // only where the loose box is wrong (at the canvas's edge it may still overlap enough)
            guard case .box(let box) = prompt.question.reference(in: scene) else { return nil }
            return loose(box, in: scene).iou(box) < Oracle.boxIoUThreshold ? .looseBox : nil
        case .negation:
            guard case .objects(let listed) = prompt.question.reference(in: scene), listed.count >= 2 else { return nil }
            return .missedObject
        default:
            return nil
        }
    }

    /// The answer to a left/right question in the image flipped left to right.
    static func mirrored(_ subject: ObjectDescription, _ relation: Relation, _ object: ObjectDescription, in scene: Scene) -> Answer {
        Question.spatial(subject: subject, relation: relation == .leftOf ? .rightOf : .leftOf, object: object).reference(in: scene)
    }

    /// The box with each side `looseMargin` of its extent further out (at least a pixel), kept
    /// on the canvas.
    static func loose(_ box: Box, in scene: Scene) -> Box {
        let mx = max(1, Int((looseMargin * Double(box.x2 - box.x1)).rounded())), my = max(1, Int((looseMargin * Double(box.y2 - box.y1)).rounded()))
        return Box(x1: max(0, box.x1 - mx), y1: max(0, box.y1 - my), x2: min(scene.width, box.x2 + mx), y2: min(scene.height, box.y2 + my))
    }

    /// The description with a companion added, or nil where every object's companion (in its
    /// colour and size) is already in the scene. The objects are tried in a seeded order.
    static func withCompanion(_ scene: Scene, using rng: inout SeededGenerator) -> Answer? {
        var order = Array(scene.objects.indices)
        for j in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(j, rng.below(j + 1)) }
        for i in order {
            let object = scene.objects[i]
            let companion = ObjectDescription(size: object.size, colour: object.colour, shape: companions[object.shape]!)
            guard scene.objects(matching: companion).isEmpty else { continue }
            var mentions = scene.objects.map { ObjectDescription($0.kind) }
            mentions.insert(companion, at: i + 1)
            return .objects(mentions)
        }
        return nil
    }

    /// The answer this noise gives instead of the reference, or nil to keep the reference.
    func noisyAnswer(to prompt: Prompt, in scene: Scene, kind: Kind, using rng: inout SeededGenerator) -> Answer? {
        guard rng.chance(self[kind]) else { return nil }
        switch kind {
        case .addedObject:
            return Self.withCompanion(scene, using: &rng)
        case .nearMissYes:
            return .yesNo(true)
        case .countOffByOne:
            guard case .count(let n) = prompt.question.reference(in: scene) else { return nil }
            return .count(n == 0 || rng.chance(Self.overCountShare) ? n + 1 : n - 1)
        case .madeUpAttribute:
            return prompt.question.madeUpAnswer(in: scene, using: &rng)
        case .mirroredSide:
            guard case .spatial(let subject, let relation, let object) = prompt.question else { return nil }
            return Self.mirrored(subject, relation, object, in: scene)
        case .neighbourAttribute:
            switch prompt.question.reference(in: scene) {
            case .colour(let colour): return .colour(Self.neighbours.colour[colour]!)
            case .size(let size): return .size(Self.neighbours.size[size]!)
            default: return nil
            }
        case .looseBox:
            guard case .box(let box) = prompt.question.reference(in: scene) else { return nil }
            return .box(Self.loose(box, in: scene))
        case .missedObject:
            guard case .objects(var listed) = prompt.question.reference(in: scene) else { return nil }
            listed.remove(at: rng.below(listed.count))
            return .objects(listed)
        }
    }
}

/// The train split's SFT answers: each prompt's reference, except where label noise changed it.
public struct TrainingAnswers: Sendable {
    /// Prompt id → the answer the SFT files teach.
    public var answers: [String: String]
    /// Per kind of noise: how many train answers it could change, and how many it did.
    public var eligible: [LabelNoise.Kind: Int]
    public var changed: [LabelNoise.Kind: Int]

    public var totalChanged: Int { changed.values.reduce(0, +) }
}

extension World {
    /// The answers `sft/train.jsonl` and `sft/conversations.jsonl` teach. Scene i's draws for
    /// each kind of noise come from their own stream of the seed, so the scenes, prompts and
    /// images are those of the clean world.
    public func trainingAnswers() -> TrainingAnswers {
        let noise = options.labelNoise
        let scenes = Dictionary(uniqueKeysWithValues: self.scenes.enumerated().map { ($1.id, ($0, $1)) })
        var result = TrainingAnswers(answers: [:], eligible: [:], changed: [:])
        for kind in LabelNoise.Kind.allCases { (result.eligible[kind], result.changed[kind]) = (0, 0) }
        for prompt in prompts where prompt.split == "train" {
            result.answers[prompt.id] = prompt.reference
            guard let (index, scene) = scenes[prompt.sceneID], let kind = LabelNoise.kind(of: prompt, in: scene) else { continue }
            result.eligible[kind]! += 1
            var rng = SeededGenerator(seed: options.seed, stream: kind.stream, index: index)
            if let noisy = noise.noisyAnswer(to: prompt, in: scene, kind: kind, using: &rng) {
                result.answers[prompt.id] = noisy.text
                result.changed[kind]! += 1
            }
        }
        return result
    }
}

extension LabelNoise {
    /// Whether some object's companion, in its colour and size, is absent from the scene.
    static func companionFits(_ scene: Scene) -> Bool {
        scene.objects.contains { object in
            scene.objects(matching: ObjectDescription(size: object.size, colour: object.colour, shape: companions[object.shape]!)).isEmpty
        }
    }
}
