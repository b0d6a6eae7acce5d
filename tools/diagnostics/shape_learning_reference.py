#!/usr/bin/env python3
"""How fast transformers' own Idefics3 learns ShapesWorld shapes from random weights: the
independent reference for the "shape is what takes time" measurements in docs/shapesworld.md.

    vlm-align shapes generate --out w1 --seed 7 --train-scenes 8000 --max-objects 1
    /path/to/venv/bin/python tools/diagnostics/shape_learning_reference.py w1 --steps 800

Builds Idefics3ForConditionalGeneration from WORLD/model/config.json (random weights, as
transformers initialises them), trains it on the world's description rows (prompt masked, the
answer learned) with vlm-align's ShapesWorld recipe — AdamW, batch 8, lr 5e-4, 100 warmup steps,
cosine decay, gradient norm clipped at 1 — then answers the held-out descriptions greedily and
prints how often the size, colour and shape words are right (single-object worlds: the one
object's words). `--set vision_config.patch_size=4` (repeatable) changes the config first.

Python is tooling here, never a runtime dependency of vlm-align.
"""
import argparse
import json
import math
import random
import time
from pathlib import Path

import torch
from PIL import Image
from transformers import AutoProcessor, Idefics3Config, Idefics3ForConditionalGeneration


def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def descriptions(path):
    return [row for row in records(path) if row["category"] == "description"]


def inputs(processor, row, folder, with_answer):
    image = Image.open((folder / row["images"][0]).resolve()).convert("RGB")
    prompt = processor(text=processor.apply_chat_template(row["prompt"], add_generation_prompt=True),
                       images=[image], return_tensors="pt")
    if not with_answer:
        return prompt
    full = processor(text=processor.apply_chat_template(row["prompt"] + row["completion"]),
                     images=[image], return_tensors="pt")["input_ids"][0]
    labels = full.clone()
    labels[: prompt["input_ids"].shape[1]] = -100
    return full, prompt["pixel_values"][0], labels


def configure(config, assignment):
    path, value = assignment.split("=", 1)
    *parents, name = path.split(".")
    target = config
    for parent in parents:
        target = getattr(target, parent)
    setattr(target, name, type(getattr(target, name))(value))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("world", type=Path)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--set", action="append", default=[], help="config.path=value")
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    random.seed(0)

    processor = AutoProcessor.from_pretrained(args.world / "model")
    config = Idefics3Config.from_pretrained(args.world / "model")
    for assignment in args.set:
        configure(config, assignment)
    model = Idefics3ForConditionalGeneration(config)
    train = [inputs(processor, row, args.world / "sft", True) for row in descriptions(args.world / "sft" / "train.jsonl")]

    batch_size, warmup = 8, 100
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0)
    order, start = [], time.time()
    model.train()
    for step in range(args.steps):
        if len(order) < batch_size:
            order += random.sample(range(len(train)), len(train))
        batch = [train[order.pop()] for _ in range(batch_size)]
        length = max(len(ids) for ids, _, _ in batch)
        ids = torch.full((batch_size, length), config.text_config.pad_token_id)
        labels = torch.full((batch_size, length), -100)
        mask = torch.zeros((batch_size, length), dtype=torch.long)
        for i, (row_ids, _, row_labels) in enumerate(batch):
            ids[i, : len(row_ids)], labels[i, : len(row_labels)], mask[i, : len(row_ids)] = row_ids, row_labels, 1
        pixels = torch.stack([p for _, p, _ in batch])
        progress = (step + 1) / warmup if step < warmup else 0.5 * (1 + math.cos(math.pi * (step - warmup) / (args.steps - warmup)))
        for group in optimizer.param_groups:
            group["lr"] = args.learning_rate * progress
        loss = model(input_ids=ids, attention_mask=mask, pixel_values=pixels, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step + 1}  loss {loss.item():.4f}  {time.time() - start:.0f} s", flush=True)

    model.eval()
    right, total = {"size": 0, "colour": 0, "shape": 0}, 0
    for row in descriptions(args.world / "eval" / "description.jsonl"):
        prompt = inputs(processor, row, args.world / "eval", False)
        with torch.no_grad():
            output = model.generate(**prompt, max_new_tokens=8, do_sample=False)
        said = processor.tokenizer.decode(output[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True).split()
        truth = row["completion"][0]["content"][0]["text"].split()   # "a small red circle"
        for i, word in enumerate(("size", "colour", "shape")):
            right[word] += len(said) == 4 and said[i + 1] == truth[i + 1]
        total += 1
    print("held-out descriptions:", ", ".join(f"{word} {n / total:.1%}" for word, n in right.items()))


if __name__ == "__main__":
    main()
