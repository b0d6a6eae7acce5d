"""TRL's SFTTrainer side of bench/sft_vs_trl.sh, and the SFT sets it trains on.

`from-pairs` writes a TRL prompt-completion set from a preference set (the chosen answer as the
completion); `trl` trains a model folder on a set with SFTTrainer, fp32, no gradient
checkpointing (TRL's CPU defaults, bf16 autocast and checkpointing, are slower still), and
prints the steady step: the median of every optimizer step after the first two.
"""
import argparse
import json
import os
import resource
import time

import torch
from PIL import Image

from dpo_vs_trl import StepClock  # bench/, the script's folder, is on the path


def from_pairs(pairs, out):
    with open(pairs) as f, open(out, "w") as g:
        for line in f:
            row = json.loads(line)
            g.write(json.dumps({"images": row["images"], "prompt": row["prompt"], "completion": row["chosen"]}) + "\n")


def trl(model_dir, data, steps, batch, threads):
    from datasets import Dataset
    from transformers import AutoProcessor, Idefics3ForConditionalGeneration
    from trl import SFTConfig, SFTTrainer
    torch.set_num_threads(threads)
    model = Idefics3ForConditionalGeneration.from_pretrained(model_dir)
    processor = AutoProcessor.from_pretrained(model_dir)
    base = os.path.dirname(os.path.abspath(data))
    rows = [json.loads(line) for line in open(data)][: steps * batch]
    for row in rows:
        row["images"] = [Image.open(os.path.join(base, p)).convert("RGB") for p in row["images"]]
        row.pop("id", None), row.pop("category", None), row.pop("tags", None)
    args = SFTConfig(output_dir=os.path.join(base, "trl-sft-out"), per_device_train_batch_size=batch, max_steps=steps,
                     learning_rate=1e-4, lr_scheduler_type="constant", logging_steps=steps, bf16=False, fp16=False,
                     use_cpu=True, gradient_checkpointing=False, report_to=[], save_strategy="no", max_length=None,
                     dataloader_num_workers=0)
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=processor)
    clock = StepClock()
    trainer.add_callback(clock)
    trainer.train()
    steady = sorted(clock.seconds[2:] or clock.seconds)
    median = steady[len(steady) // 2]
    print(json.dumps({"engine": "trl", "steps": steps, "batch": batch, "step_seconds_median": median,
                      "examples_per_second": batch / median,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "threads": threads}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["from-pairs", "trl"])
    parser.add_argument("--model")
    parser.add_argument("--data", required=True)
    parser.add_argument("--out")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    a = parser.parse_args()
    if a.mode == "from-pairs":
        from_pairs(a.data, a.out)
    else:
        trl(a.model, a.data, a.steps, a.batch, a.threads)
