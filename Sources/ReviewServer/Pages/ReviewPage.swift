import Foundation
import Preferences

/// The review page. Its script fills it with one pair at a time from the JSON API; the rubric,
/// the reason tags and the guidelines are the workspace's.
enum ReviewPage {
    static func render(identity: Identity, vocabulary: ReviewVocabulary, guidelines: String?) -> HTML {
        let reasons = vocabulary.reasonTags.map { tag in
            let anchor = escaped(tag.guidelines ?? Markdown.anchor(tag.label))
            return #"<span class="reason"><button type="button" class="chip" data-tag="\#(escaped(tag.id))" data-key="\#(escaped(tag.key))" aria-pressed="false">\#(escaped(tag.label))<kbd>\#(escaped(tag.key.uppercased()))</kbd></button>"#
                + #"<button type="button" class="guide-link" data-guidelines="\#(anchor)" aria-controls="guidelines" aria-label="Guidelines on \#(escaped(tag.label))" title="Guidelines on \#(escaped(tag.label))">?</button></span>"#
        }.joined(separator: "\n")
        func answer(_ side: String, _ label: String, _ keys: String) -> String {
            let rubric = vocabulary.rubric.map { criterion in
                let scores = (1...5).map {
                    #"<button type="button" data-score="\#($0)" aria-pressed="false" aria-label="\#(escaped(criterion.label)) of answer \#(label): \#($0) of 5">\#($0)</button>"#
                }.joined()
                return #"<div class="score" role="group" aria-label="\#(escaped(criterion.label)) of answer \#(label)" data-side="\#(side)" data-criterion="\#(escaped(criterion.id))"><span>\#(escaped(criterion.label))</span>\#(scores)</div>"#
            }.joined()
            return """
                <article class="answer" id="answer-\(side)" aria-labelledby="\(side)-label">
                  <header><h3 class="tag side-\(side)" id="\(side)-label">Answer \(label)</h3><kbd aria-label="keys \(keys)">\(keys)</kbd></header>
                  <p class="text" id="\(side)-text"></p>
                  <ul class="boxes" id="\(side)-boxes" aria-label="Boxes of answer \(label)" hidden></ul>
                  <footer class="rubric">\(rubric)</footer>
                </article>
                """
        }
        let guide = guidelines.map(Markdown.html)
            ?? #"<p class="muted">No guidelines yet. An admin sets them with <code>vlm-align review guidelines set FILE</code>.</p>"#
        return Layout.page("review", title: "Review", identity: identity, main: """
            <main class="review">
              <h1 class="visually-hidden">Review</h1>
              <div class="progress"><progress id="progress-bar" max="1" value="0" aria-label="Your progress"></progress><span id="progress-text"></span>
                <button type="button" class="link" id="guidelines-toggle" aria-controls="guidelines" aria-expanded="false">Guidelines <kbd>?</kbd></button></div>
              <section id="pair" class="pair" aria-label="The pair to judge" hidden>
                <div class="question">
                  <div class="stage-column">
                    <div id="stage" class="stage" data-view="together" aria-label="The prompt's image with the answers' boxes"></div>
                    <div class="stage-tools" id="stage-tools">
                      <button type="button" id="view-toggle" aria-pressed="false" title="Both answers' boxes on one image, or one image per answer">Side by side <kbd>V</kbd></button>
                      <button type="button" id="zoom-open">Zoom <kbd>Z</kbd></button>
                    </div>
                    <p class="legend" id="legend" hidden><span class="swatch side-left">A</span> solid boxes · <span class="swatch side-right">B</span> dashed boxes</p>
                  </div>
                  <div class="prompt">
                    <h2>Prompt <span id="category" class="category" hidden></span></h2>
                    <p id="prompt-text"></p>
                  </div>
                </div>
                <div class="answers">
                  \(answer("left", "A", "← or 1"))
                  \(answer("right", "B", "→ or 2"))
                </div>
                <div class="reasons" role="group" aria-label="What is wrong (optional)"><span class="hint">What is wrong (optional)</span>\(reasons)</div>
                <div class="comment"><label for="comment">Comment (optional, for the admins)</label>
                  <textarea id="comment" rows="2" maxlength="\(VerdictRequest.commentLimit)" placeholder="Anything the verdict does not say"></textarea></div>
                <div class="verdicts" role="group" aria-label="Verdict">
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
            <aside id="guidelines" class="guidelines" aria-labelledby="guidelines-title" tabindex="-1" hidden>
              <header><h2 id="guidelines-title">Guidelines</h2><button type="button" id="guidelines-close" aria-label="Close the guidelines">Close <kbd>Esc</kbd></button></header>
              <div class="guidelines-text">\(guide)</div>
            </aside>
            <div id="zoom" class="zoom" role="dialog" aria-modal="true" aria-labelledby="zoom-title" hidden>
              <h2 id="zoom-title" class="visually-hidden">The image, zoomed</h2>
              <div class="zoom-tools" role="toolbar" aria-label="Zoom">
                <button type="button" id="zoom-in" aria-label="Zoom in">+</button>
                <button type="button" id="zoom-out" aria-label="Zoom out">−</button>
                <button type="button" id="zoom-reset">Fit <kbd>0</kbd></button>
                <button type="button" id="zoom-full" aria-pressed="false">Full resolution <kbd>F</kbd></button>
                <span id="zoom-level" class="zoom-level" aria-live="polite"></span>
                <button type="button" id="zoom-close">Close <kbd>Esc</kbd></button>
              </div>
              <div id="zoom-viewport" class="zoom-viewport" tabindex="0" aria-label="Zoomed image: arrow keys pan, + and − zoom, drag to pan, wheel to zoom"></div>
            </div>
            """)
    }
}
