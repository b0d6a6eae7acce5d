import ArgumentParser
import Foundation
import Rounds

struct FailuresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failures",
        abstract: "The held-out expert pairs the current checkpoint gets wrong: by category, by reason tag, and in clusters of their texts.")

    @OptionGroup var location: WorkspaceOption
    @Option(help: "k-means clusters.") var clusters = 6
    @Option(help: "Examples shown per group.") var examples = 2
    @Option(help: "β of the rewards.") var beta: Double = 0.1
    @OptionGroup var encoder: EncoderOption

    func run() throws {
        let report = try AlignmentRounds.open(location).failures(clusters: clusters, beta: beta, examples: examples,
                                                                 encoder: try encoder.encoder())
        print("checkpoint #\(report.checkpoint) against #\(report.reference.map { "\($0)" } ?? "itself"): "
              + "\(report.wrong) of \(report.pairs) held-out expert pairs wrong")
        guard report.wrong > 0 else { return }
        func show(_ title: String, _ groups: [FailureReport.Group]) {
            print("\n\(title)")
            print(table(["COUNT", "GROUP"], groups.map { ["\($0.count)", $0.name] }))
        }
        show("by category", report.byCategory)
        show("by reason tag", report.byReason)
        print("\nclusters (k-means over the \(report.features) of prompt and answers), largest first")
        for (i, cluster) in report.clusters.enumerated() {
            let categories = cluster.categories.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }
            print("\(i + 1). \(cluster.size) pairs — \(cluster.terms.joined(separator: ", ")) (\(categories.joined(separator: ", ")))")
            for example in cluster.examples {
                print("   pair \(example.pairID): \(excerpt(example.prompt, 50)) | chosen: \(excerpt(example.chosen, 40)) | preferred instead: \(excerpt(example.rejected, 40))")
            }
        }
    }
}
