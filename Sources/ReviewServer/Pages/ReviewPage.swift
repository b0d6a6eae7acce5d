import Foundation
import Interchange

/// The review page. Its script fills it with one pair at a time from the JSON API.
enum ReviewPage {
    static func render(identity: Identity) -> HTML {
        let reasons = ReasonTag.allCases.map { tag in
            #"<button type="button" class="chip" data-tag="\#(tag.rawValue)" data-key="\#(tag.key)" aria-pressed="false">\#(tag.label)<kbd>\#(tag.key.uppercased())</kbd></button>"#
        }.joined(separator: "\n")
        func answer(_ side: String, _ label: String, _ keys: String) -> String {
            let rubric = ["accuracy", "grounding"].map { criterion in
                let scores = (1...5).map { #"<button type="button" data-score="\#($0)" aria-pressed="false">\#($0)</button>"# }.joined()
                return #"<div class="score" data-side="\#(side)" data-criterion="\#(criterion)"><span>\#(criterion.capitalized)</span>\#(scores)</div>"#
            }.joined()
            return """
                <article class="answer" id="answer-\(side)">
                  <header><span class="tag">\(label)</span><kbd>\(keys)</kbd></header>
                  <p class="text" id="\(side)-text"></p>
                  <footer class="rubric">\(rubric)</footer>
                </article>
                """
        }
        return Layout.page("review", title: "Review", identity: identity, main: """
            <div class="progress"><progress id="progress-bar" max="1" value="0" aria-label="Your progress"></progress><span id="progress-text"></span></div>
            <main class="review">
              <section id="pair" class="pair" hidden>
                <div class="question">
                  <figure id="images" class="images" title="Click to zoom"></figure>
                  <div class="prompt">
                    <h2>Prompt <span id="category" class="category" hidden></span></h2>
                    <p id="prompt-text"></p>
                  </div>
                </div>
                <div class="answers">
                  \(answer("left", "A", "← or 1"))
                  \(answer("right", "B", "→ or 2"))
                </div>
                <div class="reasons"><span class="hint">What is wrong (optional)</span>\(reasons)</div>
                <div class="verdicts">
                  <button type="button" class="verdict" data-verdict="left">A is better <kbd>←</kbd></button>
                  <button type="button" class="verdict" data-verdict="tie">Tie <kbd>T</kbd></button>
                  <button type="button" class="verdict" data-verdict="both-bad">Both bad <kbd>B</kbd></button>
                  <button type="button" class="verdict" data-verdict="right">B is better <kbd>→</kbd></button>
                  <span class="spacer"></span>
                  <button type="button" class="verdict quiet" data-verdict="skip">Skip <kbd>S</kbd></button>
                  <button type="button" class="quiet" id="undo">Undo <kbd>U</kbd></button>
                </div>
              </section>
              <section id="empty" class="empty card" hidden>
                <h2>Nothing left to review</h2>
                <p>Every pair has its verdicts, or you have seen all the rest. Press <kbd>U</kbd> to undo your last verdict.</p>
              </section>
              <p id="status" class="status" role="status" aria-live="polite"></p>
            </main>
            <div id="zoom" class="zoom" hidden><img alt="Zoomed image"></div>
            """)
    }
}
