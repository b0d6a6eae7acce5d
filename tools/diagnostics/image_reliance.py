"""How much a trained model relies on the image, measured by transformers (independently of
vlm-align's engine): the mean answer NLL of a ShapesWorld eval category with each question's own
image and with another scene's image (a fixed shuffle). Equal numbers mean the model answers from
the question alone. Also prints the greedy answer to the first question.

    python tools/diagnostics/image_reliance.py MODEL_DIR WORLD_DIR CATEGORY [N]

Needs torch, transformers and pillow (the fixture venv)."""
import json
import random
import sys

import torch
from PIL import Image
from transformers import AutoProcessor, Idefics3ForConditionalGeneration

model_dir, world, category = sys.argv[1:4]
limit = int(sys.argv[4]) if len(sys.argv) > 4 else 100
processor = AutoProcessor.from_pretrained(model_dir)
model = Idefics3ForConditionalGeneration.from_pretrained(model_dir).eval()
rows = [json.loads(line) for line in open(f"{world}/eval/{category}.jsonl")][:limit]
images = [Image.open(f"{world}/eval/{r['images'][0]}").convert("RGB") for r in rows]


def answer_nll(row, image):
    prompt = processor.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
    full = processor.apply_chat_template(row["prompt"] + row["completion"], tokenize=False)
    encoded = processor(text=full, images=[image], return_tensors="pt")
    prompt_length = processor(text=prompt, images=[image], return_tensors="pt")["input_ids"].shape[1]
    with torch.no_grad():
        logits = model(**encoded).logits[0]
    ids = encoded["input_ids"][0]
    logps = torch.log_softmax(logits[:-1].float(), -1).gather(1, ids[1:, None])[:, 0]
    return -logps[prompt_length - 1:].sum().item()


order = list(range(len(rows)))
random.Random(0).shuffle(order)
own = sum(answer_nll(r, images[i]) for i, r in enumerate(rows)) / len(rows)
other = sum(answer_nll(r, images[order[i]]) for i, r in enumerate(rows)) / len(rows)
print(f"{category}: answer NLL with its own image {own:.4f}, with another scene's image {other:.4f}")
prompt = processor.apply_chat_template(rows[0]["prompt"], tokenize=False, add_generation_prompt=True)
encoded = processor(text=prompt, images=[images[0]], return_tensors="pt")
generated = model.generate(**encoded, max_new_tokens=40, do_sample=False)
print(f"{rows[0]['id']}: {processor.decode(generated[0, encoded['input_ids'].shape[1]:], skip_special_tokens=True)!r}")
