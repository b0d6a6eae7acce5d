import Foundation
import Interchange
import JSON
import Tensor
import Testing
import Tokenization
import VLM
@testable import Training

/// vlm-align's SFT against TRL's SFTTrainer (tools/fixtures/trl_sft_fixtures.py) on the tiny
/// model of the DPO fixture: prompt–completion rows (completion-only loss) and conversations
/// (assistant-only loss).
@Suite(.timeLimit(.minutes(10))) struct SFTParityTests {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/trl-sft")
    static let policyFolder = TRLFixture.folder.appendingPathComponent("policy")

    static func expected(_ form: String) throws -> JSONValue {
        let json = try JSONValue(parsing: Data(contentsOf: folder.appendingPathComponent("expected.json")))
        guard let entry = json[form] else { throw TrainingError("expected.json has no \(form)") }
        return entry
    }

    /// Within `relative` of TRL's (1e-3 unless told).
    static func close(_ ours: Double?, _ theirs: Double?, _ what: String, relative: Double = 1e-3) {
        guard let ours, let theirs else { Issue.record("\(what): missing (ours \(String(describing: ours)), TRL \(String(describing: theirs)))"); return }
        #expect(abs(ours - theirs) <= relative * max(abs(theirs), 1e-3), "\(what): \(ours) vs TRL \(theirs)")
    }

    static func metrics(_ log: JSONValue?, prefix: String = "") -> [String: Double] {
        var out: [String: Double] = [:]
        for (k, v) in log?.objectValue ?? [] where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v.doubleValue }
        return out
    }

    /// The file read by SupervisedDataset gives TRL's collator's tokens and labels.
    @Test(arguments: ["completions", "messages"])
    func tokensAndLearnedTokensMatchTRLsCollator(form: String) throws {
        let model = try Idefics3Model.load(Self.policyFolder)
        let processor = try Idefics3Processor(folder: Self.policyFolder, config: model.config)
        let examples = try SupervisedDataset.examples(Self.folder.appendingPathComponent("\(form).jsonl"), processor: processor)
        let rows = try Self.expected(form)["rows"]?.arrayValue ?? []
        #expect(examples.count == rows.count && !rows.isEmpty)
        for (i, (example, row)) in zip(examples, rows).enumerated() {
            #expect(example.tokens == TRLFixture.ints(row["input_ids"]), "\(form) row \(i) tokens")
            let learned = (row["learned"]?.arrayValue ?? []).enumerated().compactMap { $1.boolValue == true ? $0 : nil }
            #expect(example.learned.flatMap { Array($0) } == learned, "\(form) row \(i) learned tokens")
            #expect(example.images?.pixels.dim(0) == example.imageKeys.count)
        }
    }

    /// evaluate() and the first three full fine-tuning steps (AdamW, lr 1e-3, clipping at 1):
    /// loss and gradient norm within 1e-3 relative, token accuracy exact.
    @Test(arguments: ["completions", "messages"])
    func evaluationAndFirstThreeStepsMatchTRL(form: String) throws {
        let loaded = try Idefics3Model.load(Self.policyFolder)
        let processor = try Idefics3Processor(folder: Self.policyFolder, config: loaded.config)
        let examples = try SupervisedDataset.examples(Self.folder.appendingPathComponent("\(form).jsonl"), processor: processor)
        loaded.parameters.enableGradients()
        let model = Idefics3Model(config: loaded.config, parameters: loaded.parameters)
        let objective = try SFTObjective(model: model, adapters: nil, examples: examples, evalExamples: examples,
                                         padToken: processor.padToken)
        let expected = try Self.expected(form)
        let eval = try objective.evaluate(batchSize: examples.count) ?? [:]
        let trlEval = Self.metrics(expected["eval"], prefix: "eval_")
        Self.close(eval["loss"], trlEval["loss"], "\(form) evaluate() loss")
        Self.close(eval["mean_token_accuracy"], trlEval["mean_token_accuracy"], "\(form) evaluate() accuracy")
        let steps = expected["steps"]?.arrayValue ?? []
        #expect(steps.count == 3)
        var rng = SeededGenerator(seed: 0)
        for (step, log) in steps.enumerated() {
            let trl = Self.metrics(log)
            let result = try objective.step(Array(examples.indices), scale: 1, rng: &rng)
            let norm = try objective.updater.apply(lr: 1e-3)
            Self.close(result.metrics["loss"], trl["loss"], "\(form) step \(step + 1) loss")
            Self.close(result.metrics["mean_token_accuracy"], trl["mean_token_accuracy"], "\(form) step \(step + 1) accuracy")
            Self.close(Double(norm), trl["grad_norm"], "\(form) step \(step + 1) grad_norm")
        }
    }

    /// Micro-batches of one row in TRL's seeded order, three to an optimizer step (the epoch's
    /// last has the one left), a linear schedule with two warmup steps, weight decay 0.5: every
    /// step's loss (over the learned tokens of all its micro-batches, as TRL normalizes it),
    /// token accuracy (the micro-batches' mean), gradient norm and learning rate; the parameters
    /// after the last step within 2e-6 of TRL's (they differ by 2e-7 at most; weight decay moves
    /// them by ~1.5e-3 of their value, ~1e-4).
    @Test func scheduleWeightDecayAndAccumulationMatchTRL() throws {
        let run = try TRLRun(try Self.expected("runs")["schedule"], "\(Self.folder.path)/expected.json runs.schedule")
        let loaded = try Idefics3Model.load(Self.policyFolder)
        let processor = try Idefics3Processor(folder: Self.policyFolder, config: loaded.config)
        let examples = try SupervisedDataset.examples(Self.folder.appendingPathComponent("completions.jsonl"), processor: processor)
        let model = loaded.trainable()
        let objective = try SFTObjective(model: model, adapters: nil, examples: run.replayed(examples), padToken: processor.padToken)
        for (step, (report, log)) in zip(try run.train(objective), run.steps).enumerated() {
            for key in ["loss", "mean_token_accuracy", "grad_norm"] { Self.close(report.values[key], log[key], "step \(step + 1) \(key)") }
            Self.close(report.values["learning_rate"], log["learning_rate"], "step \(step + 1) learning_rate", relative: 1e-6)
        }
        let kept = try SafetensorsFile(path: Self.folder.appendingPathComponent("runs.safetensors").path)
        let mismatches = try TRLRun.parameterMismatches(kept, run: "schedule", tolerance: 2e-6) {
            model.parameters.contains($0) ? model.parameters[$0] : nil
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }

    @Test func badRowsNameTheFileAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-align-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Idefics3Model.load(Self.policyFolder)
        let processor = try Idefics3Processor(folder: Self.policyFolder, config: model.config)
        let image = TRLFixture.folder.appendingPathComponent("images/scene0.png").path
        let good = #"{"prompt": "Hi", "completion": "a"}"#
        let cases: [(String, String)] = [
            (good + "\n{not json\n", ":2: not valid JSON"),
            (good + "\n[1]\n", ":2: not a JSON object"),
            (#"{"prompt": "Hi"}"#, ":1: needs messages, or prompt and completion"),
            (#"{"messages": "Hi"}"#, ":1: messages must be a list"),
            (#"{"messages": [{"role": "user", "content": "Hi"}]}"#, ":1: the messages have no assistant turn"),
            (#"{"messages": []}"#, ":1: the messages have no assistant turn"),
            (#"{"prompt": "Hi", "completion": [{"role": "assistant", "content": "a"}]}"#, ":1: a plain-text prompt needs a plain-text completion"),
            (#"{"messages": [{"role": "assistant", "content": "a"}]}"#, ":1: the conversation starts with an assistant turn"),
            (#"{"images": "x.png", "messages": [{"role": "assistant", "content": "a"}]}"#, ":1: images must be a list"),
            (#"{"images": ["missing.png"], "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "a"}]}"#,
             "missing.png"),
            // the image's placeholder goes to the first user message, which comes after the only answer
            (#"{"images": ["\#(image)"], "messages": [{"role": "system", "content": "Be brief."}, {"role": "assistant", "content": "a"}, {"role": "user", "content": "Hi"}]}"#,
             ":1: the row has 1 images but the text before its last answer holds 0 placeholders"),
        ]
        for (text, problem) in cases {
            let url = dir.appendingPathComponent("\(UUID().uuidString).jsonl")
            try text.write(to: url, atomically: true, encoding: .utf8)
            #expect {
                _ = try SupervisedDataset.examples(url, processor: processor)
            } throws: { error in
                let message = String(describing: error)
                return message.contains(url.lastPathComponent) && message.contains(problem)
            }
        }
    }
}

/// Examples of one image packed as branches of one sequence train exactly as the examples apart.
@Suite(.timeLimit(.minutes(10))) struct ImagePrefixSharingTests {
    @Test func examplesWhoseImageFollowsTheQuestionStayApart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-align-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = TRLFixture.folder.appendingPathComponent("images/scene0.png").path
        func row(_ question: String, _ answer: String, imageFirst: Bool) -> String {
            let parts = [#"{"type": "text", "text": "\#(question)"}"#, #"{"type": "image"}"#]
            let content = (imageFirst ? parts.reversed() : parts).joined(separator: ", ")
            return #"{"images": ["\#(image)"], "prompt": [{"role": "user", "content": [\#(content)]}], "completion": [{"role": "assistant", "content": "\#(answer)"}]}"#
        }
        let folder = SFTParityTests.policyFolder
        let model = try Idefics3Model.load(folder)
        let processor = try Idefics3Processor(folder: folder, config: model.config)
        for imageFirst in [true, false] {
            let url = dir.appendingPathComponent("sft-\(imageFirst).jsonl")
            try [row("What shape is red?", "a small red circle", imageFirst: imageFirst),
                 row("How many objects are there?", "two", imageFirst: imageFirst)]
                .joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
            let separate = try SupervisedDataset.examples(url, processor: processor)
            let packed = SupervisedExample.sharingImagePrefixes(separate, imageToken: model.imageTokenId)
            // the image after the question would be in each branch: such examples are not packed
            #expect(packed.map(\.branchStarts.count) == (imageFirst ? [2] : [0, 0]))
            #expect(imageFirst || packed.map(\.tokens) == separate.map(\.tokens))
        }
    }

    @Test func packedExamplesGiveTheSameLossAndGradientsAsSeparateOnes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-align-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = { (i: Int) in TRLFixture.folder.appendingPathComponent("images/scene\(i).png").path }
        func row(_ i: Int, _ question: String, _ answer: String) -> String {
            #"{"images": ["\#(image(i))"], "prompt": [{"role": "user", "content": "\#(question)"}], "completion": [{"role": "assistant", "content": "\#(answer)"}]}"#
        }
        let url = dir.appendingPathComponent("sft.jsonl")
        try [row(0, "What shape is red?", "a small red circle"), row(0, "How many objects are there?", "two"),
             row(0, "How many circles?", "The answer is 4."), row(1, "Describe the image.", "no"),
             row(2, "What shape is red?", "a large blue square"), row(2, "Which objects are not red?", "yes")]
            .joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let folder = SFTParityTests.policyFolder
        let processor = try Idefics3Processor(folder: folder, config: try Idefics3Model.load(folder).config)
        let separate = try SupervisedDataset.examples(url, processor: processor)
        let imageToken = try Idefics3Model.load(folder).imageTokenId
        let packed = SupervisedExample.sharingImagePrefixes(separate, imageToken: imageToken)
        #expect(packed.map(\.branchStarts.count) == [3, 0, 2])
        #expect(packed.map(\.learned.count) == [3, 1, 2])
        // "How many" starts two of the three questions, not all: the prefix is what all share
        #expect(packed[0].prefix == zip(separate[0].tokens, separate[1].tokens).prefix(while: { $0 == $1 }).count)
        #expect(packed[0].prefix < zip(separate[1].tokens, separate[2].tokens).prefix(while: { $0 == $1 }).count)

        func lossAndGradients(_ examples: [SupervisedExample]) throws -> (Double, ParameterSet) {
            let loaded = try Idefics3Model.load(folder)
            loaded.parameters.enableGradients()
            let model = Idefics3Model(config: loaded.config, parameters: loaded.parameters)
            let objective = try SFTObjective(model: model, adapters: nil, examples: examples, padToken: processor.padToken)
            var rng = SeededGenerator(seed: 0)
            let result = try objective.step(Array(examples.indices), scale: 1, rng: &rng)
            return (result.metrics["loss"]!, loaded.parameters)
        }
        let (lossApart, apart) = try lossAndGradients(separate)
        let (lossPacked, together) = try lossAndGradients(packed)
        #expect(abs(lossApart - lossPacked) <= 1e-5 * lossApart, "loss \(lossPacked) packed vs \(lossApart) apart")
        var failures: [String] = []
        let overall = apart.specs.map { spec in (0..<spec.count).reduce(Float(0)) { max($0, abs(apart.gradient(spec.name)![$1])) } }.max()!
        for spec in apart.specs {
            let a = apart.gradient(spec.name)!, b = together.gradient(spec.name)!
            var worst: Float = 0, largest: Float = 0
            for i in 0..<a.count {
                worst = max(worst, abs(a[i] - b[i]))
                largest = max(largest, abs(a[i]))
            }
            // key biases have zero gradient in exact arithmetic (softmax ignores them): rounding only
            if worst > 1e-4 * max(largest, 1e-4 * overall) { failures.append("\(spec.name): \(worst) of \(largest)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
