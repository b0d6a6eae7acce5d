"""The summary bench/dpo_vs_trl.sh and bench/sft_vs_trl.sh print: vlm-align's JSON (`bench dpo`
or `bench sft`) beside TRL's for the given keys, then what vlm-align's products did.
Usage: compare.py OURS_JSON THEIRS_JSON OURS_PEAK_RSS_KB KEY..."""
import json
import sys

ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ours["peak_rss_mib"] = int(sys.argv[3]) / 1024  # the whole process, as TRL's
print(f"{'':24}{'vlm-align':>12}{'TRL':>12}{'ratio':>8}")
for key in sys.argv[4:]:
    print(f"{key:24}{ours[key]:12.3f}{theirs[key]:12.3f}{ours[key] / theirs[key]:8.2f}")
print(f"vlm-align: {ours['examples_per_step']:.1f} rows a step, {ours['gemm_gflop']:.1f} GFLOP of products at {ours['gflops']:.1f} GFLOP/s = "
      f"{100 * ours['share_of_sgemm_peak']:.0f}% of sgemm's {ours['sgemm_peak_gflops']:.1f} GFLOP/s ({ours['blas']} kernels); "
      f"the same products alone: {ours['same_products_alone_gflops']:.1f} GFLOP/s; products {100 * ours['gemm_share']:.0f}% of the step")
