import ArgumentParser
import Foundation
import Interchange
import Preferences

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a workspace: its database, blobs/ and checkpoints/.")

    @Argument(help: "The folder to create it in (default: the current folder).")
    var folder: String = "."

    @Option(help: "A Hugging Face model folder to register as the first, current checkpoint.")
    var model: String?

    @Option(help: "What that model is: base, or sft when it is already fine-tuned on the task.")
    var kind: CheckpointKind = .base

    func run() throws {
        // Check the model first, so a mistyped folder does not leave a workspace behind.
        if let model { try Workspace.checkModelFolder(URL(filePath: model)) }
        let workspace = try Workspace.create(at: URL(filePath: folder))
        print("created workspace \(workspace.root.path)")
        if let model {
            let (checkpoint, _) = try workspace.registerCheckpoint(NewCheckpoint(folder: URL(filePath: model), kind: kind))
            print("registered checkpoint #\(checkpoint.id!) \"\(checkpoint.name)\" (\(checkpoint.kind.rawValue)), current")
        }
    }
}
