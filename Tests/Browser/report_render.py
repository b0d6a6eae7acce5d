#!/usr/bin/env python3
"""The workspace report in a real browser: headless Chromium, driven by Selenium.

Builds a small workspace as the loop leaves one (a ShapesWorld model pretrained for 2 steps
registered as SFT, a 4-step DPO run from it registered as its child, `eval --record` on the child,
the world's pairs imported with their verdicts), writes `vlm-align report`, opens the file in headless Chromium with every network request logged,
and checks that every section heading is there, that no request left the file (only `file:` and
`data:` URLs), and that the screenshot it saves is not blank.

    python3 Tests/Browser/report_render.py --cli .build/debug/vlm-align --out .build-test-output/report
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

SECTIONS = ["Training curves", "Alignment metrics", "Task metrics", "Lineage", "Reviewers", "Example pairs"]


def run(cli, *args):
    result = subprocess.run([cli, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"vlm-align {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def not_blank(png_path):
    """True when the screenshot has more than one colour in a good share of its pixels (PNG decoded
    by Chromium itself would need PIL; count distinct bytes of the compressed data instead: a blank
    page compresses to almost nothing)."""
    data = Path(png_path).read_bytes()
    return len(data) > 20_000 and len(set(data)) > 200


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", default=".build/debug/vlm-align")
    parser.add_argument("--out", default=".build-test-output/report")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    options = parser.parse_args()
    cli = os.path.abspath(options.cli)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="vlm-align-report-") as scratch:
        world, workspace = os.path.join(scratch, "world"), os.path.join(scratch, "ws")
        run(cli, "shapes", "generate", "--out", world, "--seed", "11", "--size", "64", "--train-scenes", "3",
            "--eval-scenes", "1", "--pool-scenes", "0", "--rounds", "0")
        pretrain = os.path.join(scratch, "pretrain")
        run(cli, "shapes", "pretrain", "--world", world, "--out", pretrain, "--steps", "2", "--batch-size", "2",
            "--warmup-steps", "1", "--eval-steps", "2", "--eval-scenes", "2")
        pairs = os.path.join(world, "pairs", "synthetic.jsonl")
        run(cli, "init", workspace, "--model", os.path.join(pretrain, "model"), "--kind", "sft")
        run(cli, "dpo", "--checkpoint", "1", "--workspace", workspace, "--data", pairs, "--eval-data", pairs,
            "--out", os.path.join(scratch, "run"), "--max-steps", "4", "--batch-size", "4", "--eval-steps", "2")
        run(cli, "eval", "--checkpoint", "2", "--workspace", workspace, "--pairs", pairs, "--prompts",
            os.path.join(world, "eval", "existence.jsonl"), "--world", world, "--record")
        run(cli, "import", "pairs", os.path.join(world, "pairs", "synthetic.jsonl"), "--image-root", world,
            "--workspace", workspace)
        report = out / "report.html"
        run(cli, "report", "--workspace", workspace, "--out", str(report))

        chrome = webdriver.ChromeOptions()
        chrome.binary_location = options.chromium
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1100,1400",
                         "--force-device-scale-factor=1"]:
            chrome.add_argument(argument)
        chrome.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        driver = webdriver.Chrome(service=Service(options.chromedriver), options=chrome)
        try:
            driver.get(report.resolve().as_uri())
            headings = [h.text for h in driver.find_elements(By.TAG_NAME, "h2")]
            missing = [s for s in SECTIONS if s not in headings]
            assert not missing, f"sections missing: {missing} (found {headings})"
            charts = len(driver.find_elements(By.TAG_NAME, "svg"))
            assert charts >= 4, f"{charts} charts: expected the run's curves and the metrics per checkpoint"
            assert driver.find_elements(By.CSS_SELECTOR, ".current"), "the current checkpoint is not marked"
            images = driver.find_elements(By.CSS_SELECTOR, ".pair img")
            assert images and all(driver.execute_script("return arguments[0].naturalWidth", i) > 0 for i in images), \
                "an example pair's image did not load"
            requested = []
            for entry in driver.get_log("performance"):
                message = json.loads(entry["message"])["message"]
                if message.get("method") == "Network.requestWillBeSent":
                    requested.append(message["params"]["request"]["url"])
            external = [u for u in requested if not (u.startswith("file:") or u.startswith("data:"))]
            assert not external, f"the report requested {external}"
            assert driver.execute_script("return document.scripts.length") == 0, "the report holds a script"
            shot = out / "report.png"
            driver.save_screenshot(str(shot))
            assert not_blank(shot), f"{shot} looks blank"
            print(f"report: {len(headings)} sections, {charts} charts, {len(images)} images, {len(requested)} requests (none external), screenshot {shot}")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
