import Foundation
import Interchange
import Preferences

/// The admin dashboard, rendered from the same `Dashboard` value the JSON API returns.
enum DashboardPage {
    static func render(_ dashboard: Dashboard, identity: Identity) -> HTML {
        Layout.page("dashboard", title: "Dashboard", identity: identity, main: """
            <main class="dashboard">
              <h1 class="visually-hidden">Dashboard</h1>
              \(summary(dashboard))
              <section class="card"><h2>Progress by round and category</h2>\(progress(dashboard))</section>
              <section class="card"><h2>Reviewers</h2>\(reviewers(dashboard))</section>
              <section class="card"><h2>Agreement</h2>\(agreement(dashboard))</section>
              <section class="card" aria-labelledby="conflicts-title"><h2 id="conflicts-title">Conflicts <span class="count">\(dashboard.conflictCount)</span></h2>\(conflicts(dashboard))</section>
              <section class="card" aria-labelledby="gold-title"><h2 id="gold-title">Gold pairs <span class="count">\(dashboard.goldPairs)</span></h2>\(gold(dashboard))</section>
              <section class="card" aria-labelledby="comments-title"><h2 id="comments-title">Comments <span class="count">\(dashboard.commentCount)</span></h2>\(comments(dashboard))</section>
              <section class="card" aria-labelledby="datasets-title"><h2 id="datasets-title">Dataset versions</h2>\(datasets(dashboard))</section>
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
        table(["Reviewer", "Role", "Verdicts", "Skips", "Last hour", "Median time", "Pairs / hour", "Agrees with \(d.policy.rawValue)",
               "Gold accuracy (95% interval)", "Last verdict"],
              d.reviewers.map { r in
                  [escaped(r.name) + (r.disabled ? #" <span class="muted">(disabled)</span>"# : ""), r.role.rawValue, "\(r.comparisons)", "\(r.skips)",
                   "\(r.lastHour)", r.medianSeconds.map { String(format: "%.1f s", $0) } ?? "—", r.perHour.map { String(format: "%.0f", $0) } ?? "—",
                   r.agreement.map(percent) ?? "—",
                   r.gold.map { #"<span class="gold" data-reviewer="\#(escaped(r.name))">\#(percent($0.accuracy)) (\#(percent($0.low))–\#(percent($0.high))) · \#($0.correct) of \#($0.answered)</span>"# } ?? "—",
                   r.lastComparisonAt.map { $0.formatted(date: .abbreviated, time: .shortened) } ?? "—"]
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
        return table(["Pair", "Prompt and answers", "Verdicts", "Resolved (\(d.policy.rawValue))", "Adjudication"], d.conflicts.map { c in
            ["\(c.pairId)",
             #"\#(escaped(c.prompt))<ol class="candidates"><li>\#(escaped(c.a))</li><li>\#(escaped(c.b))</li></ol>"#,
             c.votes.map { vote in
                 #"<span class="vote">\#(escaped(vote.reviewer)) <b>\#(verdictLabel(vote.verdict))</b></span>"#
                     + (vote.comment.map { #"<q class="comment">\#(escaped($0))</q>"# } ?? "")
             }.joined(separator: " "),
             c.resolved.map(verdictLabel) ?? #"<span class="muted">unresolved</span>"#,
             (c.adjudication.map { #"<p class="decided" data-pair="\#(c.pairId)"><b>\#(verdictLabel($0.verdict))</b> by \#(escaped($0.adjudicator)): \#(escaped($0.reason))</p>"# } ?? "")
                + adjudicationForm(c.pairId)]
        }, empty: "No conflicting verdicts.") + more
    }

    /// Decide a pair: a verdict about its candidates and a reason (`POST /api/admin/adjudications`).
    private static func adjudicationForm(_ pair: Int64) -> String {
        let options = Verdict.judgements.map { #"<option value="\#($0.rawValue)">\#(verdictLabel($0))</option>"# }.joined()
        return #"""
            <form class="adjudicate" data-pair="\#(pair)">
              <label for="decide-\#(pair)">Decision on pair \#(pair)</label><select id="decide-\#(pair)" name="verdict">\#(options)</select>
              <label for="reason-\#(pair)">Reason</label><input id="reason-\#(pair)" name="reason" required maxlength="500">
              <button type="submit">Decide</button><span class="form-status" role="status"></span>
            </form>
            """#
    }

    private static func gold(_ d: Dashboard) -> String {
        let options = Verdict.judgements.map { #"<option value="\#($0.rawValue)">\#(verdictLabel($0))</option>"# }.joined()
        return #"""
            <p class="lead">Pairs with a known verdict, mixed unmarked into every reviewer's queue; each reviewer's accuracy on them is in
            the Reviewers table. Import them with <code>vlm-align import pairs FILE --gold</code> (the chosen answer is the known verdict),
            or mark one here by its pair number and the verdict about its candidates 1 and 2 (the pair's A and B, as the conflicts
            list them).</p>
            <form id="gold-form" class="inline">
              <label for="gold-pair">Pair</label><input id="gold-pair" name="pairId" type="number" min="1" required>
              <label for="gold-verdict">Known verdict</label><select id="gold-verdict" name="verdict">\#(options)</select>
              <button type="submit">Mark as gold</button><span class="form-status" role="status"></span>
            </form>
            """#
    }

    private static func comments(_ d: Dashboard) -> String {
        let more = d.commentCount > d.comments.count ? #"<p class="muted">The latest \#(d.comments.count) of \#(d.commentCount).</p>"# : ""
        return table(["Pair", "Reviewer", "Verdict", "Comment", "When"], d.comments.map { c in
            ["\(c.pairId)", escaped(c.reviewer), verdictLabel(c.verdict), escaped(c.comment), c.at.formatted(date: .abbreviated, time: .shortened)]
        }, empty: "No comments yet.") + more
    }

    private static func datasets(_ d: Dashboard) -> String {
        let policies = ResolutionPolicy.allCases.map { #"<option value="\#($0.rawValue)">\#($0.rawValue)</option>"# }.joined()
        let below = BelowGold.allCases.map { #"<option value="\#($0.rawValue)">\#($0.rawValue)</option>"# }.joined()
        return """
            <form id="freeze-form" class="inline">
              <label for="policy">Resolve verdicts by</label><select id="policy" name="policy">\(policies)</select>
              <label for="min-gold">Minimum gold accuracy (%, optional)</label><input id="min-gold" name="minGold" type="number" min="0" max="100" step="1">
              <label for="below-gold">Below it</label><select id="below-gold" name="belowGold">\(below)</select>
              <button type="submit" class="primary">Freeze a dataset version</button>
              <span id="freeze-status" role="status"></span>
            </form>
            """ + table(["Version", "Hash", "Policy", "Pairs", "Train", "Held out", "Adjudicated", "Gold", "Gold rule", "Frozen"], d.datasets.map { v in
            ["\(v.id)", "<code>\(v.contentHash.prefix(12))</code>", v.policy.rawValue, "\(v.pairCount)", "\(v.trainCount)", "\(v.heldOutCount)",
             "\(v.adjudicatedCount)", "\(v.goldCount)",
             v.minGoldAccuracy.map { "at least \(percent($0)): \(v.belowGoldReviewers) below, \(v.belowGold == .downWeight ? "down-weighted" : "dropped")" } ?? "—",
             v.createdAt.formatted(date: .abbreviated, time: .shortened)]
        }, empty: "No dataset version yet.")
    }

    /// A table of already-escaped cells, or the `empty` note when there are no rows.
    private static func table(_ header: [String], _ rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return #"<p class="muted">\#(empty)</p>"# }
        let head = header.map { #"<th scope="col">\#(escaped($0))</th>"# }.joined()
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
