/// The files the pages load, compiled in: nothing is fetched from anywhere else.
enum Assets {
    /// `/assets/app.js`: the behaviour of the sign-in page, the review page and the dashboard.
    static let javascript = #"""
        "use strict";

        const $ = (id) => document.getElementById(id);
        const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content;

        /** Calls the JSON API: a GET without a body, a POST with one (and the CSRF token). */
        async function api(path, body) {
          const options = { method: body === undefined ? "GET" : "POST", headers: {}, credentials: "same-origin" };
          if (body !== undefined) {
            options.headers["Content-Type"] = "application/json";
            if (csrfToken) options.headers["X-CSRF-Token"] = csrfToken;
            options.body = JSON.stringify(body);
          }
          const response = await fetch(path, options);
          if (response.status === 401 && document.body.dataset.page !== "login") {
            location.assign("/login");
            throw new Error("Signed out");
          }
          const data = response.status === 204 ? null : await response.json().catch(() => null);
          if (!response.ok) {
            const error = new Error(data?.error?.message ?? `${response.status} ${response.statusText}`);
            error.status = response.status;
            throw error;
          }
          return data;
        }

        function setUpLogin() {
          const form = $("login-form"), error = $("login-error");
          form.addEventListener("submit", async (event) => {
            event.preventDefault();
            error.hidden = true;
            try {
              const session = await api("/api/login", { token: form.token.value.trim() });
              location.assign(session.role === "admin" ? "/admin" : "/review");
            } catch (e) {
              error.textContent = e.status === 401 ? "That token is not valid, or its reviewer is disabled." : e.message;
              error.hidden = false;
            }
          });
        }

        function setUpReview() {
          const names = { left: "A is better", right: "B is better", tie: "Tie", "both-bad": "Both bad", skip: "Skipped" };
          const keys = { ArrowLeft: "left", 1: "left", ArrowRight: "right", 2: "right", t: "tie", b: "both-bad", s: "skip" };
          const tagKeys = Object.fromEntries([...document.querySelectorAll(".chip")].map((chip) => [chip.dataset.key, chip]));
          const sideNames = { left: "A", right: "B" };
          const state = { pair: null, busy: false, sideBySide: false };

          function say(text, isError = false) {
            $("status").textContent = text;
            $("status").classList.toggle("error", isError);
          }

          function showProgress(progress) {
            $("progress-bar").max = Math.max(progress.done + progress.remaining, 1);
            $("progress-bar").value = progress.done;
            $("progress-text").textContent = `${progress.done} reviewed · ${progress.remaining} to go`;
          }

          const svgNS = "http://www.w3.org/2000/svg";
          function svg(name, attributes, text) {
            const element = document.createElementNS(svgNS, name);
            for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
            if (text !== undefined) element.textContent = text;
            return element;
          }

          /** A box as drawn: its outline in the side's colour (A solid, B dashed) and a label tag inside its top-left corner. */
          function boxShape(side, index, box, size) {
            const group = svg("g", { class: `box side-${side}${box.clipped ? " clipped" : ""}` });
            const width = box.x2 - box.x1, height = box.y2 - box.y1;
            if (width <= 0 || height <= 0) return group;
            group.append(svg("rect", { class: "outline", x: box.x1, y: box.y1, width, height }));
            const unit = Math.max(size.width, size.height) / 18;
            const label = `${sideNames[side]}${index + 1}${box.clipped ? " !" : ""}`;
            const tagWidth = Math.min(width, unit * (0.62 * label.length + 0.5)), tagHeight = Math.min(height, unit * 1.15);
            group.append(svg("rect", { class: "label", x: box.x1, y: box.y1, width: tagWidth, height: tagHeight }));
            group.append(svg("text", { x: box.x1 + unit * 0.25, y: box.y1 + tagHeight * 0.8, "font-size": unit * 0.95 }, label));
            return group;
          }

          /** An image of the pair, the boxes of `sides` drawn over it (the first image only: boxes are about it). */
          function canvas(pair, index, sides, full = false) {
            const wrap = document.createElement("div");
            wrap.className = "canvas";
            const size = pair.imageSizes[index];
            const image = new Image(size.width, size.height);
            image.alt = sides.length === 2 ? "The prompt's image, with the boxes of answers A and B"
              : sides.length === 1 ? `The prompt's image, with the boxes of answer ${sideNames[sides[0]]}` : "The prompt's image";
            image.classList.toggle("small", size.width < 256);
            image.draggable = false;
            image.src = `/api/images/${pair.images[index]}` + (full ? "" : `?fit=${imageFit}`);
            wrap.append(image);
            if (sides.length) {
              const overlay = svg("svg", { viewBox: `0 0 ${size.width} ${size.height}`, preserveAspectRatio: "none", "aria-hidden": "true" });
              for (const side of sides) pair.boxes[side].forEach((box, i) => overlay.append(boxShape(side, i, box, size)));
              wrap.append(overlay);
            }
            if (sides.length === 1) {
              const caption = document.createElement("span");
              caption.className = `caption swatch side-${sides[0]}`;
              caption.textContent = `Answer ${sideNames[sides[0]]}`;
              wrap.append(caption);
            }
            return wrap;
          }
          const imageFit = 1024;

          function hasBoxes(pair) {
            return pair.images.length > 0 && (pair.boxes.left.length > 0 || pair.boxes.right.length > 0);
          }

          function showStage() {
            const pair = state.pair;
            const boxed = hasBoxes(pair);
            const first = boxed && state.sideBySide ? [canvas(pair, 0, ["left"]), canvas(pair, 0, ["right"])] : pair.images.length ? [canvas(pair, 0, boxed ? ["left", "right"] : [])] : [];
            const rest = pair.images.slice(1).map((_, i) => canvas(pair, i + 1, []));
            $("stage").replaceChildren(...first, ...rest);
            $("stage").dataset.view = boxed && state.sideBySide ? "side-by-side" : "together";
            $("stage").hidden = pair.images.length === 0;
            $("stage-tools").hidden = pair.images.length === 0;
            $("view-toggle").hidden = !boxed;
            $("legend").hidden = !boxed;
            $("view-toggle").setAttribute("aria-pressed", String(state.sideBySide));
          }

          function listBoxes(side, boxes) {
            const list = $(`${side}-boxes`);
            list.replaceChildren(...boxes.map((box, i) => {
              const item = document.createElement("li");
              const name = document.createElement("span");
              name.className = `swatch side-${side}`;
              name.textContent = `${sideNames[side]}${i + 1}`;
              const where = document.createElement("span");
              where.textContent = ` ${box.text}`;
              item.append(name, where);
              if (box.clipped) {
                const flag = document.createElement("strong");
                flag.className = "flag";
                flag.textContent = " ! leaves the image: shown clipped";
                item.append(flag);
              }
              return item;
            }));
            list.hidden = boxes.length === 0;
          }

          function render(pair) {
            state.pair = pair;
            document.body.dataset.pairId = pair ? pair.pairId : "";
            document.querySelectorAll("main [aria-pressed]:not(#view-toggle)").forEach((button) => button.setAttribute("aria-pressed", "false"));
            $("comment").value = "";
            $("pair").hidden = !pair;
            $("empty").hidden = !!pair;
            if (!pair) return;
            $("prompt-text").textContent = pair.prompt;
            $("category").textContent = pair.category ?? "";
            $("category").hidden = !pair.category;
            $("left-text").textContent = pair.left;
            $("right-text").textContent = pair.right;
            listBoxes("left", pair.images.length ? pair.boxes.left : []);
            listBoxes("right", pair.images.length ? pair.boxes.right : []);
            showStage();
          }

          async function next() {
            const data = await api("/api/pairs/next", {});
            render(data.pair);
            showProgress(data.progress);
          }

          /** One request at a time: a key held down or pressed twice submits once. */
          async function act(work) {
            if (state.busy) return;
            state.busy = true;
            document.querySelectorAll(".verdicts button").forEach((button) => { button.disabled = true; });
            try {
              await work();
            } catch (e) {
              say(e.message, true);
            } finally {
              state.busy = false;
              document.querySelectorAll(".verdicts button").forEach((button) => { button.disabled = false; });
            }
          }

          function pressed(selector) {
            return [...document.querySelectorAll(selector)].filter((button) => button.getAttribute("aria-pressed") === "true");
          }

          function rubric() {
            const scores = { left: {}, right: {} };
            for (const button of pressed(".score button")) {
              const row = button.parentElement;
              scores[row.dataset.side][row.dataset.criterion] = Number(button.dataset.score);
            }
            return scores;
          }

          function submit(verdict) {
            if (!state.pair) return;
            act(async () => {
              const comment = $("comment").value.trim();
              const body = { pairId: state.pair.pairId, verdict, reasonTags: pressed(".chip").map((chip) => chip.dataset.tag), rubric: rubric() };
              if (comment) body.comment = comment;
              const result = await api("/api/verdicts", body);
              say(`Saved: ${names[verdict]}${result.outcome === "unchanged" ? " (already saved)" : ""}. Press U to undo.`);
              await next();
            });
          }

          function undo() {
            act(async () => {
              try {
                const undone = await api("/api/verdicts/undo", {});
                say(`Undone: ${names[undone.verdict]}. That pair is back for a new verdict.`);
              } catch (e) {
                if (e.status !== 404) throw e;
                say("Nothing to undo.");
                return;
              }
              await next();
            });
          }

          function toggle(button) {
            button.setAttribute("aria-pressed", button.getAttribute("aria-pressed") === "true" ? "false" : "true");
          }

          // The guidelines: a side panel, opened by ? or a reason tag's link (at that tag's section).
          let guidelinesOpener = null;
          function showGuidelines(open, anchor) {
            const panel = $("guidelines");
            if (open && panel.hidden) guidelinesOpener = document.activeElement;
            panel.hidden = !open;
            $("guidelines-toggle").setAttribute("aria-expanded", String(open));
            if (!open) { guidelinesOpener?.focus?.(); return; }
            const section = anchor && document.getElementById(anchor);
            if (section) {
              section.scrollIntoView({ block: "start" });
              section.classList.add("target");
              setTimeout(() => section.classList.remove("target"), 1500);
            } else {
              panel.querySelector(".guidelines-text").scrollTop = 0;
            }
            panel.focus();
          }
          $("guidelines-toggle").addEventListener("click", () => showGuidelines($("guidelines").hidden));
          $("guidelines-close").addEventListener("click", () => showGuidelines(false));
          document.querySelectorAll(".guide-link").forEach((link) => link.addEventListener("click", (event) => {
            event.preventDefault();
            showGuidelines(true, link.dataset.guidelines);
          }));

          // Zoom and pan: a dialog with the first image and every box, from fit (100%) to 16×.
          const zoom = { scale: 1, x: 0, y: 0, full: false, opener: null };
          function applyZoom() {
            const content = $("zoom-viewport").firstElementChild;
            if (content) content.style.transform = `translate(${zoom.x}px, ${zoom.y}px) scale(${zoom.scale})`;
            $("zoom-level").textContent = `${Math.round(zoom.scale * 100)}%`;
            document.body.dataset.zoom = zoom.scale.toFixed(3);
          }
          function zoomBy(factor, cx, cy) {
            const viewport = $("zoom-viewport").getBoundingClientRect();
            const x = cx ?? viewport.width / 2, y = cy ?? viewport.height / 2;
            const scale = Math.min(16, Math.max(1, zoom.scale * factor));
            zoom.x = x - (x - zoom.x) * (scale / zoom.scale);
            zoom.y = y - (y - zoom.y) * (scale / zoom.scale);
            zoom.scale = scale;
            if (scale === 1) { zoom.x = 0; zoom.y = 0; }
            applyZoom();
          }
          function pan(dx, dy) {
            if (zoom.scale === 1) return;
            zoom.x += dx;
            zoom.y += dy;
            applyZoom();
          }
          function fillZoom() {
            const content = canvas(state.pair, 0, hasBoxes(state.pair) ? ["left", "right"] : [], zoom.full);
            content.classList.add("zoom-canvas");
            const viewport = $("zoom-viewport").getBoundingClientRect(), size = state.pair.imageSizes[0];
            content.style.width = `${Math.min(viewport.width, viewport.height * size.width / size.height)}px`;
            $("zoom-viewport").replaceChildren(content);
            $("zoom-full").setAttribute("aria-pressed", String(zoom.full));
            applyZoom();
          }
          function openZoom() {
            if (!state.pair || state.pair.images.length === 0) return;
            Object.assign(zoom, { scale: 1, x: 0, y: 0, full: false, opener: document.activeElement });
            $("zoom").hidden = false;
            fillZoom();
            $("zoom-viewport").focus();
          }
          function closeZoom() {
            $("zoom").hidden = true;
            $("zoom-viewport").replaceChildren();
            delete document.body.dataset.zoom;
            zoom.opener?.focus?.();
          }
          $("zoom-open").addEventListener("click", openZoom);
          $("stage").addEventListener("click", (event) => { if (event.target.closest(".canvas")) openZoom(); });
          $("zoom-in").addEventListener("click", () => zoomBy(1.5));
          $("zoom-out").addEventListener("click", () => zoomBy(1 / 1.5));
          $("zoom-reset").addEventListener("click", () => zoomBy(0));
          $("zoom-full").addEventListener("click", () => { zoom.full = !zoom.full; fillZoom(); });
          $("zoom-close").addEventListener("click", closeZoom);
          $("zoom-viewport").addEventListener("wheel", (event) => {
            event.preventDefault();
            const viewport = $("zoom-viewport").getBoundingClientRect();
            zoomBy(event.deltaY < 0 ? 1.25 : 0.8, event.clientX - viewport.left, event.clientY - viewport.top);
          }, { passive: false });
          let drag = null;
          $("zoom-viewport").addEventListener("pointerdown", (event) => {
            drag = { x: event.clientX, y: event.clientY };
            $("zoom-viewport").setPointerCapture(event.pointerId);
          });
          $("zoom-viewport").addEventListener("pointermove", (event) => {
            if (!drag) return;
            pan(event.clientX - drag.x, event.clientY - drag.y);
            drag = { x: event.clientX, y: event.clientY };
          });
          $("zoom-viewport").addEventListener("pointerup", () => { drag = null; });
          function zoomKey(event) {
            const step = 60;
            const actions = {
              Escape: closeZoom, "+": () => zoomBy(1.5), "=": () => zoomBy(1.5), "-": () => zoomBy(1 / 1.5), 0: () => zoomBy(0),
              ArrowLeft: () => pan(step, 0), ArrowRight: () => pan(-step, 0), ArrowUp: () => pan(0, step), ArrowDown: () => pan(0, -step),
              f: () => $("zoom-full").click(),
            };
            const action = actions[event.key.length === 1 ? event.key.toLowerCase() : event.key];
            if (action) {
              event.preventDefault();
              action();
            } else if (event.key === "Tab") {
              // Focus stays in the dialog.
              const focusable = [...$("zoom").querySelectorAll("button, [tabindex]")];
              const at = focusable.indexOf(document.activeElement);
              event.preventDefault();
              focusable[(at + (event.shiftKey ? -1 : 1) + focusable.length) % focusable.length].focus();
            }
          }

          document.querySelectorAll(".chip").forEach((chip) => chip.addEventListener("click", () => toggle(chip)));
          document.querySelectorAll(".score button").forEach((button) => button.addEventListener("click", () => {
            const wasOn = button.getAttribute("aria-pressed") === "true";
            button.parentElement.querySelectorAll("button").forEach((other) => other.setAttribute("aria-pressed", "false"));
            button.setAttribute("aria-pressed", wasOn ? "false" : "true");
          }));
          document.querySelectorAll("[data-verdict]").forEach((button) => button.addEventListener("click", () => submit(button.dataset.verdict)));
          $("undo").addEventListener("click", undo);
          $("view-toggle").addEventListener("click", () => {
            state.sideBySide = !state.sideBySide;
            showStage();
          });
          document.addEventListener("keydown", (event) => {
            if (event.ctrlKey || event.metaKey || event.altKey) return;
            if (!$("zoom").hidden) { zoomKey(event); return; }
            if (event.key === "Escape") {
              if (!$("guidelines").hidden) showGuidelines(false);
              else if (event.target.matches("textarea, input, select")) event.target.blur();
              return;
            }
            if (event.repeat || event.target.matches("textarea, input, select")) return;
            if (event.target.closest("a, button") && (event.key === "Enter" || event.key === " ")) return;
            const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
            if (key === "?") {
              event.preventDefault();
              showGuidelines($("guidelines").hidden);
            } else if (keys[key]) {
              event.preventDefault();
              submit(keys[key]);
            } else if (key === "u") {
              event.preventDefault();
              undo();
            } else if (key === "v" && state.pair && hasBoxes(state.pair)) {
              event.preventDefault();
              $("view-toggle").click();
            } else if (key === "z" && state.pair) {
              event.preventDefault();
              openZoom();
            } else if (tagKeys[key] && state.pair) {
              event.preventDefault();
              toggle(tagKeys[key]);
            }
          });
          act(next);
        }

        function setUpDashboard() {
          /** A form whose submission is one API call; `done` says what happened. */
          function onSubmit(form, status, call, done) {
            form.addEventListener("submit", async (event) => {
              event.preventDefault();
              status.className = "form-status";
              status.textContent = "Saving…";
              try {
                status.textContent = done(await call());
                setTimeout(() => location.reload(), 1200);
              } catch (e) {
                status.textContent = e.message;
                status.className = "form-status error";
              }
            });
          }
          const freeze = $("freeze-form");
          onSubmit(freeze, $("freeze-status"), () => {
            const body = { policy: freeze.policy.value };
            if (freeze.minGold.value !== "") {
              body.minGoldAccuracy = Number(freeze.minGold.value) / 100;
              body.belowGold = freeze.belowGold.value;
            }
            return api("/api/admin/datasets", body);
          }, (result) => result.isNew
            ? `Froze version ${result.dataset.id}: ${result.dataset.pairCount} pairs.`
            : `Nothing changed since version ${result.dataset.id}.`);
          document.querySelectorAll("form.adjudicate").forEach((form) => onSubmit(form, form.querySelector(".form-status"),
            () => api("/api/admin/adjudications", { pairId: Number(form.dataset.pair), verdict: form.verdict.value, reason: form.reason.value }),
            () => "Decided."));
          const gold = $("gold-form");
          onSubmit(gold, gold.querySelector(".form-status"),
            () => api("/api/admin/gold", { pairId: Number(gold.pairId.value), verdict: gold.verdict.value }),
            (result) => `Pair ${result.pairId} is gold.`);
        }

        $("sign-out")?.addEventListener("click", async () => {
          await api("/api/logout", {});
          location.assign("/login");
        });
        ({ login: setUpLogin, review: setUpReview, dashboard: setUpDashboard })[document.body.dataset.page]?.();
        """#
}
