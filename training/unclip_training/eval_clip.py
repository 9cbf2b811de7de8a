"""Zero-shot accuracy of the trained CLIP on held-out renders, with grammar captions as classifier.

For each attribute (colour, shape, background, size, position) the candidates are the true full
caption with that attribute varied over every allowed value; for two-object scenes the candidates
are the true caption, the colour-swapped, the relation-swapped and (if shapes differ) the
shape-swapped caption.
    python3 training/eval_clip.py [--n 1000] [--ckpt training/checkpoints/clip.pt]
"""
import argparse
import json

from .common import setup_threads
from .cond import load_clip
from .train_clip import zero_shot


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--seed", type=int, default=999)
    args = ap.parse_args(argv)
    setup_threads()
    clip = load_clip(args.ckpt)
    res = zero_shot(clip, n=args.n, seed=args.seed)
    res["clip_step"] = clip.step
    print(json.dumps(res))


if __name__ == "__main__":
    main()
