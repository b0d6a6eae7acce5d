"""Compares a TRL launch folder that ran and was imported (TRL_DIR: output/trainer_state.json,
imported/model.safetensors) with the `vlm-align dpo` run of the same options (LOCAL_DIR:
metrics.jsonl, model/model.safetensors): every step's loss, rewards and log-probs, the held-out
metrics, and every final weight but the key biases (see below). Prints the largest differences; exits 1 when the first step's
loss or rewards differ by more than 1e-4, or (except NAME lora) a weight by more than 2e-5."""
import json
import sys

import numpy as np
from safetensors.numpy import load_file

trl_dir, local_dir, name = sys.argv[1], sys.argv[2], sys.argv[3]
history = json.load(open(f"{trl_dir}/output/trainer_state.json"))["log_history"]
theirs = [e for e in history if "loss" in e and "eval_loss" not in e]
their_eval = [e for e in history if "eval_loss" in e]
rows = [json.loads(line) for line in open(f"{local_dir}/metrics.jsonl")]
ours = [r for r in rows if "loss" in r]
our_eval = [r for r in rows if "eval_loss" in r]
assert len(theirs) == len(ours), f"{len(theirs)} TRL steps, {len(ours)} vlm-align steps"

keys = ["loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logps/rejected", "grad_norm", "learning_rate"]
worst_first, failures = 0.0, []
print(f"{'step':>4} " + " ".join(f"{k:>18}" for k in keys))
for step, (t, o) in enumerate(zip(theirs, ours), 1):
    diffs = [abs(t[k] - o[k]) for k in keys]
    print(f"{step:>4} " + " ".join(f"{t[k]:>10.6f}|{d:.0e}" for k, d in zip(keys, diffs)))
    if step == 1:
        worst_first = max(diffs[:4])
if worst_first > 1e-4:
    failures.append(f"first step: loss or rewards differ by {worst_first:.2e}")
if their_eval and our_eval:
    for k in ["eval_loss", "eval_rewards/accuracies", "eval_rewards/margins", "eval_rewards/chosen", "eval_rewards/rejected"]:
        print(f"{k:>26}: TRL {their_eval[-1][k]:.6f}  vlm-align {our_eval[-1][k]:.6f}  |diff| {abs(their_eval[-1][k] - our_eval[-1][k]):.1e}")

a, b = load_file(f"{trl_dir}/imported/model.safetensors"), load_file(f"{local_dir}/model/model.safetensors")
assert a.keys() == b.keys(), sorted(set(a) ^ set(b))
# A key bias's gradient is zero in exact arithmetic (softmax ignores a shift of every score of a
# query); AdamW turns both sides' rounding noise into steps of up to lr, so those are left out.
noise = [k for k in a if k.endswith("k_proj.bias")]
differences = {k: float(np.abs(a[k] - b[k]).max()) for k in a if k not in noise}
worst = max(differences, key=differences.get)
print(f"final weights: {len(differences)} tensors ({len(noise)} key biases left out); largest |difference| "
      f"{differences[worst]:.2e} ({worst}); largest |weight| {max(float(np.abs(v).max()) for v in a.values()):.2f}")
if name != "lora" and differences[worst] > 2e-5:
    failures.append(f"weights differ by {differences[worst]:.2e} at {worst}")
print("first-step loss and rewards max |diff|", f"{worst_first:.2e}", "->", "FAIL: " + "; ".join(failures) if failures else "ok")
sys.exit(1 if failures else 0)
