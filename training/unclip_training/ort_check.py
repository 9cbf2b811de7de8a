"""Check exported graphs with ONNX Runtime through Java (the runtime the services use).

Runs every graph of a family at batch 1 and batch 3 with the same rows and compares with PyTorch:
    python3 training/ort_check.py --family-dir models/shapes-untrained [--untrained]
Passes when every output is within ATOL (1e-4) of PyTorch, the bound the family READMEs state;
prints the largest difference per graph. Needs java (17+) on PATH and the onnxruntime jar in the
local Maven repository (~/.m2, fetched by the Maven build); without either it fails (exit 2), it
never passes unchecked. Exit 1: a graph outside the bound.
"""
from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from .common import CKPT_DIR, setup_threads, TRAINING_DIR
from .export import load_family_modules, graph_specs

ATOL = 1e-4
ORT_VERSION = "1.23.2"
JAR = f"~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/{ORT_VERSION}/onnxruntime-{ORT_VERSION}.jar"


class ToolMissing(RuntimeError):
    pass


def find_jar():
    hits = sorted(glob.glob(os.path.expanduser(JAR)))
    return hits[-1] if hits else None


def check_family(family_dir, untrained, ckpt_dir=CKPT_DIR, atol=ATOL, log=print):
    """-> {(graph, output, batch): max |ort - torch|}. Raises ToolMissing without java or the jar,
    RuntimeError when a difference exceeds atol."""
    jar = find_jar()
    if not shutil_which("java"):
        raise ToolMissing("java not found on PATH (ONNX Runtime is checked through its Java API; "
                          "install a JDK 17)")
    if not jar:
        raise ToolMissing(f"ONNX Runtime jar not found at {JAR} (run the Maven build once, "
                          "e.g. mvn -B -q -DskipTests install, to fetch it)")
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
    try:
        r = subprocess.run(["java", "-cp", jar, str(src), str(tmp / "manifest.txt")], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("OrtCheck failed:\n" + r.stdout + r.stderr)
        worst = {}
        for gname, b, name, y, f in expected:
            got = np.frombuffer(f.read_bytes(), dtype="<f4").reshape(y.shape)
            err = float(np.abs(got - y).max())
            worst[(gname, name, b)] = err
            log(f"{gname:14s} {name:26s} batch {b}: max |ort - torch| = {err:.2e}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    graphs = {}
    for (gname, _, _), err in worst.items():
        graphs[gname] = max(graphs.get(gname, 0.0), err)
    log("max |ort - torch| per graph (both batches, every output): "
        + ", ".join(f"{g} {e:.2e}" for g, e in graphs.items()))
    bad = {k: v for k, v in worst.items() if v > atol}
    if bad:
        raise RuntimeError("ORT/torch differences over " + f"{atol:g}: "
                           + ", ".join(f"{g}.{o} batch {b}: {v:.2e}" for (g, o, b), v in bad.items()))
    log(f"ok: every graph within {atol:g}")
    return worst


def shutil_which(x):
    return shutil.which(x)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--family-dir", required=True)
    ap.add_argument("--untrained", action="store_true")
    ap.add_argument("--ckpt-dir", default=str(CKPT_DIR))
    ap.add_argument("--atol", type=float, default=ATOL)
    args = ap.parse_args(argv)
    setup_threads()
    try:
        check_family(args.family_dir, args.untrained, args.ckpt_dir, args.atol)
    except ToolMissing as e:
        print(f"ort_check: FAILED, cannot check: {e}", file=sys.stderr)
        sys.exit(2)
    except RuntimeError as e:
        print(f"ort_check: FAILED: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
