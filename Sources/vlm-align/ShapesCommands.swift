import ArgumentParser
import Foundation
import Interchange
import ShapesWorld

struct Shapes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "ShapesWorld: a synthetic visual-QA world whose truth is known, with an oracle expert.",
        subcommands: [ShapesGenerate.self, ShapesPretrain.self, ShapesJudge.self]
    )
}

struct ShapesGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a world: images, SFT set, evaluation sets, prompt pools, synthetic pairs, model folder."
    )

    @Option(help: "Folder to create (must not exist, or be empty).")
    var out: String

    @Option(help: "Seed: the same seed and options give the same world, byte for byte.")
    var seed: UInt64

    @Option(help: "Image side in pixels (a multiple of 16, 32–256).")
    var size = 64

    @Option(help: "Scenes for the SFT set.")
    var trainScenes = 1000

    @Option(help: "Held-out scenes for the evaluation sets.")
    var evalScenes = 200

    @Option(help: "Scenes per round's prompt pool.")
    var poolScenes = 100

    @Option(help: "Rounds to write prompt pools for.")
    var rounds = 3

    @Option(help: "Most objects in a scene (1–6).")
    var maxObjects = 6

    @Option(help: "Per-pixel noise amplitude in 8-bit levels (0–64).")
    var noise = 4

    @Flag(inversion: .prefixedNo, help: "Vary each scene's background tint and gradient.")
    var backgroundVariation = true

    @Option(help: "Label-noise preset for the train split's SFT answers: clean (none), web (web captions' noise: added object 0.6, near-miss yes 0.6, count 0.3, made-up 0.6) or crowd (the demo's flawed set: web's, and mirrored side, neighbour attribute, loose box and missed object at 0.6). The rate flags below override it.")
    var labelNoise: LabelNoisePreset = .clean

    @Option(help: "Share of train descriptions that gain a companion object the scene lacks (0–1).")
    var labelNoiseAddedObject: Double?

    @Option(help: "Share of train existence questions about an absent object answered \"yes\" (0–1).")
    var labelNoiseNearMissYes: Double?

    @Option(help: "Share of train counts on scenes of 4 or more objects off by one, mostly over (0–1).")
    var labelNoiseCount: Double?

    @Option(help: "Share of train unanswerable questions answered with a made-up colour, size or box (0–1).")
    var labelNoiseMadeUp: Double?

    @Option(help: "Share of train left/right questions answered as in the image flipped left to right (0–1).")
    var labelNoiseMirroredSide: Double?

    @Option(help: "Share of train colour and size questions answered with the neighbouring value (0–1).")
    var labelNoiseNeighbourAttribute: Double?

    @Option(help: "Share of train boxes drawn loose, \(Int(LabelNoise.looseMargin * 100))% of the object's extent outside each side (0–1).")
    var labelNoiseLooseBox: Double?

    @Option(help: "Share of train negation lists of 2 or more objects that miss one (0–1).")
    var labelNoiseMissedObject: Double?

    /// The rate flags, each with the kind of noise it sets.
    var labelNoiseRates: [(flag: String, kind: LabelNoise.Kind, rate: Double?)] {
        [("--label-noise-added-object", .addedObject, labelNoiseAddedObject),
         ("--label-noise-near-miss-yes", .nearMissYes, labelNoiseNearMissYes),
         ("--label-noise-count", .countOffByOne, labelNoiseCount),
         ("--label-noise-made-up", .madeUpAttribute, labelNoiseMadeUp),
         ("--label-noise-mirrored-side", .mirroredSide, labelNoiseMirroredSide),
         ("--label-noise-neighbour-attribute", .neighbourAttribute, labelNoiseNeighbourAttribute),
         ("--label-noise-loose-box", .looseBox, labelNoiseLooseBox),
         ("--label-noise-missed-object", .missedObject, labelNoiseMissedObject)]
    }

    var options: WorldOptions {
        var rates = labelNoise.rates
        for (_, kind, rate) in labelNoiseRates { if let rate { rates[kind] = rate } }
        return WorldOptions(seed: seed,
                            style: SceneStyle(width: size, height: size, maxObjects: maxObjects,
                                              backgroundVariation: backgroundVariation, noise: noise),
                            trainScenes: trainScenes, evalScenes: evalScenes, poolScenes: poolScenes, rounds: rounds,
                            labelNoise: rates)
    }

    func validate() throws {
        for (flag, _, rate) in labelNoiseRates {
            if let rate, !(0...1).contains(rate) { throw ValidationError("\(flag) must be a rate from 0 to 1, got \(rate)") }
        }
        do {
            try options.validate()
        } catch let error as WorldOptionsError {
            throw ValidationError(error.problem)
        }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: out)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw InputError(file: directory.path, "not empty; give a new folder so no earlier world is mixed in")
        }
        let world = World.generate(options)
        let taught = try DatasetWriter.write(world, to: directory)
        print("wrote \(directory.path): \(world.scenes.count) scenes, \(world.prompts.count) prompts")
        for split in world.splits {
            let prompts = world.prompts.filter { $0.split == split }
            let counts = Category.allCases.map { category in "\(category.rawValue) \(prompts.filter { $0.category == category }.count)" }
            print("  \(split): \(prompts.count) prompts (\(counts.joined(separator: ", ")))")
        }
        if !world.options.labelNoise.isClean {
            let kinds = LabelNoise.Kind.allCases.filter { world.options.labelNoise[$0] > 0 }.map { kind in
                "\(kind.label) \(taught.changed[kind] ?? 0) of \(taught.eligible[kind] ?? 0)"
                    + String(format: " (rate %g)", world.options.labelNoise[kind])
            }
            print("  label noise: \(taught.totalChanged) train answers changed in sft/ (\(kinds.joined(separator: ", "))); "
                  + "world.json keeps the true answers")
        }
        let model = ModelRecipe(imageSize: size)
        print("  model/: Idefics3 config (\(model.parameterCount) parameters, \(model.imageSequenceLength) image tokens), "
              + "tokenizer of \(model.tokens.count) tokens, no weights")
    }
}

struct ShapesJudge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge",
        abstract: "Score answers against a world's truth, or compare pairs of answers.",
        discussion: """
            --answers FILE: JSONL lines {"id": PROMPT_ID, "answer": TEXT}; prints each answer's score and reasons, \
            then accuracy, mean score and hallucination rate per category.
            --pairs FILE: JSONL lines {"id": PROMPT_ID, "a": TEXT, "b": TEXT}; prints each pair's verdict \
            (a, b, tie, both-bad) and the reasons. --answers A --versus B makes those pairs of two answer \
            files (a from A, b from B, by prompt id; identical answers left out).
            --preferences OUT writes the compared pairs as TRL preference pairs, as an expert who swaps \
            --flip-rate of the verdicts gives them: the winner chosen, ties and both-bad left out.
            """
    )

    @Option(help: "World folder written by `shapes generate`.")
    var world: String

    @Option(help: "Answers to score (JSONL).")
    var answers: String?

    @Option(help: "With --answers: a second answers file to compare them with, prompt by prompt.")
    var versus: String?

    @Option(help: "Pairs of answers to compare (JSONL).")
    var pairs: String?

    @Flag(help: "Print one JSON object instead of tables.")
    var json = false

    @Option(help: "Write the compared pairs as TRL preference pairs (the winner chosen) to this file.")
    var preferences: String?

    @Option(name: .customLong("flip-rate"), help: "With --preferences: share of verdicts a noisy expert swaps.")
    var flipRate = 0.0

    @Option(help: "With --preferences: seed of the noisy expert.")
    var seed: UInt64 = 1

    func validate() throws {
        if (answers == nil) == (pairs == nil) { throw ValidationError("give exactly one of --answers FILE and --pairs FILE") }
        if versus != nil && answers == nil { throw ValidationError("--versus needs --answers FILE") }
        if preferences != nil && pairs == nil && versus == nil { throw ValidationError("--preferences needs --pairs FILE or --answers A --versus B") }
        if !(0...1).contains(flipRate) { throw ValidationError("--flip-rate must be between 0 and 1, got \(flipRate)") }
    }

    func run() throws {
        let world = try World.load(from: URL(fileURLWithPath: self.world))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let records: [AnswerPairRecord]
        let file: String
        if let pairs {
            records = try JSONLines.read(AnswerPairRecord.self, from: URL(fileURLWithPath: pairs)).map(\.row)
            file = pairs
        } else if let answers, let versus {
            records = try Self.pair(answers, versus)
            file = versus
        } else {
            let answers = answers!
            let report = try world.judge(try JSONLines.read(AnswerRecord.self, from: URL(fileURLWithPath: answers)).map(\.row), file: answers)
            print(json ? String(decoding: try encoder.encode(report), as: UTF8.self) : Self.table(report))
            return
        }
        let report = try world.compare(records, file: file)
        print(json ? String(decoding: try encoder.encode(report), as: UTF8.self) : Self.table(report))
        if let preferences {
            var reviewer = SimulatedReviewer(profile: ReviewerProfile(name: "noisy", flipRate: flipRate), seed: seed)
            let written = world.preferences(records, compared: report, reviewer: &reviewer, worldFolder: URL(fileURLWithPath: self.world))
            try DatasetWriter.writeJSONL(written, to: URL(fileURLWithPath: preferences))
            if !json { print("\(written.count) preference pairs written to \(preferences)") }
        }
    }

    /// The answers of two files to the same prompts as pairs (A's order); identical answers
    /// make no pair, and a prompt that B does not answer is an error naming B.
    static func pair(_ a: String, _ b: String) throws -> [AnswerPairRecord] {
        let first = try JSONLines.read(AnswerRecord.self, from: URL(fileURLWithPath: a)).map(\.row)
        var second: [String: String] = [:]
        for record in try JSONLines.read(AnswerRecord.self, from: URL(fileURLWithPath: b)).map(\.row) { second[record.id] = record.answer }
        return try first.compactMap { record in
            guard let other = second[record.id] else { throw InputError(file: b, "no answer to prompt \"\(record.id)\", which \(a) answers") }
            return other == record.answer ? nil : AnswerPairRecord(id: record.id, a: record.answer, b: other)
        }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    static func table(_ report: JudgeReport) -> String {
        var lines = [pad("id", 26) + pad("category", 13) + "score  right  form         reasons"]
        for answer in report.answers {
            let j = answer.judgement
            lines.append(pad(answer.id, 26) + pad(answer.category.rawValue, 13) + String(format: "%5.2f  ", j.score)
                         + pad(j.correct ? "yes" : "no", 7) + pad(j.form.rawValue, 13)
                         + j.reasons.map(\.rawValue).joined(separator: ","))
        }
        lines += ["", pad("category", 13) + "answers  accuracy  mean score  hallucination rate"]
        for summary in report.categories + [report.overall] {
            lines.append(pad(summary.category, 13) + right(String(summary.answers), 7)
                         + String(format: "  %7.1f%%  %10.3f  %17.1f%%", 100 * summary.accuracy, summary.meanScore,
                                  100 * summary.hallucinationRate))
        }
        return lines.joined(separator: "\n")
    }

    static func table(_ report: PairReport) -> String {
        var lines = [pad("id", 26) + pad("category", 13) + pad("verdict", 10) + "reasons"]
        for pair in report.pairs {
            lines.append(pad(pair.id, 26) + pad(pair.category.rawValue, 13) + pad(pair.comparison.verdict.rawValue, 10)
                         + pair.comparison.reasons.map(\.rawValue).joined(separator: ","))
        }
        lines += ["", Verdict.allCases.map { "\($0.rawValue) \(report.verdicts[$0.rawValue] ?? 0)" }.joined(separator: ", ")]
        return lines.joined(separator: "\n")
    }
}

/// `shapes generate --label-noise`: named sets of label-noise rates.
enum LabelNoisePreset: String, ExpressibleByArgument, CaseIterable {
    case clean, web, crowd

    var rates: LabelNoise {
        switch self {
        case .clean: .clean
        case .web: .web
        case .crowd: .crowd
        }
    }
}
