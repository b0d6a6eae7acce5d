import Foundation
import Interchange
import Preferences

/// The admin dashboard, rendered from the same `Dashboard` value the JSON API returns.
enum DashboardPage {
    static func render(_ dashboard: Dashboard, identity: Identity) -> HTML {
        Layout.page("dashboard", title: "Dashboard", identity: identity, main: """
            <main class="dashboard">
              \(summary(dashboard))
              <section class="card"><h2>Progress by round and category</h2>\(progress(dashboard))</section>
              <section class="card"><h2>Reviewers</h2>\(reviewers(dashboard))</section>
              <section class="card"><h2>Agreement</h2>\(agreement(dashboard))</section>
              <section class="card"><h2>Conflicts <span class="count">\(dashboard.conflictCount)</span></h2>\(conflicts(dashboard))</section>
              <section class="card"><h2>Dataset versions</h2>\(datasets(dashboard))</section>
            </main>
            """)
    }

    private static func summary(_ d: Dashboard) -> String {
        let share = d.totals.pairs == 0 ? "" : " (\(percent(Double(d.totals.complete) / Double(d.totals.pairs))))"
        let figures = [("Pairs", "\(d.totals.pairs)"), ("Complete", "\(d.totals.complete)\(share)"), ("Verdicts", "\(d.totals.verdicts)"),
                       ("Krippendorff's α", number(d.alpha)), ("Reviewers per pair", "\(d.overlap)")]
        return #"<section class="figures">"# + figures.map { #"<div class="figure"><span>\#($0.0)</span><strong>\#($0.1)</strong></div>"# }.joined() + "</section>"
    }

    private static func progress(_ d: Dashboard) -> String {
        table(["Round", "Category", "Pairs", "Complete", "In progress", "Verdicts", "Skips", ""], d.progress.map { row in
            let done = row.pairs == 0 ? 0 : Double(row.complete) / Double(row.pairs)
            return [row.round.map { "Round \($0)" } ?? "Imported", escaped(row.category ?? "—"), "\(row.pairs)", "\(row.complete)", "\(row.started)",
                    "\(row.verdicts)", "\(row.skips)",
                    #"<progress max="\#(max(row.pairs, 1))" value="\#(row.complete)" title="\#(percent(done)) complete"></progress>"#]
        }, empty: "No pairs yet. Import some with <code>vlm-align import pairs FILE --unreviewed</code>.")
    }

    private static func reviewers(_ d: Dashboard) -> String {
        table(["Reviewer", "Role", "Verdicts", "Skips", "Last hour", "Median time", "Pairs / hour", "Agrees with \(d.policy.rawValue)", "Last verdict"],
              d.reviewers.map { r in
                  [escaped(r.name) + (r.disabled ? #" <span class="muted">(disabled)</span>"# : ""), r.role.rawValue, "\(r.comparisons)", "\(r.skips)",
                   "\(r.lastHour)", r.medianSeconds.map { String(format: "%.1f s", $0) } ?? "—", r.perHour.map { String(format: "%.0f", $0) } ?? "—",
                   r.agreement.map(percent) ?? "—", r.lastComparisonAt.map { $0.formatted(date: .abbreviated, time: .shortened) } ?? "—"]
              }, empty: "")
    }

    private static func agreement(_ d: Dashboard) -> String {
        #"<p class="lead">Krippendorff's α (nominal, every pair with two or more verdicts): <strong>\#(number(d.alpha))</strong></p>"#
            + table(["Reviewers", "Shared pairs", "Cohen's κ"], d.kappas.map { k in
                [escaped(k.reviewers.joined(separator: " · ")), "\(k.sharedPairs)", number(k.kappa)]
            }, empty: "No two reviewers have compared the same pair yet.")
    }

    private static func conflicts(_ d: Dashboard) -> String {
        let more = d.conflictCount > d.conflicts.count ? #"<p class="muted">The first \#(d.conflicts.count) of \#(d.conflictCount).</p>"# : ""
        return table(["Pair", "Prompt and answers", "Verdicts", "Resolved (\(d.policy.rawValue))"], d.conflicts.map { c in
            ["\(c.pairId)",
             #"\#(escaped(c.prompt))<ol class="candidates"><li>\#(escaped(c.a))</li><li>\#(escaped(c.b))</li></ol>"#,
             c.votes.map { #"<span class="vote">\#(escaped($0.reviewer)) <b>\#(verdictLabel($0.verdict))</b></span>"# }.joined(separator: " "),
             c.resolved.map(verdictLabel) ?? #"<span class="muted">unresolved</span>"#]
        }, empty: "No conflicting verdicts.") + more
    }

    private static func datasets(_ d: Dashboard) -> String {
        let policies = ResolutionPolicy.allCases.map { #"<option value="\#($0.rawValue)">\#($0.rawValue)</option>"# }.joined()
        return """
            <form id="freeze-form" class="inline">
              <label for="policy">Resolve verdicts by</label><select id="policy" name="policy">\(policies)</select>
              <button type="submit" class="primary">Freeze a dataset version</button>
              <span id="freeze-status" role="status"></span>
            </form>
            """ + table(["Version", "Hash", "Policy", "Pairs", "Train", "Held out", "Frozen"], d.datasets.map { v in
            ["\(v.id)", "<code>\(v.contentHash.prefix(12))</code>", v.policy.rawValue, "\(v.pairCount)", "\(v.trainCount)", "\(v.heldOutCount)",
             v.createdAt.formatted(date: .abbreviated, time: .shortened)]
        }, empty: "No dataset version yet.")
    }

    /// A table of already-escaped cells, or the `empty` note when there are no rows.
    private static func table(_ header: [String], _ rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return #"<p class="muted">\#(empty)</p>"# }
        let head = header.map { "<th>\(escaped($0))</th>" }.joined()
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    private static func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "—" }

    private static func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }

    /// A verdict about the candidates, numbered as the conflict list numbers them (reviewers saw
    /// them in either order, so the page's A and B would mislead here).
    private static func verdictLabel(_ verdict: Verdict) -> String {
        switch verdict {
        case .a: "1 better"
        case .b: "2 better"
        case .tie: "tie"
        case .bothBad: "both bad"
        case .skip: "skip"
        }
    }
}
