"""Why existence stays at chance: a PyTorch probe on a one-object ShapesWorld (docs/shapesworld.md,
"What kept the first base from reading a question against the image", item 4).

Stage 1 (--text-steps): the decoder alone learns existence over scenes written as words
("small red triangle . is there a purple triangle in the image ?"), drawn fresh each step.
Stage 2 (--image-steps): existence questions with their images (tower frozen, features cached),
connector and decoder trained; with --word-loss W, each image token's connector output, read
through the tied output embedding, is also trained toward the words of the object under it
(a third each of size, colour, shape) or "nothing".

Needs torch, transformers and pillow (tools/fixtures/requirements.txt). Example:
  vlm-align shapes generate --out w1 --seed 11 --max-objects 1 --train-scenes 8000 --eval-scenes 300
  python existence_probe.py --model BASE --world w1 --train w1/sft/train.jsonl \
      --eval w1/eval/existence.jsonl --text-steps 1000 --image-steps 1500 --word-loss 1
"""
import argparse, json, random, time
import torch
from PIL import Image
from transformers import Idefics3ForConditionalGeneration, AutoProcessor

ap = argparse.ArgumentParser()
ap.add_argument('--model', required=True); ap.add_argument('--world', required=True)
ap.add_argument('--train', required=True); ap.add_argument('--eval', required=True)
ap.add_argument('--text-steps', type=int, default=1000); ap.add_argument('--image-steps', type=int, default=1500)
ap.add_argument('--word-loss', type=float, default=0.0); ap.add_argument('--lr', type=float, default=1e-3)
ap.add_argument('--threads', type=int, default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0); random.seed(0)
m = Idefics3ForConditionalGeneration.from_pretrained(a.model)
proc = AutoProcessor.from_pretrained(a.model); tok = proc.tokenizer; tm = m.model.text_model
world = json.load(open(f'{a.world}/world.json')); scenes = {s['id']: s for s in world['scenes']}
ATTRS = [('size', ['small', 'large']), ('colour', ['red', 'orange', 'yellow', 'green', 'blue', 'purple']),
         ('shape', ['circle', 'square', 'triangle', 'star', 'diamond', 'hexagon'])]
word = lambda w: tok(w, add_special_tokens=False)['input_ids'][0]
t0 = time.time()

def text_example():
    obj = {n: random.choice(v) for n, v in ATTRS}; asked = dict(obj)
    keys = random.choice([['shape'], ['colour', 'shape'], ['size', 'colour', 'shape']]); yes = random.random() < 0.5
    if not yes:  # a near miss (one attribute off) or a far miss (all asked attributes off)
        for n in (random.sample(keys, 1) if random.random() < 0.5 else keys):
            asked[n] = random.choice([x for x in dict(ATTRS)[n] if x != obj[n]])
    words = ' '.join(asked[n] for n in ['size', 'colour', 'shape'] if n in keys)
    ids = tok(f"{obj['size']} {obj['colour']} {obj['shape']} . is there a {words} in the image ?", add_special_tokens=False)['input_ids']
    return ids, word('yes' if yes else 'no')

def last_logits(ids_list, embed=None):
    L = max(map(len, ids_list)); ids = torch.full((len(ids_list), L), tok.pad_token_id)
    att = torch.zeros((len(ids_list), L), dtype=torch.long)
    for i, x in enumerate(ids_list): ids[i, :len(x)] = torch.tensor(x); att[i, :len(x)] = 1
    h = tm(inputs_embeds=embed(ids), attention_mask=att).last_hidden_state if embed else tm(input_ids=ids, attention_mask=att).last_hidden_state
    return m.lm_head(h)[torch.arange(len(ids_list)), att.sum(1) - 1]

params = list(tm.parameters()); opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0)
held = [text_example() for _ in range(500)]
for step in range(a.text_steps):
    batch = [text_example() for _ in range(64)]
    loss = torch.nn.functional.cross_entropy(last_logits([x for x, _ in batch]), torch.tensor([y for _, y in batch]))
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step()
    if (step + 1) % 250 == 0:
        with torch.no_grad(): acc = (last_logits([x for x, _ in held]).argmax(-1) == torch.tensor([y for _, y in held])).float().mean()
        print(f'text step {step + 1}: loss {loss.item():.3f}, held-out accuracy {acc:.3f} ({time.time() - t0:.0f} s)', flush=True)

def rows(f):  # image paths are relative to their JSONL file
    import os
    out = [json.loads(l) for l in open(f)]
    out = [r for r in out if r['category'] == 'existence']
    for r in out: r['images'] = [os.path.join(os.path.dirname(os.path.abspath(f)), p) for p in r['images']]
    return out
train, held = rows(a.train), rows(a.eval)[:300]
cache = {}
def features(paths):
    missing = [p for p in paths if p not in cache]
    if missing:
        pv = proc.image_processor([Image.open(p).convert('RGB') for p in missing], return_tensors='pt')['pixel_values']
        with torch.no_grad(): v = m.model.vision_model(pixel_values=pv.view(-1, *pv.shape[-3:])).last_hidden_state
        cache.update(zip(missing, v))
    return torch.stack([cache[p] for p in paths])
image_prefix = tok('<fake_token_around_image><global-img>' + '<image>' * 16 + '<fake_token_around_image>', add_special_tokens=False)['input_ids']
vocab = {w: word(w) for w in ['nothing'] + [v for _, vs in ATTRS for v in vs]}

def token_words(row):  # 4×4 image tokens of 16×16 pixels on a 64×64 image
    o = scenes[row['id'].rsplit('-', 1)[0]]['objects'][0]; target = torch.zeros(16, len(tok))
    for t in range(16):
        y0, x0 = 16 * (t // 4), 16 * (t % 4)
        dx, dy = max(x0 - o['x'], 0, o['x'] - x0 - 16), max(y0 - o['y'], 0, o['y'] - y0 - 16)
        if dx * dx + dy * dy < o['radius'] ** 2:
            for n in ('size', 'colour', 'shape'): target[t, vocab[o[n]]] = 1 / 3
        else:
            target[t, vocab['nothing']] = 1
    return target

def image_step(batch):
    img = m.model.connector(features([r['images'][0] for r in batch]))
    def embed(ids):
        e = tm.embed_tokens(ids).clone(); e[ids == m.config.image_token_id] = img.reshape(-1, img.shape[-1]); return e
    seqs = [image_prefix + tok(r['prompt'][0]['content'][1]['text'], add_special_tokens=False)['input_ids'] for r in batch]
    answers = torch.tensor([word(r['completion'][0]['content'][0]['text']) for r in batch])
    logits = last_logits(seqs, embed)
    words = -(torch.stack([token_words(r) for r in batch]) * m.lm_head(img).log_softmax(-1)).sum(-1).mean() if a.word_loss else torch.tensor(0.)
    return logits, answers, words

for p in m.model.vision_model.parameters(): p.requires_grad = False
params = [p for p in m.parameters() if p.requires_grad]; opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0)
for step in range(a.image_steps):
    logits, answers, words = image_step(random.sample(train, 32))
    loss = torch.nn.functional.cross_entropy(logits, answers) + a.word_loss * words
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step()
    if (step + 1) % 100 == 0:
        with torch.no_grad(): logits, answers, _ = image_step(held)
        print(f'image step {step + 1}: loss {loss.item():.3f}, word loss {words.item():.3f}, '
              f'held-out existence {(logits.argmax(-1) == answers).float().mean():.3f} ({time.time() - t0:.0f} s)', flush=True)
