#!/usr/bin/env python3
"""The review app in a real browser: headless Chromium, driven by Selenium.

Starts `vlm-align review serve` on a fresh workspace holding a small ShapesWorld's pairs, signs
in as a reviewer, reviews five pairs with the keyboard, undoes the last verdict, checks the store
after each step, signs in as an admin, freezes a dataset version from the dashboard, and saves
screenshots of the review page and the dashboard.

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
import urllib.request
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
    server = subprocess.Popen([cli, "review", "serve", "--workspace", workspace, "--port", "0", "--overlap", "2"],
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
    options = parser.parse_args()
    cli = os.path.abspath(options.cli)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="vlm-align-browser-") as scratch:
        world, workspace = os.path.join(scratch, "world"), os.path.join(scratch, "ws")
        run(cli, "shapes", "generate", "--out", world, "--seed", "11", "--size", "128", "--train-scenes", "6",
            "--eval-scenes", "1", "--pool-scenes", "0", "--rounds", "0")
        run(cli, "init", workspace)
        # the world's files name ../images/…: the world's folder is the images' root
        print(run(cli, "import", "pairs", os.path.join(world, "pairs", "synthetic.jsonl"), "--unreviewed",
                  "--image-root", world, "--workspace", workspace).strip())
        tokens = {name: add_reviewer(cli, workspace, name, admin=name == "root") for name in ["ana", "bo", "root"]}
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

            # Five pairs by keyboard alone: ←, 2, T, H then B (a reason tag, then both bad), 1.
            steps = [(Keys.ARROW_LEFT, [], "left"), ("2", [], "right"), ("t", [], "tie"), ("b", ["h"], "both-bad"), ("1", ["c"], "left")]
            reviewed = []
            current = page.wait_for_pair()
            for number, (key, tags, shown) in enumerate(steps, 1):
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
            print(f"reviewed {len(stored)} pairs by keyboard: " + ", ".join(f"pair {p} {s}" for p, s, _ in reviewed))

            # U undoes the last verdict: the pair comes back, shown as before, and its verdict is gone.
            last_pair = reviewed[-1][0]
            page.press("u")
            WebDriverWait(driver, 15).until(lambda _: page.status().startswith("Undone") and page.pair_id() == str(last_pair))
            assert [row["pairId"] for row in store.comparisons("ana")] == [pair for pair, _, _ in reviewed[:-1]]
            held = store.rows("SELECT a.* FROM assignment a JOIN reviewer r ON r.id = a.reviewerId WHERE r.name = 'ana'")
            assert last_pair in [row["pairId"] for row in held], held
            print(f"undid the verdict on pair {last_pair}; the store holds {len(store.comparisons('ana'))} verdicts of ana")

            # Zoom the image, then mark a reason and a score to show them in the screenshot.
            driver.find_element(By.CSS_SELECTOR, "#images img").click()
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

            # Sign out, sign in as the admin: the dashboard, and freezing a dataset version.
            driver.find_element(By.ID, "sign-out").click()
            WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/login"))
            driver.find_element(By.ID, "token").send_keys(tokens["root"] + Keys.ENTER)
            WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/admin"))
            driver.find_element(By.CSS_SELECTOR, "#freeze-form button").click()
            WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "freeze-status").text.startswith("Froze version"))
            versions = store.rows("SELECT * FROM datasetVersion")
            assert len(versions) == 1 and versions[0]["pairCount"] > 0, versions
            WebDriverWait(driver, 15).until(lambda d: "No dataset version yet" not in d.page_source)
            print(f"froze dataset version 1 from the dashboard: {versions[0]['pairCount']} pairs")
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
