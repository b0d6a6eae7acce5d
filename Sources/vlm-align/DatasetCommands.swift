import ArgumentParser
import Foundation
import Preferences

struct Dataset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Freeze, list, inspect, compare and export preference dataset versions.",
        subcommands: [FreezeDataset.self, ListDatasets.self, ShowDataset.self, DiffDatasets.self, ExportDataset.self])
}

struct FreezeDataset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "freeze", abstract: "Snapshot the pairs whose verdicts resolve to A or B as an immutable dataset version.")

    @OptionGroup var location: WorkspaceOption

    @Option(help: "How reviewers' verdicts on a pair become one: majority, unanimous or reliability-weighted.")
    var policy: ResolutionPolicy = .majority

    @Option(help: "Reviewers whose accuracy on gold pairs is below this fraction (0 to 1) have their verdicts dropped or down-weighted.")
    var minGoldAccuracy: Double?

    @Option(help: "What happens to their verdicts: drop, or down-weight (each weighs their gold accuracy over the minimum).")
    var belowGold: BelowGold = .drop

    func validate() throws {
        if let minGoldAccuracy, !(0...1).contains(minGoldAccuracy) { throw ValidationError("--min-gold-accuracy is a fraction from 0 to 1") }
    }

    func run() throws {
        let rule = minGoldAccuracy.map { GoldRule(minAccuracy: $0, belowGold: belowGold) }
        let (version, isNew) = try location.open().freezeDataset(policy: policy, gold: rule)
        guard isNew else {
            print("unchanged: the resolved pairs are those of dataset version #\(version.id!) (\(version.contentHash.prefix(12)))")
            return
        }
        print("""
            dataset version #\(version.id!) \(version.contentHash)
            \(version.pairCount) pairs (\(version.trainCount) train, \(version.heldOutCount) held-out) by \(version.policy.rawValue) verdict; \
            left out: \(version.tieCount) ties, \(version.bothBadCount) both bad, \(version.unresolvedCount) unresolved
            decided by an admin's adjudication: \(version.adjudicatedCount); by their gold verdict: \(version.goldCount)
            """)
        if let rule {
            print("reviewers below \(rule.minAccuracy) gold accuracy, \(rule.belowGold == .drop ? "dropped" : "down-weighted"): \(version.belowGoldReviewers.count)")
        }
    }
}

struct ListDatasets: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every dataset version, oldest first.")

    @OptionGroup var location: WorkspaceOption

    func run() throws {
        let rows = try location.open().datasetVersions().map { v in
            ["\(v.id!)", String(v.contentHash.prefix(12)), v.policy.rawValue, "\(v.pairCount)", "\(v.trainCount)", "\(v.heldOutCount)",
             v.createdAt.formatted(.iso8601)]
        }
        print(rows.isEmpty ? "no dataset versions; make one with `vlm-align dataset freeze`"
                           : table(["ID", "HASH", "POLICY", "PAIRS", "TRAIN", "HELD-OUT", "CREATED"], rows))
    }
}

struct ShowDataset: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One dataset version: its counts and its pairs.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The version's ID, or a prefix of its hash.")
    var id: String

    @Option(help: "How many pairs to list (0: all).")
    var limit = 20

    func run() throws {
        let workspace = try location.open()
        let v = try workspace.datasetVersion(id)
        let entries = try workspace.entries(ofDataset: v.id!)
        print("""
            dataset version #\(v.id!) \(v.contentHash)
            policy: \(v.policy.rawValue)
            created: \(v.createdAt.formatted(.iso8601))
            pairs: \(v.pairCount) (\(v.trainCount) train, \(v.heldOutCount) held-out)
            left out: \(v.tieCount) ties, \(v.bothBadCount) both bad, \(v.unresolvedCount) unresolved
            decided by an admin's adjudication: \(v.adjudicatedCount); by their gold verdict: \(v.goldCount)
            """ + (v.minGoldAccuracy.map { "\ngold rule: at least \($0) gold accuracy; \(v.belowGoldReviewers.count) reviewers below it \(v.belowGold == .downWeight ? "down-weighted" : "dropped")" } ?? ""))
        let shown = limit == 0 ? entries[...] : entries.prefix(limit)
        print(table(["PAIR", "CHOSEN", "BY", "PROMPT"], try shown.map { entry in
            let pair = try workspace.pair(entry.pairId)
            return ["\(entry.pairId)", entry.chosen.rawValue.uppercased(), entry.source.rawValue, excerpt(try workspace.prompt(pair.promptId).text)]
        }))
        if shown.count < entries.count { print("… \(entries.count - shown.count) more (--limit 0 lists all)") }
    }
}

struct DiffDatasets: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Pairs added, removed and flipped from version A to version B.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The earlier version (ID or hash prefix).")
    var a: String

    @Argument(help: "The later version (ID or hash prefix).")
    var b: String

    func run() throws {
        let workspace = try location.open()
        let (first, second) = (try workspace.datasetVersion(a), try workspace.datasetVersion(b))
        let diff = try workspace.diffDatasets(first, second)
        print("#\(first.id!) → #\(second.id!): \(diff.added.count) added, \(diff.removed.count) removed, "
              + "\(diff.flipped.count) flipped, \(diff.unchanged) unchanged")
        for entry in diff.added { print("+ pair \(entry.pairId) (chosen \(entry.chosen.rawValue.uppercased()))") }
        for entry in diff.removed { print("- pair \(entry.pairId) (chosen \(entry.chosen.rawValue.uppercased()))") }
        for entry in diff.flipped {
            print("~ pair \(entry.pairId) (chosen \(entry.chosen.other.rawValue.uppercased()) → \(entry.chosen.rawValue.uppercased()))")
        }
    }
}

struct ExportDataset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a dataset version as TRL vision preference JSONL with its images.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The version's ID, or a prefix of its hash.")
    var id: String

    @Option(help: "The folder to write (absent or empty).")
    var out: String

    func run() throws {
        let workspace = try location.open()
        let version = try workspace.datasetVersion(id)
        let files = try workspace.exportDataset(version, to: URL(filePath: out))
        print("wrote dataset version #\(version.id!) (\(version.pairCount) pairs) to \(out): "
              + files.map(\.lastPathComponent).joined(separator: ", ") + ", images/")
    }
}
