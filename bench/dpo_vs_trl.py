"""TRL's side of bench/dpo_vs_trl.sh, and the shared inputs.

`prepare` writes a model folder (random Idefics3 of the given size, a byte-level BPE tokenizer,
processor, chat template), a second one as the reference, and a TRL vision preference JSONL
with images. `trl` trains DPOTrainer on them (full fine-tuning, explicit reference, fp32, no
gradient checkpointing) and prints steps/s and peak RSS as JSON.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from transformers import TrainerCallback
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "fixtures"))
from trl_fixtures import build_processor, build_tokenizer  # noqa: E402

SIZES = {
    # ~4M parameters, 16 image tokens per image
    "small": dict(vision=dict(hidden_size=128, intermediate_size=512, num_hidden_layers=4, num_attention_heads=4,
                              image_size=64, patch_size=8),
                  text=dict(hidden_size=256, intermediate_size=704, num_hidden_layers=4, num_attention_heads=8,
                            num_key_value_heads=4), scale=2, image=64),
    # ~47M parameters (the issue asks for ~60M: 10 decoder layers of SmolVLM width), 64 image tokens per image
    "medium": dict(vision=dict(hidden_size=384, intermediate_size=1536, num_hidden_layers=6, num_attention_heads=6,
                               image_size=256, patch_size=16),
                   text=dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=10, num_attention_heads=9,
                             num_key_value_heads=3), scale=2, image=256),
    # the performance issue's 40.7M configuration: the medium model with 8 decoder layers
    "40m": dict(vision=dict(hidden_size=384, intermediate_size=1536, num_hidden_layers=6, num_attention_heads=6,
                            image_size=256, patch_size=16),
                text=dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=8, num_attention_heads=9,
                          num_key_value_heads=3), scale=2, image=256),
}


def prepare(out, size, pairs):
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration
    spec = SIZES[size]
    tokenizer = build_tokenizer()
    processor = build_processor(tokenizer)
    processor.image_processor.do_image_splitting = False
    processor.image_processor.size = {"longest_edge": spec["image"]}
    processor.image_processor.max_image_size = {"longest_edge": spec["image"]}
    seq = (spec["vision"]["image_size"] // spec["vision"]["patch_size"]) ** 2 // spec["scale"] ** 2
    processor.image_seq_len = seq
    for name, seed in [("policy", 1), ("reference", 2)]:
        config = Idefics3Config(
            vision_config=spec["vision"],
            text_config=dict(model_type="llama", vocab_size=len(tokenizer), max_position_embeddings=1024,
                             rms_norm_eps=1e-5, tie_word_embeddings=False, bos_token_id=tokenizer.bos_token_id,
                             eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, **spec["text"]),
            scale_factor=spec["scale"], image_token_id=tokenizer.convert_tokens_to_ids("<image>"), tie_word_embeddings=False)
        torch.manual_seed(seed)
        model = Idefics3ForConditionalGeneration(config)
        model.save_pretrained(os.path.join(out, name))
        processor.save_pretrained(os.path.join(out, name))
    rng = np.random.default_rng(0)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    words = ["red", "blue", "circle", "square", "small", "large", "left", "right", "of", "the", "a", "two", "three"]
    with open(os.path.join(out, "pairs.jsonl"), "w") as f:
        for i in range(pairs):
            path = f"images/{i}.png"
            Image.fromarray(rng.integers(0, 256, (spec["image"], spec["image"], 3)).astype(np.uint8)).save(os.path.join(out, path))
            def sentence(n):
                return " ".join(rng.choice(words, n))
            f.write(json.dumps({
                "images": [path],
                "prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": sentence(12)}]}],
                "chosen": [{"role": "assistant", "content": [{"type": "text", "text": sentence(20)}]}],
                "rejected": [{"role": "assistant", "content": [{"type": "text", "text": sentence(20)}]}],
            }) + "\n")
    print(sum(p.numel() for p in model.parameters()), "parameters,", seq, "image tokens")


def trl(folder, steps, batch, threads, freeze_vision):
    from datasets import Dataset
    from transformers import AutoProcessor, Idefics3ForConditionalGeneration
    from trl import DPOConfig, DPOTrainer
    torch.set_num_threads(threads)
    policy = Idefics3ForConditionalGeneration.from_pretrained(os.path.join(folder, "policy"))
    reference = Idefics3ForConditionalGeneration.from_pretrained(os.path.join(folder, "reference"))
    if freeze_vision:
        for p in policy.model.vision_model.parameters():
            p.requires_grad_(False)
    processor = AutoProcessor.from_pretrained(os.path.join(folder, "policy"))
    rows = [json.loads(line) for line in open(os.path.join(folder, "pairs.jsonl"))]
    for row in rows:
        row["images"] = [Image.open(os.path.join(folder, p)).convert("RGB") for p in row["images"]]
    args = DPOConfig(output_dir=os.path.join(folder, "trl-out"), per_device_train_batch_size=batch, max_steps=steps,
                     learning_rate=1e-5, lr_scheduler_type="constant", logging_steps=steps, bf16=False, fp16=False,
                     use_cpu=True, gradient_checkpointing=False, report_to=[], save_strategy="no", max_length=None,
                     dataloader_num_workers=0)
    trainer = DPOTrainer(model=policy, ref_model=reference, args=args, train_dataset=Dataset.from_list(rows),
                         processing_class=processor)
    clock = StepClock()
    trainer.add_callback(clock)
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    # steady state as vlm-align's bench times it: every optimizer step after the first two
    steady = sorted(clock.seconds[2:] or clock.seconds)
    median = steady[len(steady) // 2]
    print(json.dumps({"engine": "trl", "steps": steps, "batch": batch, "seconds": seconds,
                      "step_seconds_median": median, "steps_per_second": 1 / median, "pairs_per_second": batch / median,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "threads": threads}))


class StepClock(TrainerCallback):
    """Seconds of each optimizer step, from its start to its end."""

    def __init__(self):
        self.seconds, self.started = [], None

    def on_step_begin(self, args, state, control, **kwargs):
        self.started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.seconds.append(time.perf_counter() - self.started)



if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["prepare", "trl"])
    parser.add_argument("--folder", required=True)
    parser.add_argument("--size", default="small")
    parser.add_argument("--pairs", type=int, default=32)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--freeze-vision", action="store_true")
    a = parser.parse_args()
    if a.mode == "prepare":
        prepare(a.folder, a.size, a.pairs)
    else:
        trl(a.folder, a.steps, a.batch, a.threads, a.freeze_vision)
