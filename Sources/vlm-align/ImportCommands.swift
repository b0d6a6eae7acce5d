import ArgumentParser
import Foundation
import Interchange
import Preferences

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring preference pairs, prompts or a model into the workspace.",
        subcommands: [ImportPairs.self, ImportPrompts.self, ImportModel.self])
}

struct ImportPairs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pairs",
        abstract: "Import TRL vision preference JSONL (images, prompt, chosen, rejected); each row's verdict is recorded for the chosen answer.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The JSONL file; image paths are relative to it.")
    var file: String

    @Option(help: "Split of prompts this file adds: train or held-out.")
    var split: Split = .train

    @Option(help: "The reviewer the verdicts are recorded under.")
    var reviewer: String = Reviewer.importedName

    @Flag(help: "Record no verdicts: the pairs wait for reviewers (`vlm-align review serve`).")
    var unreviewed = false

    @Flag(help: "Gold pairs: record no verdicts, and make each row's chosen answer its pair's known verdict.")
    var gold = false

    @OptionGroup var images: ImageOptions

    func validate() throws {
        if (unreviewed || gold) && reviewer != Reviewer.importedName {
            throw ValidationError("--\(gold ? "gold" : "unreviewed") records no verdicts; leave out --reviewer")
        }
    }

    func run() throws {
        print(try location.open().importPairs(from: URL(filePath: file), split: split, reviewer: unreviewed || gold ? nil : reviewer,
                                              images: images.policy, gold: gold))
    }
}

struct ImportPrompts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompts",
        abstract: "Import a prompt set: JSONL rows of images, text, category, tags and split.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The JSONL file; image paths are relative to it.")
    var file: String

    @OptionGroup var images: ImageOptions

    func run() throws {
        print(try location.open().importPrompts(from: URL(filePath: file), images: images.policy))
    }
}

struct ImportModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Register a Hugging Face model folder as a checkpoint (copied under checkpoints/).")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The model folder (config.json and safetensors weights).")
    var folder: String

    @Option(help: "A name for it (default: the folder's name).")
    var name: String?

    @Option(help: "What it is: base, sft or dpo.")
    var kind: CheckpointKind = .base

    @Option(help: "The checkpoint it was trained from.")
    var parent: Int64?

    @Flag(help: "Make it the current checkpoint (the first checkpoint always is).")
    var makeCurrent = false

    func run() throws {
        let workspace = try location.open()
        let (checkpoint, isNew) = try workspace.registerCheckpoint(
            NewCheckpoint(folder: URL(filePath: folder), name: name, kind: kind, parentID: parent),
            makeCurrent: makeCurrent ? .registered : nil)
        let current = try workspace.currentCheckpoint()?.id == checkpoint.id ? ", current" : ""
        print(isNew ? "registered checkpoint #\(checkpoint.id!) \"\(checkpoint.name)\" (\(checkpoint.kind.rawValue))\(current)"
                    : "already registered as checkpoint #\(checkpoint.id!) \"\(checkpoint.name)\"; nothing changed")
    }
}

/// What an import accepts of the images its file names.
struct ImageOptions: ParsableArguments {
    @Option(name: .customLong("max-image-pixels"), help: "Refuse images of more pixels (read from their headers).")
    var maxImagePixels = ImageLimits.pixelBudget

    @Option(name: .customLong("image-root"), help: "The folder the images must be in (default: the file's folder).")
    var imageRoot: String?

    @Flag(name: .customLong("allow-outside-paths"),
          help: "Read images anywhere: absolute paths, and relative ones that climb out of the image root.")
    var allowOutsidePaths = false

    var policy: ImagePolicy {
        ImagePolicy(maxPixels: maxImagePixels, root: imageRoot.map { URL(filePath: $0) }, allowOutsidePaths: allowOutsidePaths)
    }
}
