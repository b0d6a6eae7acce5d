import ArgumentParser
import Foundation
import Preferences
import Report

/// `vlm-align report`: the workspace as one self-contained HTML file.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML report of the workspace (training curves, metrics, lineage, reviewers, example pairs).",
        discussion: "No script, font or image is fetched: charts are inline SVG, images data URIs. docs/evaluation.md describes each section."
    )

    @OptionGroup var location: WorkspaceOption
    @Option(help: "The HTML file to write.") var out = "report.html"

    func run() throws {
        let html = try WorkspaceReport.html(try location.open())
        let url = URL(fileURLWithPath: out)
        try Data(html.utf8).write(to: url, options: .atomic)
        print("wrote \(url.path) (\(html.utf8.count) bytes)")
    }
}
