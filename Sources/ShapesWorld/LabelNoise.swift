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

    public init(addedObject: Double = 0, nearMissYes: Double = 0, countOffByOne: Double = 0, madeUpAttribute: Double = 0) {
        self.addedObject = addedObject
        self.nearMissYes = nearMissYes
        self.countOffByOne = countOffByOne
        self.madeUpAttribute = madeUpAttribute
    }

    public static let clean = LabelNoise()
    /// The demo's flawed set. Rates above one half on purpose: the noisy answer is then the
    /// likelier one, so a model trained on it gives it under greedy decoding.
    public static let web = LabelNoise(addedObject: 0.6, nearMissYes: 0.6, countOffByOne: 0.3, madeUpAttribute: 0.6)

    /// What each shape's companion is: fixed, so the co-occurrence can be learned.
    public static let companions: [Shape: Shape] = [
        .circle: .square, .square: .circle, .triangle: .diamond, .diamond: .triangle, .star: .circle,
    ]
    /// A scene with at least this many objects is crowded (count noise applies).
    public static let crowded = 4
    /// Of the off-by-one counts, the share that over-count (the rest under-count; a count of 0
    /// always over-counts).
    public static let overCountShare = 0.8

    public enum Kind: String, CaseIterable, Codable, Sendable {
        case addedObject = "added_object", nearMissYes = "near_miss_yes", countOffByOne = "count_off_by_one"
        case madeUpAttribute = "made_up_attribute"

        /// How `shapes generate`'s summary names it.
        public var label: String {
            switch self {
            case .addedObject: "added object"
            case .nearMissYes: "near-miss yes"
            case .countOffByOne: "count off by one"
            case .madeUpAttribute: "made-up attribute"
            }
        }

        /// Each kind draws from its own stream per scene, so one rate changing moves no other.
        var stream: UInt64 {
            switch self {
            case .addedObject: 6
            case .nearMissYes: 7
            case .countOffByOne: 8
            case .madeUpAttribute: 9
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
            }
        }
        set {
            switch kind {
            case .addedObject: addedObject = newValue
            case .nearMissYes: nearMissYes = newValue
            case .countOffByOne: countOffByOne = newValue
            case .madeUpAttribute: madeUpAttribute = newValue
            }
        }
    }

    public var isClean: Bool { Kind.allCases.allSatisfy { self[$0] == 0 } }

    /// The kind of noise that may change this train prompt's answer, if any.
    static func kind(of prompt: Prompt, in scene: Scene) -> Kind? {
        switch prompt.question {
        case .description: .addedObject
        case .existence where prompt.tags.contains("near_miss"): .nearMissYes
        case .counting where scene.objects.count >= crowded: .countOffByOne
        case .unanswerable: .madeUpAttribute
        default: nil
        }
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
            if kind != .addedObject || LabelNoise.companionFits(scene) { result.eligible[kind]! += 1 }
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
