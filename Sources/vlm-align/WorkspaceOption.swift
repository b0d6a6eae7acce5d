import ArgumentParser
import Foundation
import Interchange
import Preferences

/// `--workspace DIR`, shared by every command that works on a workspace.
struct WorkspaceOption: ParsableArguments {
    @Option(name: .long, help: "The workspace folder (default: the current folder).")
    var workspace: String = "."

    func open() throws -> Workspace { try Workspace.open(at: URL(filePath: workspace)) }
}

extension CheckpointKind: ExpressibleByArgument {}
extension Split: ExpressibleByArgument {}
extension ResolutionPolicy: ExpressibleByArgument {}
extension BelowGold: ExpressibleByArgument {}

/// Left-aligned columns separated by two spaces.
func table(_ header: [String], _ rows: [[String]]) -> String {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
    return ([header] + rows).map { row in
        zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            .trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
}

/// The first line of a text, cut to `length` characters.
func excerpt(_ text: String, _ length: Int = 60) -> String {
    let line = text.split(separator: "\n").first.map(String.init) ?? ""
    return line.count <= length ? line : String(line.prefix(length - 1)) + "…"
}
