#!/usr/bin/env python3
"""Export Karlo (kakaobrain/karlo-v1-alpha) as a model family; see unclip_training/karlo_export.py.

    python3 training/export_karlo.py --karlo /data/karlo-v1-alpha --family-dir models/karlo
    python3 training/export_karlo.py --karlo-shaped --family-dir /tmp/karlo-shaped   # test family
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--karlo", help="folder with Karlo's prior, decoder, text_proj, super_res_first, "
                                     "super_res_last, text_encoder and tokenizer folders")
    src.add_argument("--karlo-shaped", action="store_true",
                     help="write thin random networks at Karlo's interface dimensions as a Karlo "
                          "checkpoint first (--checkpoint-dir), then export them")
    ap.add_argument("--family-dir", required=True)
    ap.add_argument("--name", default=None)
    ap.add_argument("--seed", type=int, default=0, help="weights of --karlo-shaped")
    ap.add_argument("--checkpoint-dir", default=None, help="where --karlo-shaped writes its checkpoint "
                                                           "(default: a temporary folder)")
    ap.add_argument("--external-data-over", type=int, default=None,
                    help="bytes of weights beyond which a graph keeps them in <graph>.onnx.data "
                         "(default 2e9, protobuf's limit)")
    ap.add_argument("--with-image-encoder", action="store_true",
                    help="--karlo-shaped: also an image encoder (as Karlo's image-variation pipeline has)")
    ap.add_argument("--no-parity", action="store_true", help="skip the reference run (parity.json)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)

    import torch
    from unclip_training import karlo_export as ke
    torch.set_num_threads(args.threads)
    started = time.time()
    over = args.external_data_over or ke.PROTOBUF_LIMIT
    if args.karlo_shaped:
        with tempfile.TemporaryDirectory(prefix="karlo-shaped") as tmp:
            ckpt = ke.karlo_shaped(args.checkpoint_dir or tmp, args.seed, args.with_image_encoder)
            result = ke.export_karlo(ckpt, args.family_dir, name=args.name or "karlo-shaped",
                                     description="Karlo's interface dimensions (77 tokens, 768-d, 64 -> 256 px), "
                                                 f"thin layers, random weights (seed {args.seed}): for tests only",
                                     trained=False, external_data_over=over, parity=not args.no_parity)
    else:
        result = ke.export_karlo(args.karlo, args.family_dir, name=args.name, external_data_over=over,
                                 parity=not args.no_parity)
    params = result["parameters"]
    print("parameters: " + ", ".join(f"{k} {v / 1e6:.2f}M" for k, v in params.items())
          + f"; total {sum(params.values()) / 1e6:.2f}M; {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
