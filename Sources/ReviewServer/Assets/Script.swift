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
          const state = { pair: null, busy: false };

          function say(text, isError = false) {
            $("status").textContent = text;
            $("status").classList.toggle("error", isError);
          }

          function showProgress(progress) {
            $("progress-bar").max = Math.max(progress.done + progress.remaining, 1);
            $("progress-bar").value = progress.done;
            $("progress-text").textContent = `${progress.done} reviewed · ${progress.remaining} to go`;
          }

          function render(pair) {
            state.pair = pair;
            document.body.dataset.pairId = pair ? pair.pairId : "";
            document.querySelectorAll("main [aria-pressed]").forEach((button) => button.setAttribute("aria-pressed", "false"));
            $("pair").hidden = !pair;
            $("empty").hidden = !!pair;
            if (!pair) return;
            $("prompt-text").textContent = pair.prompt;
            $("category").textContent = pair.category ?? "";
            $("category").hidden = !pair.category;
            $("left-text").textContent = pair.left;
            $("right-text").textContent = pair.right;
            $("images").replaceChildren(...pair.images.map((id) => {
              const image = new Image();
              image.alt = "The prompt's image";
              image.addEventListener("load", () => image.classList.toggle("small", image.naturalWidth < 256));
              image.src = `/api/images/${id}`;
              return image;
            }));
            $("images").hidden = pair.images.length === 0;
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
              const body = { pairId: state.pair.pairId, verdict, reasonTags: pressed(".chip").map((chip) => chip.dataset.tag), rubric: rubric() };
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

          document.querySelectorAll(".chip").forEach((chip) => chip.addEventListener("click", () => toggle(chip)));
          document.querySelectorAll(".score button").forEach((button) => button.addEventListener("click", () => {
            const wasOn = button.getAttribute("aria-pressed") === "true";
            button.parentElement.querySelectorAll("button").forEach((other) => other.setAttribute("aria-pressed", "false"));
            button.setAttribute("aria-pressed", wasOn ? "false" : "true");
          }));
          document.querySelectorAll("[data-verdict]").forEach((button) => button.addEventListener("click", () => submit(button.dataset.verdict)));
          $("undo").addEventListener("click", undo);
          $("images").addEventListener("click", (event) => {
            if (event.target.tagName !== "IMG") return;
            const zoomed = $("zoom").querySelector("img");
            zoomed.src = event.target.src;
            zoomed.className = event.target.className;
            $("zoom").hidden = false;
          });
          $("zoom").addEventListener("click", () => { $("zoom").hidden = true; });
          document.addEventListener("keydown", (event) => {
            if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
            if (event.key === "Escape") { $("zoom").hidden = true; return; }
            const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
            if (keys[key]) {
              event.preventDefault();
              submit(keys[key]);
            } else if (key === "u") {
              event.preventDefault();
              undo();
            } else if (tagKeys[key] && state.pair) {
              event.preventDefault();
              toggle(tagKeys[key]);
            }
          });
          act(next);
        }

        function setUpDashboard() {
          const form = $("freeze-form"), status = $("freeze-status");
          form.addEventListener("submit", async (event) => {
            event.preventDefault();
            status.className = "";
            status.textContent = "Freezing…";
            try {
              const result = await api("/api/admin/datasets", { policy: form.policy.value });
              status.textContent = result.isNew
                ? `Froze version ${result.dataset.id}: ${result.dataset.pairCount} pairs.`
                : `Nothing changed since version ${result.dataset.id}.`;
              setTimeout(() => location.reload(), 1500);
            } catch (e) {
              status.textContent = e.message;
              status.className = "error";
            }
          });
        }

        $("sign-out")?.addEventListener("click", async () => {
          await api("/api/logout", {});
          location.assign("/login");
        });
        ({ login: setUpLogin, review: setUpReview, dashboard: setUpDashboard })[document.body.dataset.page]?.();
        """#
}
