"""The table of docs/scale-out.md: `vlm-align plan dpo` for SmolVLM-256M, SmolVLM (2.2B) and
Idefics3-8B shapes (config.json only, no weights; the tiny fixture's tokenizer and chat template)
on preference pairs of one image, a ~20-token prompt and ~40-token answers, batch 4, one epoch.
Prints each configuration's peak memory and hours on this machine (the plan's 20 GFLOP/s) and on
one GPU at an assumed 100 TFLOP/s effective (about a tenth of an H100's dense bf16 peak; an
assumption, not a measurement: no GPU was at hand). TRL also runs the reference model every step:
one more forward, +1/3 for full fine-tuning, +1/2 for LoRA.
Standard library only. Usage: python3 tools/scale_out/plan_table.py VLM_ALIGN"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

VLM_ALIGN = sys.argv[1]
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "TrainingTests", "Fixtures", "trl")

MODELS = {
    "SmolVLM-256M": dict(vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                                     image_size=512, patch_size=16),
                         text=dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                                   num_key_value_heads=3, head_dim=64, vocab_size=49280), scale=4),
    "SmolVLM 2.2B": dict(vision=dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16,
                                     image_size=378, patch_size=14),
                         text=dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=24, num_attention_heads=32,
                                   num_key_value_heads=32, head_dim=64, vocab_size=49155), scale=3),
    "Idefics3-8B": dict(vision=dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16,
                                    image_size=364, patch_size=14),
                        text=dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                                  num_key_value_heads=8, head_dim=128, vocab_size=128259), scale=2),
}
RUNS = [("LoRA r16", ["--lora-rank", "16"]), ("QLoRA r16", ["--lora-rank", "16", "--quantize", "nf4"]), ("full", [])]
GPU_FLOPS = 100e12


def folder(work, name, spec):
    out = os.path.join(work, name.replace(" ", "-"))
    os.makedirs(out)
    policy = os.path.join(FIXTURE, "policy")
    for f in os.listdir(policy):
        if f not in ("model.safetensors", "config.json", "processor_config.json"):
            shutil.copy(os.path.join(policy, f), out)
    config = json.load(open(os.path.join(policy, "config.json")))
    config["vision_config"].update(spec["vision"])
    config["text_config"].update(spec["text"])
    config["scale_factor"] = spec["scale"]
    json.dump(config, open(os.path.join(out, "config.json"), "w"))
    processor = json.load(open(os.path.join(policy, "processor_config.json")))
    tile = spec["vision"]["image_size"]
    processor["image_processor"].update(do_image_splitting=False, size={"longest_edge": tile}, max_image_size={"longest_edge": tile})
    processor["image_seq_len"] = (tile // spec["vision"]["patch_size"]) ** 2 // spec["scale"] ** 2
    json.dump(processor, open(os.path.join(out, "processor_config.json"), "w"))
    return out


def pairs(work):
    words = "What shape is red a small red circle large blue square How many objects are there three".split()
    path = os.path.join(work, "pairs.jsonl")
    shutil.copytree(os.path.join(FIXTURE, "images"), os.path.join(work, "images"))
    with open(path, "w") as f:
        for i in range(64):
            text = lambda n: " ".join(words[(i + k) % len(words)] for k in range(n))
            f.write(json.dumps({"images": [f"images/scene{i % 4}.png"],
                                "prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text(12)}]}],
                                "chosen": [{"role": "assistant", "content": [{"type": "text", "text": text(24)}]}],
                                "rejected": [{"role": "assistant", "content": [{"type": "text", "text": text(24)}]}]}) + "\n")
    return path


def main():
    work = tempfile.mkdtemp()
    try:
        data = pairs(work)
        print("| model | run | peak memory | s / step here | 1k pairs here | 10k pairs here | 10k pairs, one GPU |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for name, spec in MODELS.items():
            model = folder(work, name, spec)
            for run, options in RUNS:
                out = subprocess.run([VLM_ALIGN, "plan", "dpo", "--model", model, "--data", data, "--allow-no-sft", "--batch-size", "4"]
                                     + options, capture_output=True, text=True).stdout
                found = re.search(r"peak RSS +(.+)", out)
                if not found:
                    sys.exit(f"{name} {run}: {out}")
                peak = found.group(1)
                step = float(re.search(r"time +([0-9.]+) s/step", out).group(1))
                gpu = step * 20e9 / GPU_FLOPS * (4 / 3 if run == "full" else 3 / 2)
                steps = lambda pairs: pairs / 4
                hours = lambda s, n: f"{s * steps(n) / 3600:,.1f} h"
                print(f"| {name} | {run} | {peak} | {step:,.1f} | {hours(step, 1000)} | {hours(step, 10000)} | {gpu * steps(10000) / 60:,.0f} min |")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
