"""Check exported graphs with ONNX Runtime through Java (the runtime the services use).

Runs every graph of a family at batch 1 and batch 3 with the same rows and compares with PyTorch:
    python3 training/ort_check.py --family-dir models/shapes-untrained [--untrained]
Needs java and the onnxruntime jar from the local Maven repository; skips (exit 0) without them.
"""
from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from .common import CKPT_DIR, setup_threads, TRAINING_DIR
from .export import load_family_modules, graph_specs


def find_jar():
    hits = sorted(glob.glob(os.path.expanduser(
        "~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.23.2/onnxruntime-1.23.2.jar")))
    return hits[-1] if hits else None


def check_family(family_dir, untrained, ckpt_dir=CKPT_DIR, atol=2e-3, log=print):
    jar = find_jar()
    if not jar or not shutil_which("java"):
        log("ort_check: java or onnxruntime jar not found, skipped")
        return None
    mods = load_family_modules(ckpt_dir, untrained)
    specs = graph_specs(mods)
    tmp = Path(tempfile.mkdtemp(prefix="ortcheck"))
    lines, expected = [], []
    for gname, (mod, ins, outs, mk) in specs.items():
        x3 = mk(3)
        with torch.no_grad():
            y3 = mod.eval()(*x3)
        y3 = y3 if isinstance(y3, tuple) else (y3,)
        for b in (1, 3):
            lines.append(f"graph {Path(family_dir) / (gname + '.onnx')}")
            for name, x in zip(ins, x3):
                x = x[:b].contiguous().numpy()
                dt = {np.dtype("float32"): "float32", np.dtype("int64"): "int64", np.dtype("bool"): "bool"}[x.dtype]
                f = tmp / f"{gname}_{b}_{name}.in"
                f.write_bytes(x.astype(x.dtype.newbyteorder("<")).tobytes())
                lines.append(f"in {name} {dt} {','.join(map(str, x.shape))} {f}")
            for name, y in zip(outs, y3):
                f = tmp / f"{gname}_{b}_{name}.out"
                lines.append(f"out {name} {f}")
                expected.append((gname, b, name, y[:b].numpy(), f))
            lines.append("run")
    (tmp / "manifest.txt").write_text("\n".join(lines) + "\n")
    src = TRAINING_DIR / "tools" / "OrtCheck.java"
    r = subprocess.run(["java", "-cp", jar, str(src), str(tmp / "manifest.txt")], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("OrtCheck failed:\n" + r.stdout + r.stderr)
    worst = {}
    for gname, b, name, y, f in expected:
        got = np.frombuffer(f.read_bytes(), dtype="<f4").reshape(y.shape)
        err = float(np.abs(got - y).max())
        worst[(gname, name, b)] = err
        log(f"{gname:14s} {name:26s} batch {b}: max |ort - torch| = {err:.2e}")
    bad = {k: v for k, v in worst.items() if v > atol}
    if bad:
        raise RuntimeError(f"ORT/torch mismatch: {bad}")
    return worst


def shutil_which(x):
    import shutil
    return shutil.which(x)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--family-dir", required=True)
    ap.add_argument("--untrained", action="store_true")
    ap.add_argument("--ckpt-dir", default=str(CKPT_DIR))
    args = ap.parse_args(argv)
    setup_threads()
    check_family(args.family_dir, args.untrained, args.ckpt_dir)


if __name__ == "__main__":
    main()
