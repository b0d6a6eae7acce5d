"""transformers' side of bench/model_vs_transformers.sh: a random-weight model with
SmolVLM-256M's or Qwen2-VL-2B's shapes, fp32 on CPU with the given thread count: prefill and
greedy generation speed and peak memory, as one JSON object (the same measurements as
`vlm-align bench model`). Run its fastest way: `torch.inference_mode`, the KV cache, SDPA
attention; with --batch above 1, that many copies of the prompt sampled at temperature 1."""
import argparse
import json
import resource
import time

import torch
from transformers import LogitsProcessorList, Idefics3Config, Idefics3ForConditionalGeneration, Qwen2VLConfig, Qwen2VLForConditionalGeneration


def qwen(shape, text_tokens):
    """Qwen2-VL of `vlm-align bench model --shape qwen2-vl-2b` (or -tiny): the model, and the inputs of a
    prompt of one 448 × 448 image (1024 patches, 256 image tokens) and the text tokens."""
    big = shape == "qwen2-vl-2b"
    vocab = 151936 if big else 500
    vision = dict(depth=32 if big else 2, embed_dim=1280 if big else 64, hidden_size=1536 if big else 64,
                  num_heads=16 if big else 4, mlp_ratio=4, patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
                  hidden_act="quick_gelu")
    text = dict(hidden_size=1536 if big else 64, intermediate_size=8960 if big else 128,
                num_hidden_layers=28 if big else 2, num_attention_heads=12 if big else 2, num_key_value_heads=2,
                vocab_size=vocab, rms_norm_eps=1e-6, tie_word_embeddings=True,
                rope_parameters=dict(rope_type="default", rope_theta=1e6,
                                     mrope_section=[16, 24, 24] if big else [4, 6, 6]))
    cfg = Qwen2VLConfig(vision_config=vision, text_config=text, image_token_id=vocab - 4, video_token_id=vocab - 3,
                        vision_start_token_id=vocab - 6, vision_end_token_id=vocab - 5, tie_word_embeddings=True)
    model = Qwen2VLForConditionalGeneration(cfg).eval()
    words = torch.randint(10, vocab - 10, (text_tokens,)).tolist()
    ids = torch.tensor([[vocab - 6] + [vocab - 4] * 256 + [vocab - 5] + words])
    types = (ids == vocab - 4).long()
    inputs = dict(input_ids=ids, attention_mask=torch.ones_like(ids), mm_token_type_ids=types,
                  pixel_values=torch.rand(1024, 3 * 2 * 14 * 14) * 2 - 1, image_grid_thw=torch.tensor([[1, 32, 32]]))
    return model, inputs


def config(shape):
    if shape == "smolvlm-256m":
        vision = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                      image_size=512, patch_size=16)
        text = dict(model_type="llama", hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                    num_attention_heads=9, num_key_value_heads=3, vocab_size=49280, rms_norm_eps=1e-5,
                    rope_theta=100000.0, max_position_embeddings=8192, tie_word_embeddings=True)
        return Idefics3Config(vision_config=vision, text_config=text, scale_factor=4, image_token_id=49279,
                              tie_word_embeddings=True)
    vision = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, image_size=64, patch_size=8)
    text = dict(model_type="llama", hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, vocab_size=500, tie_word_embeddings=True)
    return Idefics3Config(vision_config=vision, text_config=text, scale_factor=2, image_token_id=499, tie_word_embeddings=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", default="smolvlm-256m")
    parser.add_argument("--text-tokens", type=int, default=64)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.shape.startswith("qwen2-vl"):
        model, inputs = qwen(args.shape, args.text_tokens)
    else:
        cfg = config(args.shape)
        model = Idefics3ForConditionalGeneration(cfg).eval()
        side = cfg.vision_config.image_size
        seq = (side // cfg.vision_config.patch_size) ** 2 // cfg.scale_factor ** 2
        text = torch.randint(10, cfg.text_config.vocab_size - 10, (args.text_tokens,)).tolist()
        ids = torch.tensor([[1] + [cfg.image_token_id] * seq + text])
        inputs = dict(input_ids=ids, attention_mask=torch.ones_like(ids), pixel_values=torch.rand(1, 1, 3, side, side) * 2 - 1)
    if args.batch > 1:
        inputs = {k: torch.cat([v] * args.batch) for k, v in inputs.items()}
    sampling = dict(do_sample=True, temperature=1.0, top_k=0, top_p=1.0) if args.batch > 1 else dict(do_sample=False)
    ids = inputs["input_ids"]
    best_prefill, best_decode = float("inf"), float("inf")
    with torch.inference_mode():
        for _ in range(args.repeats):
            # generate calls the processors once per new token, after that step's forward: the
            # first call ends the prefill, the last the decoding (as `onStep` in vlm-align)
            calls = []
            clock = lambda input_ids, scores: calls.append(time.perf_counter()) or scores
            start = time.perf_counter()
            model.generate(**inputs, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens,
                           logits_processor=LogitsProcessorList([clock]), **sampling)
            best_prefill, best_decode = min(best_prefill, calls[0] - start), min(best_decode, calls[-1] - calls[0])
    decode = max(best_decode, 1e-9)
    print(json.dumps({
        "engine": "transformers", "batch": args.batch, "prompt_tokens": ids.shape[1], "new_tokens": args.new_tokens,
        "prefill_seconds": best_prefill, "prefill_tokens_per_second": args.batch * ids.shape[1] / best_prefill,
        "generated_tokens_per_second": args.batch * (args.new_tokens - 1) / decode,
        "attention": model.config._attn_implementation,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "threads": args.threads,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
