"""Seconds per image of the project's PyTorch reference cascade (training/unclip_training/
reference_sampler.py) on the weights of the shipped family, one image at a time, as bench/latency
runs it. Prints one JSON object.

    /usr/bin/python3 bench/reference_timing.py --settings '{"prior_steps": 25, ...}' --images 5
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))


def blas() -> str:
    """The BLAS library this process loaded (Debian's torch takes whatever libblas.so.3 points at)."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(os.path.basename(x) for x in libs)) or "unknown"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt-dir", default=str(ROOT / "training" / "checkpoints" / "shapes-tiny"))
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--images", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--settings", required=True, help="JSON: prior_steps, prior_guidance, decoder_steps, "
                    "decoder_guidance, sr_steps, samplers")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    from unclip_training.reference_sampler import Cascade

    s = json.loads(args.settings)
    cascade = Cascade.from_checkpoints(args.ckpt_dir)

    def one(seed):
        return cascade.generate([args.prompt], [seed], s["prior_steps"], s["prior_guidance"], s["decoder_steps"],
                                s["decoder_guidance"], s["sr_steps"], 256, samplers=s["samplers"])

    one(args.seed - 1)  # warm-up
    times = []
    for i in range(args.images):
        start = time.perf_counter()
        one(args.seed + i)
        times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"threads": torch.get_num_threads(), "images": args.images,
                      "s_per_image": sum(times) / len(times), "median_s": times[len(times) // 2],
                      "blas": blas()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
