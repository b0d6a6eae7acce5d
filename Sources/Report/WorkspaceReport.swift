import Foundation
import Interchange
import JSON
import Preferences

/// `vlm-align report`: one self-contained HTML page of a workspace — training curves per run, the
/// three alignment metrics per checkpoint (with intervals where stored), the lineage tree with the
/// current checkpoint marked, reviewer throughput and agreement, and example pairs with their
/// images (data URIs), both answers, verdicts and reasons. No script, no font, no request: charts
/// are inline SVG, styles inline, and it prints on A4.
public enum WorkspaceReport {
    /// The section headings, in order (a test checks each is present).
    public static let sections = ["Training curves", "Alignment metrics", "Task metrics", "Lineage", "Reviewers", "Example pairs"]
    /// How many decided and how many failed pairs of the last round are shown.
    public static let examplesEach = 4

    public static func html(_ workspace: Workspace, generated: Date = Date()) throws -> String {
        let checkpoints = try workspace.checkpoints()
        let current = try workspace.currentCheckpoint()
        var body = "<h1>vlm-align report</h1>"
        body += "<p class=\"meta\">Workspace \(HTML.escape(workspace.root.path)) · \(checkpoints.count) checkpoints · "
            + "generated \(HTML.escape(ISO8601DateFormatter().string(from: generated)))</p>"
        body += section(sections[0], try trainingCurves(checkpoints))
        body += section(sections[1], alignmentMetrics(checkpoints))
        body += section(sections[2], taskMetrics(checkpoints))
        body += section(sections[3], lineage(try workspace.lineage(), current: current?.id))
        body += section(sections[4], try reviewers(workspace))
        body += section(sections[5], try examples(workspace))
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>vlm-align report</title>
            <style>\(style)</style></head>
            <body>\(body)</body></html>

            """
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1000px}
        h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:28px}
        h3{font-size:15px;margin:16px 0 6px}.meta,.note{color:#666;font-size:13px}
        table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
        th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
        .charts{display:flex;flex-wrap:wrap;gap:8px}.ct{font-size:12px;font-weight:600}.cl{font-size:10px;fill:#444}
        ul.tree,ul.tree ul{list-style:none;padding-left:18px;border-left:1px dotted #aaa}.current{font-weight:700;color:#b00}
        .pair{border:1px solid #ddd;padding:8px;margin:8px 0;break-inside:avoid}.pair img{max-width:160px;image-rendering:pixelated;border:1px solid #ccc}
        .answers{display:flex;gap:12px}.answers div{flex:1;background:#fafafa;padding:6px;white-space:pre-wrap}
        @media print{body{margin:0}section{break-inside:avoid-page}}
        """

    static func section(_ title: String, _ content: String) -> String {
        "<section><h2>\(HTML.escape(title))</h2>\(content)</section>"
    }

    // MARK: training curves

    /// The run folder a checkpoint's training configuration names (`run_folder`), when recorded.
    static func runFolder(_ checkpoint: Checkpoint) -> URL? {
        guard let config = try? JSONValue(parsing: checkpoint.trainingConfig), let path = config["run_folder"]?.stringValue else { return nil }
        return URL(fileURLWithPath: path)
    }

    static let curveGroups: [(String, [String])] = [
        ("loss", ["loss", "eval_loss"]), ("rewards", ["rewards/chosen", "rewards/rejected"]),
        ("margins", ["rewards/margins", "eval_rewards/margins"]), ("accuracy", ["rewards/accuracies", "eval_rewards/accuracies"]),
        ("grad norm", ["grad_norm"]), ("learning rate", ["learning_rate"]),
    ]

    static func trainingCurves(_ checkpoints: [Checkpoint]) throws -> String {
        var html = ""
        for checkpoint in checkpoints where checkpoint.kind != .base {
            html += "<h3>#\(checkpoint.id!) \(HTML.escape(checkpoint.name)) (\(checkpoint.kind.rawValue))</h3>"
            guard let run = runFolder(checkpoint),
                  let text = try? String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8) else {
                html += "<p class=\"note\">No run folder with metrics.jsonl recorded; its stored metrics: "
                    + HTML.escape(checkpoint.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(number($0.value))" }.joined(separator: ", "))
                    + (checkpoint.metrics.isEmpty ? "none" : "") + ".</p>"
                continue
            }
            let rows = text.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
            var charts = ""
            for (title, keys) in curveGroups {
                let series = keys.compactMap { key -> (name: String, points: [(Double, Double)])? in
                    let points = rows.compactMap { row -> (Double, Double)? in
                        guard let step = row["step"]?.numberValue, let value = row[key]?.numberValue else { return nil }
                        return (step, value)
                    }
                    return points.isEmpty ? nil : (key, points)
                }
                if !series.isEmpty { charts += SVGChart.lines(title: title, series: series) }
            }
            html += charts.isEmpty ? "<p class=\"note\">\(HTML.escape(run.path))/metrics.jsonl has no steps.</p>"
                : "<div class=\"charts\">\(charts)</div>"
        }
        return html.isEmpty ? "<p class=\"note\">No trained checkpoints yet.</p>" : html
    }

    // MARK: alignment metrics

    static func alignmentMetrics(_ checkpoints: [Checkpoint]) -> String {
        let names = [("preference_accuracy", "preference accuracy"), ("reward_margin", "reward margin"), ("kl", "KL per token")]
        let measured = checkpoints.filter { c in names.contains { c.metrics[$0.0] != nil } }
        guard !measured.isEmpty else { return "<p class=\"note\">No checkpoint has alignment metrics yet.</p>" }
        var table = "<table><tr><th>checkpoint</th><th>kind</th><th>round</th>"
            + names.map { "<th>\($0.1) (95% interval)</th>" }.joined() + "</tr>"
        for c in measured {
            table += "<tr><td>#\(c.id!) \(HTML.escape(c.name))</td><td>\(c.kind.rawValue)</td><td>\(c.round.map(String.init) ?? "")</td>"
            for (key, _) in names {
                guard let value = c.metrics[key] else { table += "<td></td>"; continue }
                var cell = number(value)
                if let lo = c.metrics[key + "_lower"], let hi = c.metrics[key + "_upper"] { cell += " [\(number(lo)), \(number(hi))]" }
                table += "<td class=\"n\">\(cell)</td>"
            }
            table += "</tr>"
        }
        table += "</table>"
        var charts = ""
        for (key, title) in names {
            let items = measured.compactMap { c in
                c.metrics[key].map { (label: "#\(c.id!)", value: $0, lower: c.metrics[key + "_lower"], upper: c.metrics[key + "_upper"]) }
            }
            if !items.isEmpty { charts += SVGChart.intervals(title: title, items: items) }
        }
        return table + "<div class=\"charts\">\(charts)</div>"
            + "<p class=\"note\">Intervals: percentile bootstrap 95%, as <code>vlm-align eval --record</code> stores them.</p>"
    }

    // MARK: task metrics

    /// The task metrics `eval --record` stores as `CATEGORY/METRIC`, in this order.
    static let taskMetricNames = ["accuracy", "hallucination_rate", "object_hallucination_rate", "exact_match", "vqa_exact_match",
                                  "token_f1", "bleu", "chrf", "rouge_l", "bertscore_f1"]

    /// One table per metric: a row per checkpoint (with its round), a column per category.
    static func taskMetrics(_ checkpoints: [Checkpoint]) -> String {
        var html = ""
        for metric in taskMetricNames {
            let rows = checkpoints.filter { c in c.metrics.keys.contains { $0.hasSuffix("/" + metric) } }
            guard !rows.isEmpty else { continue }
            var categories: [String] = []
            for c in rows {
                for key in c.metrics.keys.sorted() where key.hasSuffix("/" + metric) {
                    let category = String(key.dropLast(metric.count + 1))
                    if !categories.contains(category) { categories.append(category) }
                }
            }
            categories.sort { ($0 == "all" ? 1 : 0, $0) < ($1 == "all" ? 1 : 0, $1) }
            html += "<h3>\(HTML.escape(metric.replacingOccurrences(of: "_", with: " ")))</h3><table><tr><th>checkpoint</th><th>round</th>"
                + categories.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr>"
            for c in rows {
                html += "<tr><td>#\(c.id!) \(HTML.escape(c.name))</td><td>\(c.round.map(String.init) ?? "")</td>"
                    + categories.map { "<td class=\"n\">\(c.metrics["\($0)/\(metric)"].map(number) ?? "")</td>" }.joined() + "</tr>"
            }
            html += "</table>"
        }
        return html.isEmpty ? "<p class=\"note\">No task metrics stored yet (<code>vlm-align eval --checkpoint ID --prompts FILE --record</code>).</p>" : html
    }

    // MARK: lineage

    static func lineage(_ roots: [LineageNode], current: Int64?) -> String {
        guard !roots.isEmpty else { return "<p class=\"note\">No checkpoints yet.</p>" }
        func item(_ node: LineageNode) -> String {
            let c = node.checkpoint
            let metrics = Checkpoint.keyMetrics.compactMap { key in c.metrics[key].map { "\(key) \(number($0))" } }.joined(separator: ", ")
            var text = "#\(c.id!) \(HTML.escape(c.name)) · \(c.kind.rawValue)"
            if let round = c.round { text += " · round \(round)" }
            if !metrics.isEmpty { text += " · " + HTML.escape(metrics) }
            let label = c.id == current ? "<span class=\"current\">★ \(text) (current)</span>" : text
            let children = node.children.isEmpty ? "" : "<ul>" + node.children.map(item).joined() + "</ul>"
            return "<li>\(label)\(children)</li>"
        }
        return "<ul class=\"tree\">" + roots.map(item).joined() + "</ul>"
    }

    // MARK: reviewers

    static func reviewers(_ workspace: Workspace) throws -> String {
        let names = Dictionary(try workspace.reviewers().map { ($0.id!, $0.name) }, uniquingKeysWith: { a, _ in a })
        let activity = try workspace.reviewerActivity(since: Date(timeIntervalSinceNow: -7 * 86_400))
        guard !activity.isEmpty else { return "<p class=\"note\">No comparisons yet.</p>" }
        let agreement = try workspace.agreement(policy: .majority)
        let rates = Dictionary(agreement.reviewers.map { ($0.reviewer, $0) }, uniquingKeysWith: { a, _ in a })
        var html = "<table><tr><th>reviewer</th><th>comparisons</th><th>skips</th><th>last 7 days</th><th>median time</th>"
            + "<th>per hour</th><th>agrees with majority</th></tr>"
        for a in activity {
            let agree = rates[a.reviewerId].flatMap { r in r.rate.map { "\(number($0)) (\(r.agreed)/\(r.compared))" } } ?? ""
            html += "<tr><td>\(HTML.escape(names[a.reviewerId] ?? "#\(a.reviewerId)"))</td><td class=\"n\">\(a.comparisons)</td>"
                + "<td class=\"n\">\(a.skips)</td><td class=\"n\">\(a.recent)</td>"
                + "<td class=\"n\">\(a.medianTimeMs.map { String(format: "%.1f s", Double($0) / 1000) } ?? "")</td>"
                + "<td class=\"n\">\(a.perHour.map { String(format: "%.0f", $0) } ?? "")</td><td class=\"n\">\(agree)</td></tr>"
        }
        html += "</table>"
        html += "<p>Krippendorff's α (nominal, all reviewers): <b>\(agreement.alpha.map(number) ?? "n/a")</b></p>"
        let kappas = agreement.kappas.filter { $0.sharedPairs > 0 }
        if !kappas.isEmpty {
            html += "<table><tr><th>reviewers</th><th>shared pairs</th><th>Cohen's κ</th></tr>"
            for k in kappas {
                html += "<tr><td>\(HTML.escape(names[k.reviewerA] ?? "#\(k.reviewerA)")) · \(HTML.escape(names[k.reviewerB] ?? "#\(k.reviewerB)"))</td>"
                    + "<td class=\"n\">\(k.sharedPairs)</td><td class=\"n\">\(k.kappa.map(number) ?? "n/a")</td></tr>"
            }
            html += "</table>"
        }
        return html
    }

    // MARK: example pairs

    static func examples(_ workspace: Workspace) throws -> String {
        let comparisons = try workspace.comparisons().filter { $0.verdict != .skip }
        guard !comparisons.isEmpty else { return "<p class=\"note\">No reviewed pairs yet.</p>" }
        let names = Dictionary(try workspace.reviewers().map { ($0.id!, $0.name) }, uniquingKeysWith: { a, _ in a })
        let byPair = Dictionary(grouping: comparisons, by: \.pairId)
        let pairs = try byPair.keys.sorted().map { try workspace.pair($0) }
        let lastRound = pairs.compactMap(\.round).max()
        let inRound = pairs.filter { $0.round == lastRound }
        func decided(_ pair: Pair) -> Bool { byPair[pair.id!]!.contains { $0.verdict == .a || $0.verdict == .b } }
        let wins = inRound.filter(decided).suffix(examplesEach), failures = inRound.filter { !decided($0) }.suffix(examplesEach)
        var html = "<p class=\"note\">" + (lastRound.map { "Round \($0)" } ?? "Pairs without a round")
            + ": the latest \(examplesEach) pairs with a winner and the latest \(examplesEach) where neither answer won (tie or both bad).</p>"
        for (title, some) in [("With a winner", Array(wins)), ("Neither won", Array(failures))] where !some.isEmpty {
            html += "<h3>\(title)</h3>"
            for pair in some { html += try example(pair, comparisons: byPair[pair.id!]!, reviewers: names, workspace: workspace) }
        }
        return html
    }

    static func example(_ pair: Pair, comparisons: [Comparison], reviewers: [Int64: String], workspace: Workspace) throws -> String {
        let prompt = try workspace.prompt(pair.promptId)
        let a = try workspace.candidate(pair.candidateA), b = try workspace.candidate(pair.candidateB)
        var html = "<div class=\"pair\"><p><b>Pair #\(pair.id!)</b>"
            + (prompt.category.map { " · \(HTML.escape($0))" } ?? "") + " · " + HTML.escape(prompt.text) + "</p>"
        for blob in try workspace.images(ofPrompt: pair.promptId) {
            guard let data = try? Data(contentsOf: workspace.blobURL(blob.sha256)) else { continue }
            let mime = blob.format == .png ? "image/png" : "image/jpeg"
            html += "<img alt=\"image \(blob.sha256.prefix(12))\" src=\"data:\(mime);base64,\(data.base64EncodedString())\">"
        }
        html += "<div class=\"answers\"><div><b>A</b>\n\(HTML.escape(a.text))</div><div><b>B</b>\n\(HTML.escape(b.text))</div></div>"
        html += "<ul>" + comparisons.map { c in
            "<li>\(HTML.escape(reviewers[c.reviewerId] ?? "#\(c.reviewerId)")): <b>\(verdictText(c.verdict))</b>" + (c.reasonTags.isEmpty ? "" : " — " + HTML.escape(c.reasonTags.joined(separator: ", ")))
                + "</li>"
        }.joined() + "</ul></div>"
        return html
    }

    static func verdictText(_ verdict: Verdict) -> String {
        switch verdict {
        case .a: "A is better"
        case .b: "B is better"
        case .tie: "tie"
        case .bothBad: "both bad"
        case .skip: "skipped"
        }
    }

    static func number(_ v: Double) -> String {
        abs(v) >= 100 ? String(format: "%.1f", v) : String(format: "%.4g", v)
    }
}

extension JSONValue {
    var numberValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
}
