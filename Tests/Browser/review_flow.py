#!/usr/bin/env python3
"""The review app in a real browser: headless Chromium, driven by Selenium.

Starts `vlm-align review serve` on a fresh workspace holding a small ShapesWorld's pairs (four of
them gold, mixed in at half of each reviewer's pairs), guidelines and a rubric of three
dimensions; signs in as a reviewer; checks the first pair, a grounding pair, has each answer's
boxes drawn in its colour inside each box (one box leaving the image, flagged), side by side too;
zooms and pans by keyboard; opens the guidelines from `?` and from a reason tag; reviews five pairs
with the keyboard (one with a comment and a score), undoes the last verdict, checks the store
after each step; runs axe-core (zero serious or critical violations) on both pages; has a
scripted reviewer answer gold pairs right and wrong through the API; signs in as an admin, finds
that reviewer's gold accuracy on the dashboard, adjudicates a conflict, freezes a dataset version
(the adjudication recorded in it), and saves screenshots.

    python3 Tests/Browser/review_flow.py --cli .build/debug/vlm-align --out .build-test-output/browser
"""
import argparse
import base64
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import math
import struct
import urllib.request
import zlib
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait


def run(cli, *args):
    """Runs the CLI and returns its standard output; fails loudly with its errors."""
    result = subprocess.run([cli, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"vlm-align {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def add_reviewer(cli, workspace, name, admin=False):
    output = run(cli, "reviewers", "add", name, *(["--admin"] if admin else []), "--workspace", workspace)
    return output.strip().splitlines()[-1]


def start_server(cli, workspace, log):
    """`vlm-align review serve` on a free port, its log in `log`; returns the process and its base URL."""
    server = subprocess.Popen([cli, "review", "serve", "--workspace", workspace, "--port", "0", "--overlap", "2", "--gold-rate", "0.5"],
                              stdout=subprocess.PIPE, stderr=log, text=True)
    line = server.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        server.kill()
        sys.exit(f"the server did not start: {line}{server.stdout.read()}; see {log.name}")
    return server, f"http://127.0.0.1:{match.group(1)}"


class Store:
    """Reads the workspace database as the server writes it."""

    def __init__(self, workspace):
        self.path = os.path.join(workspace, "workspace.sqlite")

    def rows(self, sql, *args):
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql, args)]

    def comparisons(self, reviewer):
        return self.rows("""SELECT c.* FROM comparison c JOIN reviewer r ON r.id = c.reviewerId
                            WHERE r.name = ? ORDER BY c.id""", reviewer)


def expected_verdict(shown, left_shown):
    """What the store records for a verdict about the answers as shown."""
    if shown == "left":
        return left_shown
    if shown == "right":
        return "b" if left_shown == "a" else "a"
    return shown


class ReviewPage:
    def __init__(self, driver):
        self.driver = driver
        self.wait = WebDriverWait(driver, 15)

    def pair_id(self):
        return self.driver.find_element(By.TAG_NAME, "body").get_attribute("data-pair-id") or ""

    def wait_for_pair(self, other_than=None):
        self.wait.until(lambda _: self.pair_id() not in ("", other_than) and not self.busy())
        return int(self.pair_id())

    def busy(self):
        return self.driver.find_element(By.CSS_SELECTOR, ".verdict").get_attribute("disabled") is not None

    def press(self, key):
        self.driver.find_element(By.TAG_NAME, "body").send_keys(key)

    def status(self):
        return self.driver.find_element(By.ID, "status").text


# The answers' colours on the image (the stylesheet's --side-a and --side-b).
SIDE_COLOURS = {"left": (0x18, 0x64, 0xAB), "right": (0xC2, 0x41, 0x0C)}


def decode_png(data):
    """An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) as (width, height, rows of (r, g, b))."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, header = 8, b"", None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def colour_pixels(rows, box, colour, tolerance=8):
    """How many pixels inside `box` (left, top, right, bottom in screenshot pixels) are `colour`."""
    left, top, right, bottom = (int(round(v)) for v in box)
    return sum(1 for y in range(max(top, 0), min(bottom, len(rows))) for x in range(max(left, 0), min(right, len(rows[0])))
               if all(abs(a - b) <= tolerance for a, b in zip(rows[y][x], colour)))


def wilson(correct, answered, z=1.959964):
    """The 95% Wilson score interval, as the dashboard computes it."""
    p = correct / answered
    centre = (p + z * z / (2 * answered)) / (1 + z * z / answered)
    half = z / (1 + z * z / answered) * math.sqrt(p * (1 - p) / answered + z * z / (4 * answered * answered))
    return max(0, centre - half), min(1, centre + half)


def check_accessibility(driver, axe_script, page):
    """axe-core on the page as it is: no serious or critical violation; and the focused control shows its focus."""
    driver.execute_script(axe_script)
    results = driver.execute_async_script("const done = arguments[arguments.length - 1]; axe.run().then(done, (e) => done({error: String(e)}));")
    assert "error" not in results, results
    bad = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe-core on the {page}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in bad)
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    outline = driver.execute_script("const e = document.activeElement; const s = getComputedStyle(e); return [e.tagName, s.outlineStyle, s.outlineWidth];")
    assert outline[0] != "BODY" and outline[1] != "none" and outline[2] != "0px", f"the focused control on the {page} shows no focus: {outline}"
    minor = ", ".join(f"{v['id']} ({v['impact']})" for v in results["violations"])
    print(f"axe-core on the {page}: {len(results['violations'])} violations{f' ({minor})' if minor else ''}, none serious or critical "
          f"({len(results['passes'])} rules passed); focus on <{outline[0].lower()}> shows a {outline[1]} outline")


def screenshot(driver, path):
    """The whole page, however long (Chromium's DevTools capture beyond the viewport)."""
    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    Path(path).write_bytes(base64.b64decode(shot["data"]))
    print(f"screenshot: {path}")


def api(base, token, path, body=None):
    """The JSON API with a bearer token, as a script or another tool would call it."""
    request = urllib.request.Request(base + path, method="POST" if body is not None else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", default=".build/debug/vlm-align")
    parser.add_argument("--out", default=".build-test-output/browser")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    parser.add_argument("--axe", default=None, help="axe.min.js (default: the one axe-selenium-python ships)")
    options = parser.parse_args()
    if options.axe is None:
        import axe_selenium_python
        options.axe = os.path.join(os.path.dirname(axe_selenium_python.__file__), "node_modules", "axe-core", "axe.min.js")
    axe_script = Path(options.axe).read_text()
    cli = os.path.abspath(options.cli)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="vlm-align-browser-") as scratch:
        world, workspace = os.path.join(scratch, "world"), os.path.join(scratch, "ws")
        run(cli, "shapes", "generate", "--out", world, "--seed", "11", "--size", "128", "--train-scenes", "6",
            "--eval-scenes", "1", "--pool-scenes", "0", "--rounds", "0")
        run(cli, "init", workspace)
        # A grounding pair first (the first pair ana sees): a box in pixels, and Qwen's box syntax in
        # 0–1000 coordinates reaching past the image's right edge (x 55–141 of 128 pixels).
        grounding = os.path.join(world, "pairs", "grounding.jsonl")
        Path(grounding).write_text(json.dumps({
            "images": ["../images/scene-00000.png"], "prompt": "Give the bounding box of the star.",
            "chosen": "The star is at [33, 80, 75, 120].",
            "rejected": "The star: <|box_start|>(430,180),(1100,470)<|box_end|>"}) + "\n")
        # the world's files name ../images/…: the world's folder is the images' root
        for file in [grounding, os.path.join(world, "pairs", "synthetic.jsonl")]:
            print(run(cli, "import", "pairs", file, "--unreviewed", "--image-root", world, "--workspace", workspace).strip())
        # Four of the world's pairs are gold: the chosen answer is the known verdict.
        lines = Path(world, "pairs", "synthetic.jsonl").read_text().splitlines()
        Path(world, "pairs", "gold.jsonl").write_text("\n".join(lines[-4:]) + "\n")
        print(run(cli, "import", "pairs", os.path.join(world, "pairs", "gold.jsonl"), "--gold", "--image-root", world,
                  "--workspace", workspace).strip())
        Path(scratch, "guidelines.md").write_text(
            "# How to judge\n\nPrefer the answer that is **true of the image**.\n\n"
            "## Hallucinated object\n\nAn answer names an object the image *does not* have.\n\n"
            "## Wrong count\n\n- Count every instance.\n- Partly hidden ones count.\n")
        run(cli, "review", "guidelines", "set", os.path.join(scratch, "guidelines.md"), "--workspace", workspace)
        Path(scratch, "vocabulary.json").write_text(json.dumps({"rubric": [
            {"id": "accuracy", "label": "Accuracy"}, {"id": "grounding", "label": "Grounding"}, {"id": "fluency", "label": "Fluency"}]}))
        run(cli, "review", "vocabulary", "set", os.path.join(scratch, "vocabulary.json"), "--workspace", workspace)
        tokens = {name: add_reviewer(cli, workspace, name, admin=name == "root") for name in ["ana", "bo", "cy", "root"]}
        store = Store(workspace)

        server_log = open(out / "server.log", "w")
        server, base = start_server(cli, workspace, server_log)
        chrome = webdriver.ChromeOptions()
        chrome.binary_location = options.chromium
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
                         "--force-device-scale-factor=1"]:
            chrome.add_argument(argument)
        driver = webdriver.Chrome(service=Service(options.chromedriver), options=chrome)
        try:
            # Sign in as a reviewer with the token `reviewers add` printed.
            driver.get(base + "/review")
            WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/login"))
            driver.find_element(By.ID, "token").send_keys(tokens["ana"] + Keys.ENTER)
            WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/review"))
            page = ReviewPage(driver)

            # The grounding pair: each answer's boxes drawn in its colour, inside each box.
            first = page.wait_for_pair()
            assert store.rows("SELECT count(*) AS n FROM pair WHERE id = ? AND reason = 'imported'", first)[0]["n"] == 1
            WebDriverWait(driver, 15).until(lambda d: d.execute_script(
                "const i = document.querySelector('#stage img'); return i && i.complete && i.naturalWidth > 0"))
            boxes = driver.execute_script("""
                const image = document.querySelector('#stage img'), r = image.getBoundingClientRect();
                const shapes = [...document.querySelectorAll('#stage .box .outline')].map((o) => {
                  const b = o.getBoundingClientRect();
                  return {side: o.parentElement.classList.contains('side-left') ? 'left' : 'right', box: [b.left, b.top, b.right, b.bottom]};
                });
                return {image: [r.left, r.top, r.right, r.bottom], shapes, ratio: window.devicePixelRatio};""")
            assert sorted(shape["side"] for shape in boxes["shapes"]) == ["left", "right"], boxes
            _, _, rows = decode_png(driver.get_screenshot_as_png())
            for shape in boxes["shapes"]:
                inside = [v * boxes["ratio"] for v in shape["box"]]
                own = colour_pixels(rows, inside, SIDE_COLOURS[shape["side"]])
                assert own >= 40, f"{shape['side']} box {inside}: only {own} pixels of its colour inside it"
                print(f"answer {'A' if shape['side'] == 'left' else 'B'}'s box at {[round(v) for v in inside]}: "
                      f"{own} pixels of {'#%02x%02x%02x' % SIDE_COLOURS[shape['side']]} inside it")
            flagged = [item.text for item in driver.find_elements(By.CSS_SELECTOR, ".boxes li") if "leaves the image" in item.text]
            assert len(flagged) == 1 and "box_start" in flagged[0], flagged
            image_right = boxes["image"][2]
            clipped = [s for s in boxes["shapes"] if s["box"][2] > image_right - 3]
            assert len(clipped) == 1 and clipped[0]["box"][2] <= image_right + 2, (boxes, "the box leaving the image is drawn clipped to it")
            screenshot(driver, out / "review-boxes.png")
            page.press("v")
            WebDriverWait(driver, 5).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#stage .canvas")) == 2)
            for canvas, side in zip(driver.find_elements(By.CSS_SELECTOR, "#stage .canvas"), ["left", "right"]):
                assert len(canvas.find_elements(By.CSS_SELECTOR, f".box.side-{side}")) == 1 and \
                    not canvas.find_elements(By.CSS_SELECTOR, f".box:not(.side-{side})"), side
            screenshot(driver, out / "review-boxes-side-by-side.png")
            page.press("v")
            WebDriverWait(driver, 5).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#stage .canvas")) == 1)
            print("grounding pair: both answers' boxes drawn in their colours; side by side and back with V")

            # Zoom and pan by keyboard: Z opens, + zooms, arrows pan, 0 fits, F loads full resolution, Esc closes.
            page.press("z")
            WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "zoom").is_displayed())
            zoomed = lambda: float(driver.find_element(By.TAG_NAME, "body").get_attribute("data-zoom") or "0")
            active = lambda: driver.switch_to.active_element
            active().send_keys("+")
            active().send_keys("+")
            WebDriverWait(driver, 5).until(lambda _: abs(zoomed() - 2.25) < 1e-3)
            before = driver.find_element(By.CSS_SELECTOR, ".zoom-canvas").get_attribute("style")
            active().send_keys(Keys.ARROW_LEFT)
            assert driver.find_element(By.CSS_SELECTOR, ".zoom-canvas").get_attribute("style") != before, "the arrow key did not pan"
            driver.find_element(By.ID, "zoom-in").click()
            WebDriverWait(driver, 5).until(lambda _: abs(zoomed() - 3.375) < 1e-3)
            active().send_keys("f")
            WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "zoom-full").get_attribute("aria-pressed") == "true"
                                           and "?fit=" not in d.find_element(By.CSS_SELECTOR, ".zoom-canvas img").get_attribute("src"))
            assert driver.find_element(By.CSS_SELECTOR, ".zoom-canvas .box") is not None
            screenshot(driver, out / "review-zoom.png")
            active().send_keys("0")
            WebDriverWait(driver, 5).until(lambda _: abs(zoomed() - 1) < 1e-3)
            active().send_keys(Keys.ESCAPE)
            WebDriverWait(driver, 5).until(lambda d: not d.find_element(By.ID, "zoom").is_displayed())
            print("zoomed to 337% by keyboard and button, panned, full resolution, fitted, closed")

            # The guidelines: ? opens the panel; a reason tag's link opens it at the tag's section.
            page.press("?")
            WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "guidelines").is_displayed())
            assert "true of the image" in driver.find_element(By.ID, "guidelines").text
            assert driver.find_element(By.CSS_SELECTOR, "#guidelines strong").text == "true of the image"
            check_accessibility(driver, axe_script, "review page with the guidelines open")
            driver.switch_to.active_element.send_keys(Keys.ESCAPE)
            WebDriverWait(driver, 5).until(lambda d: not d.find_element(By.ID, "guidelines").is_displayed())
            driver.find_element(By.CSS_SELECTOR, '.chip[data-tag="wrong_count"] + .guide-link').click()
            WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "g-wrong-count").is_displayed())
            assert driver.find_element(By.ID, "g-wrong-count").text == "Wrong count"
            driver.find_element(By.ID, "guidelines-close").click()
            WebDriverWait(driver, 5).until(lambda d: not d.find_element(By.ID, "guidelines").is_displayed())
            print("guidelines: opened with ? and from the Wrong count tag at its section")
            check_accessibility(driver, axe_script, "review page")

            # Five pairs by keyboard alone: ←, 2, T, H then B (a reason tag, then both bad), 1.
            steps = [(Keys.ARROW_LEFT, [], "left"), ("2", [], "right"), ("t", [], "tie"), ("b", ["h"], "both-bad"), ("1", ["c"], "left")]
            reviewed = []
            current = page.wait_for_pair()
            comment = "The star's box in B runs off the image."
            for number, (key, tags, shown) in enumerate(steps, 1):
                if number == 1:
                    # A comment and a score of the workspace's own rubric dimension; Escape leaves the
                    # comment box so the keys judge again.
                    driver.find_element(By.CSS_SELECTOR, '.score[data-side="right"][data-criterion="fluency"] button[data-score="3"]').click()
                    driver.find_element(By.ID, "comment").send_keys(comment + "tb")
                    driver.find_element(By.ID, "comment").send_keys(Keys.BACKSPACE * 2, Keys.ESCAPE)
                for tag in tags:
                    page.press(tag)
                page.press(key)
                reviewed.append((current, shown, tags))
                if number < len(steps):
                    current = page.wait_for_pair(other_than=str(current))
                else:
                    WebDriverWait(driver, 15).until(lambda _: page.status().startswith("Saved") and not page.busy())
            stored = store.comparisons("ana")
            assert [row["pairId"] for row in stored] == [pair for pair, _, _ in reviewed], stored
            tag_names = {"h": "hallucinated_object", "c": "wrong_count"}
            for row, (pair, shown, tags) in zip(stored, reviewed):
                assert row["verdict"] == expected_verdict(shown, row["leftShown"]), (row, shown)
                assert json.loads(row["reasonTags"]) == [tag_names[t] for t in tags], row
                assert row["timeSpentMs"] is not None and row["timeSpentMs"] >= 0, row
            assert stored[0]["comment"] == comment and all(row["comment"] is None for row in stored[1:]), stored
            right_side = "b" if stored[0]["leftShown"] == "a" else "a"
            assert json.loads(stored[0]["rubric"]) == {f"{right_side}.fluency": 3}, stored[0]
            print(f"reviewed {len(stored)} pairs by keyboard: " + ", ".join(f"pair {p} {s}" for p, s, _ in reviewed))

            # U undoes the last verdict: the pair comes back, shown as before, and its verdict is gone.
            last_pair = reviewed[-1][0]
            page.press("u")
            WebDriverWait(driver, 15).until(lambda _: page.status().startswith("Undone") and page.pair_id() == str(last_pair))
            assert [row["pairId"] for row in store.comparisons("ana")] == [pair for pair, _, _ in reviewed[:-1]]
            held = store.rows("SELECT a.* FROM assignment a JOIN reviewer r ON r.id = a.reviewerId WHERE r.name = 'ana'")
            assert last_pair in [row["pairId"] for row in held], held
            print(f"undid the verdict on pair {last_pair}; the store holds {len(store.comparisons('ana'))} verdicts of ana")

            # Zoom the image with a click, then mark a reason and a score to show them in the screenshot.
            driver.find_element(By.CSS_SELECTOR, "#stage img").click()
            WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "zoom").is_displayed())
            page.press(Keys.ESCAPE)
            WebDriverWait(driver, 5).until(lambda d: not d.find_element(By.ID, "zoom").is_displayed())
            page.press("c")
            driver.find_element(By.CSS_SELECTOR, '.score[data-side="left"][data-criterion="accuracy"] button[data-score="4"]').click()
            driver.find_element(By.CSS_SELECTOR, '.score[data-side="right"][data-criterion="accuracy"] button[data-score="2"]').click()
            screenshot(driver, out / "review-page.png")

            # A second reviewer works through the JSON API with their token.
            bo_verdicts = ["left", "left", "right", "tie", "left", "both-bad", "right", "left"]
            for verdict in bo_verdicts:
                pair = api(base, tokens["bo"], "/api/pairs/next", {})["pair"]
                if pair is None:
                    break
                time.sleep(0.5)  # reading time, so the dashboard's timings look like a person's
                api(base, tokens["bo"], "/api/verdicts", {"pairId": pair["pairId"], "verdict": verdict})

            # A scripted reviewer answers every gold pair handed to them: the first two right, the rest wrong.
            gold = {row["pairId"]: row["verdict"] for row in store.rows("SELECT * FROM goldPair")}
            assert len(gold) == 4, gold
            answers = []
            for _ in range(12):
                pair = api(base, tokens["cy"], "/api/pairs/next", {})["pair"]
                if pair is None:
                    break
                assert set(pair) >= {"pairId", "prompt", "images", "imageSizes", "left", "right", "boxes"} and "gold" not in json.dumps(pair).lower()
                if pair["pairId"] in gold:
                    left_shown = store.rows("SELECT a.leftShown FROM assignment a JOIN reviewer r ON r.id = a.reviewerId "
                                            "WHERE r.name = 'cy' AND a.pairId = ?", pair["pairId"])[0]["leftShown"]
                    right = "left" if gold[pair["pairId"]] == left_shown else "right"
                    verdict = right if len(answers) < 2 else ("right" if right == "left" else "left")
                    answers.append(verdict == right)
                else:
                    verdict = "tie"
                api(base, tokens["cy"], "/api/verdicts", {"pairId": pair["pairId"], "verdict": verdict})
            assert len(answers) >= 3 and answers[:2] == [True, True] and not any(answers[2:]), answers
            correct, answered = sum(answers), len(answers)
            print(f"cy answered {answered} gold pairs (mixed in at half of their pairs), {correct} right")

            # Sign out, sign in as the admin: gold accuracy on the dashboard, an adjudication, a freeze.
            driver.find_element(By.ID, "sign-out").click()
            WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/login"))
            driver.find_element(By.ID, "token").send_keys(tokens["root"] + Keys.ENTER)
            WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/admin"))
            low, high = wilson(correct, answered)
            shown_gold = driver.find_element(By.CSS_SELECTOR, '.gold[data-reviewer="cy"]').text
            expected_gold = f"{round(100 * correct / answered)}% ({round(100 * low)}%–{round(100 * high)}%) · {correct} of {answered}"
            assert shown_gold == expected_gold, (shown_gold, expected_gold)
            print(f"the dashboard shows cy's gold accuracy: {shown_gold}")
            check_accessibility(driver, axe_script, "dashboard")

            form = driver.find_elements(By.CSS_SELECTOR, "form.adjudicate")
            assert form, "no conflicts to adjudicate"
            decided = int(form[0].get_attribute("data-pair"))
            form[0].find_element(By.NAME, "verdict").send_keys("2")  # the option "2 better": candidate B
            form[0].find_element(By.NAME, "reason").send_keys("B names the star's box; A's is the circle's" + Keys.ENTER)
            WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'.decided[data-pair="{decided}"]'))
            adjudication = store.rows("SELECT * FROM adjudication")
            assert [(row["pairId"], row["verdict"]) for row in adjudication] == [(decided, "b")], adjudication
            print(f"adjudicated pair {decided}: B, with a reason")

            driver.find_element(By.CSS_SELECTOR, "#freeze-form button").click()
            WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "freeze-status").text.startswith("Froze version"))
            versions = store.rows("SELECT * FROM datasetVersion")
            assert len(versions) == 1 and versions[0]["pairCount"] > 0 and versions[0]["adjudicatedCount"] == 1, versions
            entry = store.rows("SELECT * FROM datasetEntry WHERE pairId = ?", decided)
            assert [(row["chosen"], row["source"]) for row in entry] == [("b", "adjudication")], entry
            assert versions[0]["goldCount"] == 4 - (decided in gold), versions
            WebDriverWait(driver, 15).until(lambda d: "No dataset version yet" not in d.page_source)
            print(f"froze dataset version 1 from the dashboard: {versions[0]['pairCount']} pairs, pair {decided} by adjudication")
            screenshot(driver, out / "dashboard.png")
        finally:
            driver.quit()
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                sys.exit("the server did not stop on SIGINT")
    print("browser test passed")


if __name__ == "__main__":
    main()
