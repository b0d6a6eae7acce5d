import ArgumentParser
import Foundation
import Preferences

struct Reviewers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviewers",
        abstract: "Add, list and disable reviewers; show how far they agree.",
        subcommands: [AddReviewer.self, ListReviewers.self, DisableReviewer.self, ReviewerAgreement.self])
}

struct AddReviewer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a reviewer and print their access token (shown once).")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The reviewer's name.")
    var name: String

    @Flag(help: "An admin, who manages rounds and reviewers.")
    var admin = false

    func run() throws {
        let (reviewer, token) = try location.open().addReviewer(name: name, role: admin ? .admin : .reviewer)
        print("added reviewer #\(reviewer.id!) \"\(reviewer.name)\" (\(reviewer.role.rawValue)); token (shown once):\n\(token)")
    }
}

struct ListReviewers: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every reviewer.")

    @OptionGroup var location: WorkspaceOption

    func run() throws {
        let rows = try location.open().reviewers().map { r in
            ["\(r.id!)", r.name, r.role.rawValue, r.tokenHash == nil ? "no token" : "token", r.disabled ? "disabled" : "enabled",
             r.createdAt.formatted(.iso8601)]
        }
        print(table(["ID", "NAME", "ROLE", "SIGN-IN", "STATUS", "CREATED"], rows))
    }
}

struct DisableReviewer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Stop a reviewer's token from working; their verdicts stay.")

    @OptionGroup var location: WorkspaceOption

    @Argument(help: "The reviewer's name.")
    var name: String

    @Flag(help: "Enable them again instead.")
    var undo = false

    func run() throws {
        let reviewer = try location.open().setReviewer(named: name, disabled: !undo)
        print("reviewer \"\(reviewer.name)\" is \(reviewer.disabled ? "disabled" : "enabled")")
    }
}

struct ReviewerAgreement: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract: "Cohen's kappa per reviewer pair, Krippendorff's alpha, each reviewer's agreement with the resolved verdict, conflicts, gold accuracy.")

    @OptionGroup var location: WorkspaceOption

    @Option(help: "How verdicts are resolved: majority, unanimous or reliability-weighted.")
    var policy: ResolutionPolicy = .majority

    func run() throws {
        let workspace = try location.open()
        let names = Dictionary(uniqueKeysWithValues: try workspace.reviewers().map { ($0.id!, $0.name) })
        let report = try workspace.agreement(policy: policy)
        func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "n/a" }
        print("Krippendorff's alpha (nominal, all reviewers): \(number(report.alpha))\n")
        print(report.kappas.isEmpty ? "no two reviewers compared the same pair" : table(
            ["REVIEWER", "REVIEWER", "SHARED PAIRS", "COHEN'S KAPPA"],
            report.kappas.map { [names[$0.reviewerA]!, names[$0.reviewerB]!, "\($0.sharedPairs)", number($0.kappa)] }))
        print("\nagreement with the \(policy.rawValue) verdict (pairs with two or more verdicts):")
        print(table(["REVIEWER", "COMPARED", "AGREED", "RATE"],
                    report.reviewers.map { [names[$0.reviewer]!, "\($0.compared)", "\($0.agreed)", number($0.rate)] }))
        print("\n\(report.conflicts.count) conflicting pairs" + (report.conflicts.isEmpty ? "" : ":"))
        for conflict in report.conflicts {
            let votes = conflict.votes.map { "\(names[$0.reviewerID]!) \($0.verdict.rawValue)" }.joined(separator: ", ")
            print("pair \(conflict.pairID): \(votes) → \(conflict.resolved?.rawValue ?? "unresolved")")
        }
        let gold = try workspace.goldAccuracy()
        print("\naccuracy on gold pairs (95% Wilson interval):")
        print(gold.isEmpty ? "no verdicts on gold pairs" : table(["REVIEWER", "ANSWERED", "CORRECT", "ACCURACY", "INTERVAL"], gold.map { g in
            [names[g.reviewerId]!, "\(g.answered)", "\(g.correct)", number(g.rate),
             g.interval.map { "\(number($0.lowerBound))–\(number($0.upperBound))" } ?? "n/a"]
        }))
    }
}
