"""Shared training plumbing: run folders, resumable checkpoints, EMA, logging, SIGTERM, budgets."""
from __future__ import annotations

import copy
import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import torch

TRAINING_DIR = Path(__file__).resolve().parent.parent
RUNS_DIR = TRAINING_DIR / "runs"
CKPT_DIR = TRAINING_DIR / "checkpoints"


class EMA:
    def __init__(self, model, decay):
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model, step=None):
        d = self.decay if step is None else min(self.decay, (1 + step) / (10 + step))
        for pe, p in zip(self.model.parameters(), model.parameters()):
            pe.mul_(d).add_(p.detach(), alpha=1 - d)
        for be, b in zip(self.model.buffers(), model.buffers()):
            be.copy_(b)


class Run:
    """One resumable training run under training/runs/<name>/."""

    def __init__(self, name: str, run_dir=None, save_every_s: float = 180.0):
        self.name = name
        self.dir = Path(run_dir) if run_dir else RUNS_DIR / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state_path = self.dir / "state.pt"
        self.log_path = self.dir / "train.log"
        self.save_every_s = save_every_s
        self.last_save = time.time()
        self.stop = False
        signal.signal(signal.SIGTERM, self._sigterm)
        signal.signal(signal.SIGINT, self._sigterm)

    def _sigterm(self, *_):
        self.stop = True

    def log(self, msg: str):
        line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
        print(line, flush=True)
        with open(self.log_path, "a") as f:
            f.write(line + "\n")

    def load(self):
        if self.state_path.exists():
            return torch.load(self.state_path, map_location="cpu")
        return None

    def save(self, state: dict):
        tmp = self.state_path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.state_path)
        self.last_save = time.time()

    def due(self) -> bool:
        return time.time() - self.last_save >= self.save_every_s


def save_weights(path, model_state: dict, config: dict, extra: dict | None = None):
    """Small weights-only checkpoint (EMA weights + config) for export and for resuming elsewhere."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    obj = {"state_dict": model_state, "config": config}
    if extra:
        obj.update(extra)
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def rng_state(rng: np.random.Generator):
    return rng.bit_generator.state


def set_rng_state(rng: np.random.Generator, st):
    rng.bit_generator.state = st


def setup_threads():
    torch.set_num_threads(int(os.environ.get("UNCLIP_THREADS", "1")))


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


def warm_start(run: "Run", ckpt_path, net, ema, config: dict):
    """No run state here but a weights-only checkpoint exists (e.g. a fresh clone): continue from it.

    Model and EMA both start from the checkpoint's EMA weights with a fresh optimizer. Returns the
    checkpoint dict (for step / stats) or None when there is nothing compatible to start from.
    """
    p = Path(ckpt_path)
    if not p.exists():
        return None
    ck = torch.load(p, map_location="cpu")
    norm = lambda d: {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}
    if norm(ck.get("config", {})) != norm(config):
        run.log(f"checkpoint {p} has another config, starting fresh")
        return None
    net.load_state_dict(ck["state_dict"])
    ema.model.load_state_dict(ck["state_dict"])
    run.log(f"warm start from weights-only checkpoint {p} (step {ck.get('step')})")
    return ck
