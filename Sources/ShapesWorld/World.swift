import Foundation
import Interchange

/// What `shapes generate` makes: how many scenes per split, how they look, from which seed.
public struct WorldOptions: Codable, Equatable, Sendable {
    public var seed: UInt64
    public var style: SceneStyle
    /// Scenes whose prompts form the SFT set.
    public var trainScenes: Int
    /// Held-out scenes whose prompts form the evaluation sets.
    public var evalScenes: Int
    /// Scenes per round's prompt pool, and how many rounds.
    public var poolScenes: Int
    public var rounds: Int
    /// Systematic errors in the train split's SFT answers (none by default).
    public var labelNoise: LabelNoise

    public init(seed: UInt64, style: SceneStyle = SceneStyle(), trainScenes: Int = 1000, evalScenes: Int = 200,
                poolScenes: Int = 100, rounds: Int = 3, labelNoise: LabelNoise = .clean) {
        self.seed = seed
        self.style = style
        self.trainScenes = trainScenes
        self.evalScenes = evalScenes
        self.poolScenes = poolScenes
        self.rounds = rounds
        self.labelNoise = labelNoise
    }

    private enum CodingKeys: String, CodingKey {
        case seed, style, trainScenes, evalScenes, poolScenes, rounds, labelNoise
    }

    /// A world.json written before label noise existed reads as clean.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seed = try container.decode(UInt64.self, forKey: .seed)
        style = try container.decode(SceneStyle.self, forKey: .style)
        trainScenes = try container.decode(Int.self, forKey: .trainScenes)
        evalScenes = try container.decode(Int.self, forKey: .evalScenes)
        poolScenes = try container.decode(Int.self, forKey: .poolScenes)
        rounds = try container.decode(Int.self, forKey: .rounds)
        labelNoise = try container.decodeIfPresent(LabelNoise.self, forKey: .labelNoise) ?? .clean
    }

    /// The model's vision tower takes 8-pixel patches merged 2×2, so a side must be a multiple of 16.
    public static let sizes = stride(from: 32, through: 256, by: 16)

    public func validate() throws {
        func check(_ ok: Bool, _ problem: String) throws {
            if !ok { throw WorldOptionsError(problem: problem) }
        }
        try check(style.width == style.height && Self.sizes.contains(style.width),
                  "image size must be a multiple of 16 from 32 to 256 pixels, got \(style.width)×\(style.height)")
        try check((1...6).contains(style.maxObjects), "objects per scene must be 1 to 6, got \(style.maxObjects)")
        try check((0...64).contains(style.noise), "noise must be 0 to 64 levels, got \(style.noise)")
        try check(trainScenes >= 1, "train scenes must be at least 1, got \(trainScenes)")
        try check(evalScenes >= 1, "eval scenes must be at least 1, got \(evalScenes)")
        try check(poolScenes >= 0 && rounds >= 0, "pool scenes and rounds must not be negative, got \(poolScenes) and \(rounds)")
        for kind in LabelNoise.Kind.allCases {
            let rate = labelNoise[kind]
            try check((0...1).contains(rate), "label noise rate \(kind.rawValue) must be 0 to 1, got \(rate)")
        }
        try check(trainScenes + evalScenes + poolScenes * rounds <= 100_000,
                  "at most 100000 scenes in all, got \(trainScenes + evalScenes + poolScenes * rounds)")
    }
}

/// A generated world: every scene and every prompt, with its split. Written as world.json, it
/// is what `shapes judge` judges against.
public struct World: Codable, Equatable, Sendable {
    public static let currentFormat = "shapesworld/1"
    public var format: String
    public var options: WorldOptions
    public var scenes: [Scene]
    public var prompts: [Prompt]

    /// Scene i and its prompts draw from their own streams of the seed, so a world with more
    /// scenes begins with the same scenes.
    public static func generate(_ options: WorldOptions) -> World {
        var splits = Array(repeating: "train", count: options.trainScenes) + Array(repeating: "eval", count: options.evalScenes)
        for round in 0..<options.rounds { splits += Array(repeating: "round-\(round + 1)", count: options.poolScenes) }
        var scenes: [Scene] = []
        var prompts: [Prompt] = []
        for (i, split) in splits.enumerated() {
            var sceneRNG = SeededGenerator(seed: options.seed, stream: 1, index: i)
            let scene = Scene.random(id: String(format: "scene-%05d", i), style: options.style, using: &sceneRNG)
            var promptRNG = SeededGenerator(seed: options.seed, stream: 2, index: i)
            scenes.append(scene)
            prompts += scene.prompts(split: split, using: &promptRNG)
        }
        return World(format: currentFormat, options: options, scenes: scenes, prompts: prompts)
    }

    public var splits: [String] {
        var seen: [String] = []
        for prompt in prompts where !seen.contains(prompt.split) { seen.append(prompt.split) }
        return seen
    }

    private var scenesByID: [String: Scene] { Dictionary(scenes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }) }

    /// Where a scene's image lies, relative to the world folder.
    public static func imagePath(_ sceneID: String) -> String { "images/\(sceneID).png" }

    public static func manifest(in directory: URL) -> URL { directory.appendingPathComponent("world.json") }

    /// Reads DIR/world.json and checks that every prompt can be judged.
    public static func load(from directory: URL) throws -> World {
        let url = manifest(in: directory)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError(file: url.path, "cannot read (is \(directory.path) a world written by `vlm-align shapes generate`?)")
        }
        let world: World
        do {
            world = try JSONDecoder().decode(World.self, from: data)
        } catch {
            throw InputError(file: url.path, "not a ShapesWorld manifest: \((error as? DecodingError)?.reason ?? "\(error)")")
        }
        guard world.format == currentFormat else {
            throw InputError(file: url.path, "format \"\(world.format)\", expected \"\(currentFormat)\"")
        }
        let scenes = world.scenesByID
        for prompt in world.prompts {
            guard let scene = scenes[prompt.sceneID] else {
                throw InputError(file: url.path, "prompt \(prompt.id) refers to scene \(prompt.sceneID), which is not in the world")
            }
            for referent in prompt.question.referents where scene.objects(matching: referent).count != 1 {
                throw InputError(file: url.path, "prompt \(prompt.id): \"the \(referent.phrase)\" does not name exactly one object of \(scene.id)")
            }
            if let absentee = prompt.question.absentee, !scene.objects(matching: absentee).isEmpty {
                throw InputError(file: url.path, "prompt \(prompt.id): \"the \(absentee.phrase)\" names an object of \(scene.id); an unanswerable question must not")
            }
            if case .negation(let excluded) = prompt.question, excluded.specificity != 1 {
                throw InputError(file: url.path, "prompt \(prompt.id): a negation must exclude exactly one attribute")
            }
        }
        return world
    }
}

/// World options out of range: says which and why.
public struct WorldOptionsError: Error, CustomStringConvertible, Sendable {
    public let problem: String
    public var description: String { problem }
}
