import Testing
@testable import ReviewServer

@Suite struct MarkdownTests {
    @Test func headingsGetTheAnchorsReasonTagsLinkTo() {
        #expect(Markdown.anchor("Wrong count") == "g-wrong-count")
        #expect(Markdown.anchor("  Hallucinated object!? ") == "g-hallucinated-object")
        #expect(Markdown.html("## Wrong count\nCount *every* one.") == #"<h4 id="g-wrong-count">Wrong count</h4>"# + "\n<p>Count <em>every</em> one.</p>")
    }

    @Test func blocksAndInlineMarkup() {
        let html = Markdown.html("""
            # Judging

            Prefer **true** answers; see [the spec](https://example.org/spec) or [below](#g-judging).
            Tags like wrong_count stay as written, and `<b>` is code.

            - one
            - two
              continued
            1. first

            > a note

            ```
            <raw> & code
            ```
            """)
        #expect(html == """
            <h3 id="g-judging">Judging</h3>
            <p>Prefer <strong>true</strong> answers; see <a href="https://example.org/spec" rel="noopener noreferrer" target="_blank">the spec</a> \
            or <a href="#g-judging">below</a>. Tags like wrong_count stay as written, and <code>&lt;b&gt;</code> is code.</p>
            <ul><li>one</li><li>two continued</li></ul>
            <ol><li>first</li></ol>
            <blockquote>a note</blockquote>
            <pre><code>&lt;raw&gt; &amp; code</code></pre>
            """)
    }

    @Test func noHTMLOrScriptLinkGetsThrough() {
        let html = Markdown.html(#"<script>alert(1)</script> [x](javascript:alert(1)) [y](https://a.b/"onmouseover=) <img src=x onerror=alert(1)>"#)
        #expect(!html.contains("<script") && !html.contains("<img") && !html.contains("href=\"javascript"))
        #expect(html.contains("&lt;script&gt;") && html.contains("[x](javascript:alert(1))"))
        #expect(!html.contains(#"href="https://a.b/"onmouseover"#))
    }
}
