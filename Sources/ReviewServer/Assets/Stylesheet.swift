extension Assets {
    /// `/assets/app.css`: every page's styles.
    static let css = #"""
        :root {
          --ink: #1d2433; --muted: #667085; --line: #e2e6ee; --paper: #ffffff; --ground: #f4f6fa;
          --accent: #3b5bdb; --accent-soft: #e8edff; --good: #2b8a3e; --bad: #c92a2a; --warn: #e67700;
          /* the answers' colours on the image: blue and orange, told apart by colour-blind eyes too (and by line and label) */
          --side-a: #1864ab; --side-b: #c2410c;
          font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink);
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--ground); }
        [hidden] { display: none !important; }
        h1, h2 { line-height: 1.2; margin: 0 0 .75rem; }
        h2 { font-size: 1.05rem; }
        code { font: .85em ui-monospace, "SFMono-Regular", Menlo, monospace; background: var(--ground); padding: .1em .3em; border-radius: 4px; }
        kbd { display: inline-block; min-width: 1.5em; padding: 0 .35em; margin-left: .45em; border: 1px solid #c5cbd8; border-bottom-width: 2px;
              border-radius: 4px; background: #fff; color: var(--muted); font: 600 .72rem/1.5 ui-monospace, Menlo, monospace; text-align: center; }
        button { font: inherit; cursor: pointer; border-radius: 8px; border: 1px solid var(--line); background: var(--paper); color: var(--ink);
                 padding: .55rem 1rem; transition: background .1s, border-color .1s; }
        button:hover { border-color: #b8c0d0; }
        :is(a, button, input, select, textarea, [tabindex]):focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        .visually-hidden { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
                           clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
        button:disabled { opacity: .5; cursor: progress; }
        button.primary { background: var(--accent); border-color: var(--accent); color: #fff; font-weight: 600; }
        button.link { border: 0; background: none; color: var(--accent); padding: 0; }
        .card { background: var(--paper); border: 1px solid var(--line); border-radius: 12px; padding: 1.25rem 1.5rem; }
        .muted { color: var(--muted); }
        .error { color: var(--bad); }
        progress { appearance: none; -webkit-appearance: none; height: .5rem; border: 0; border-radius: 999px; background: var(--line); overflow: hidden; }
        progress::-webkit-progress-bar { background: var(--line); border-radius: 999px; }
        progress::-webkit-progress-value { background: var(--good); border-radius: 999px; }
        progress::-moz-progress-bar { background: var(--good); border-radius: 999px; }

        /* top bar */
        .topbar { display: flex; align-items: center; gap: 2rem; padding: .7rem 1.5rem; background: var(--paper); border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; color: var(--ink); text-decoration: none; }
        .brand span, h1 span { color: var(--accent); font-weight: 500; }
        .topbar nav { display: flex; gap: 1.25rem; }
        .topbar nav a { color: var(--muted); text-decoration: none; padding: .2rem 0; }
        .topbar nav a[aria-current] { color: var(--ink); border-bottom: 2px solid var(--accent); }
        .who { margin-left: auto; display: flex; gap: 1rem; color: var(--muted); }

        /* sign-in */
        .login { min-height: 100vh; display: grid; place-items: center; }
        .login form { width: min(26rem, 92vw); display: grid; gap: .6rem; }
        .login label { font-weight: 600; font-size: .9rem; }
        .login input { font: 1rem ui-monospace, Menlo, monospace; padding: .6rem .75rem; border: 1px solid var(--line); border-radius: 8px; }

        /* review page */
        .progress { display: flex; align-items: center; gap: 1rem; margin: 0 0 1rem; color: var(--muted); font-size: .9rem; }
        .progress progress { flex: 1; }
        .review { max-width: 78rem; margin: 0 auto; padding: 1rem 1.5rem 2rem; }
        .pair { display: grid; gap: 1rem; }
        .question { display: grid; grid-template-columns: minmax(14rem, 24rem) 1fr; gap: 1.5rem; align-items: start;
                    background: var(--paper); border: 1px solid var(--line); border-radius: 12px; padding: 1.25rem; }
        .stage { display: grid; gap: .5rem; cursor: zoom-in; }
        .stage[data-view="side-by-side"] { grid-template-columns: 1fr 1fr; }
        .canvas { position: relative; line-height: 0; }
        .canvas img { width: 100%; height: auto; border-radius: 8px; border: 1px solid var(--line); background: var(--ground); }
        .canvas img.small { image-rendering: pixelated; }
        .canvas svg { position: absolute; inset: 0; width: 100%; height: 100%; overflow: visible; pointer-events: none; }
        .canvas .caption { position: absolute; left: .3rem; bottom: .3rem; line-height: 1.4; }
        .box .outline { fill: none; stroke-width: 3px; vector-effect: non-scaling-stroke; }
        .box.side-left .outline { stroke: var(--side-a); }
        .box.side-right .outline { stroke: var(--side-b); stroke-dasharray: 9 5; }
        .box.side-left .label { fill: var(--side-a); }
        .box.side-right .label { fill: var(--side-b); }
        .box text { fill: #fff; font-weight: 700; font-family: system-ui, sans-serif; }
        .stage-tools { display: flex; gap: .5rem; margin-top: .5rem; flex-wrap: wrap; }
        .stage-tools button { padding: .3rem .7rem; font-size: .85rem; }
        .stage-tools button[aria-pressed="true"] { background: var(--accent-soft); border-color: var(--accent); }
        .legend { font-size: .85rem; color: var(--muted); margin: .4rem 0 0; }
        .swatch { display: inline-block; padding: 0 .4rem; border-radius: 4px; color: #fff; font-weight: 700; font-size: .85rem; }
        .swatch.side-left { background: var(--side-a); }
        .swatch.side-right { background: var(--side-b); }
        .boxes { list-style: none; padding: 0; margin: 0 0 .75rem; font: .85rem/1.6 ui-monospace, Menlo, monospace; }
        .boxes .flag { color: var(--bad); font-family: system-ui, sans-serif; }
        .prompt h2 { color: var(--muted); font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; }
        .prompt p { font-size: 1.35rem; line-height: 1.45; margin: 0; white-space: pre-wrap; }
        .category { margin-left: .5rem; padding: .1rem .5rem; border-radius: 999px; background: var(--accent-soft); color: var(--accent);
                    text-transform: none; letter-spacing: 0; }
        .answers { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
        .answer { background: var(--paper); border: 2px solid var(--line); border-radius: 12px; padding: 1rem 1.25rem; display: flex; flex-direction: column; }
        .answer header { display: flex; align-items: center; justify-content: space-between; }
        .answer .tag { font-weight: 800; font-size: 1.1rem; margin: 0; }
        .answer .tag.side-left { color: var(--side-a); }
        .answer .tag.side-right { color: var(--side-b); }
        .answer .text { font-size: 1.2rem; line-height: 1.55; margin: .5rem 0 1rem; white-space: pre-wrap; flex: 1; }
        .answer.chosen { border-color: var(--good); background: #f3fbf4; }
        .rubric { display: grid; gap: .35rem; border-top: 1px dashed var(--line); padding-top: .6rem; }
        .score { display: flex; align-items: center; gap: .3rem; font-size: .85rem; color: var(--muted); }
        .score span { width: 6rem; }
        .score button { padding: .1rem .55rem; border-radius: 6px; font-size: .85rem; }
        .score button[aria-pressed="true"], .chip[aria-pressed="true"] { background: var(--accent); border-color: var(--accent); color: #fff; }
        .chip[aria-pressed="true"]::before, .score button[aria-pressed="true"]::before { content: "✓ "; }
        .chip[aria-pressed="true"] kbd { background: transparent; color: #fff; border-color: rgba(255,255,255,.6); }
        .reasons { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
        .hint { color: var(--muted); font-size: .9rem; margin-right: .25rem; }
        .chip { border-radius: 999px; padding: .3rem .8rem; font-size: .9rem; }
        .reason { display: inline-flex; align-items: center; gap: .15rem; }
        .guide-link { display: inline-grid; place-items: center; width: 1.5rem; height: 1.5rem; padding: 0; border-radius: 50%;
                      color: var(--accent); font-size: .8rem; font-weight: 700; }
        .comment { display: grid; gap: .3rem; }
        .comment label { font-size: .9rem; color: var(--muted); }
        .comment textarea { font: inherit; padding: .5rem .7rem; border: 1px solid var(--line); border-radius: 8px; resize: vertical; }
        .guidelines { position: fixed; top: 0; right: 0; bottom: 0; width: min(30rem, 92vw); background: var(--paper); border-left: 1px solid var(--line);
                      box-shadow: -8px 0 24px rgba(15, 20, 30, .12); display: flex; flex-direction: column; z-index: 5; }
        .guidelines header { display: flex; align-items: center; justify-content: space-between; padding: 1rem 1.25rem; border-bottom: 1px solid var(--line); }
        .guidelines header h2 { margin: 0; }
        .guidelines-text { overflow-y: auto; padding: 0 1.25rem 2rem; }
        .guidelines-text .target { background: var(--accent-soft); }
        .guidelines-text h3, .guidelines-text h4 { margin: 1.25rem 0 .5rem; scroll-margin-top: 1rem; }
        .progress .link { margin-left: auto; }
        .verdicts { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; padding-top: .25rem; }
        .verdict { font-weight: 600; padding: .75rem 1.25rem; }
        .verdict[data-verdict="left"], .verdict[data-verdict="right"] { background: var(--accent); border-color: var(--accent); color: #fff; }
        .verdict[data-verdict="left"] kbd, .verdict[data-verdict="right"] kbd { background: transparent; color: #fff; border-color: rgba(255,255,255,.6); }
        .verdict[data-verdict="both-bad"] { color: var(--bad); }
        .quiet { color: var(--muted); }
        .spacer { flex: 1; }
        .status { min-height: 1.5em; color: var(--muted); margin: .75rem 0 0; }
        .empty { text-align: center; padding: 3rem; }
        .zoom { position: fixed; inset: 0; background: rgba(15, 20, 30, .92); display: flex; flex-direction: column; z-index: 10; }
        .zoom-tools { display: flex; gap: .5rem; align-items: center; padding: .75rem 1rem; }
        .zoom-tools button { padding: .3rem .8rem; }
        .zoom-tools button[aria-pressed="true"] { background: var(--accent-soft); border-color: var(--accent); }
        .zoom-level { color: #fff; min-width: 4rem; }
        .zoom-tools #zoom-close { margin-left: auto; }
        .zoom-viewport { flex: 1; overflow: hidden; position: relative; cursor: grab; touch-action: none; }
        .zoom-canvas { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
        .zoom-canvas img { border: 0; border-radius: 0; background: #fff; }

        /* dashboard */
        .dashboard { max-width: 78rem; margin: 0 auto; padding: 1.5rem; display: grid; gap: 1.25rem; }
        .figures { display: grid; grid-template-columns: repeat(5, 1fr); gap: 1rem; }
        .figure { background: var(--paper); border: 1px solid var(--line); border-radius: 12px; padding: .9rem 1.1rem; display: grid; }
        .figure span { color: var(--muted); font-size: .85rem; }
        .figure strong { font-size: 1.6rem; }
        table { width: 100%; border-collapse: collapse; font-size: .92rem; }
        th { text-align: left; color: var(--muted); font-weight: 600; font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; }
        th, td { padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        td progress { width: 8rem; }
        .count { margin-left: .4rem; padding: .05rem .5rem; border-radius: 999px; background: var(--ground); color: var(--muted); font-size: .85rem; }
        .vote { white-space: nowrap; margin-right: .6rem; }
        q.comment { display: block; color: var(--muted); font-style: italic; margin: .15rem 0 .35rem; }
        .adjudicate { display: grid; grid-template-columns: auto 1fr; gap: .3rem .5rem; align-items: center; font-size: .85rem; }
        .adjudicate input, input[type="number"] { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 6px; }
        .adjudicate button { grid-column: 2; justify-self: start; padding: .3rem .8rem; }
        .adjudicate .form-status { grid-column: 1 / -1; }
        .decided { margin: 0 0 .5rem; }
        .inline { flex-wrap: wrap; }
        .candidates { margin: .3rem 0 0; padding-left: 1.4rem; color: var(--muted); }
        .lead { margin-top: 0; }
        .inline { display: flex; gap: .75rem; align-items: center; margin-bottom: 1rem; }
        select { font: inherit; padding: .45rem .6rem; border-radius: 8px; border: 1px solid var(--line); background: var(--paper); }

        @media (max-width: 52rem) {
          .question, .answers { grid-template-columns: 1fr; }
          .figures { grid-template-columns: repeat(2, 1fr); }
        }
        """#
}
