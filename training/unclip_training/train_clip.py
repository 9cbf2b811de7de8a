"""Contrastive training of the Shapes-world CLIP (text transformer + image CNN).

Loss: symmetric cross-entropy over the caption/image similarity matrix with a learned temperature.
Because captions may omit attributes and scenes repeat, targets are multi-positive: caption i is a
positive for image j whenever it is true of scene j. Each image also brings a hard-negative caption
(one attribute changed, or colours/shapes/objects swapped in two-object captions).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import world
from .common import EMA, Run, save_weights, warm_start, CKPT_DIR, rng_state, set_rng_state, setup_threads
from .models import Clip, ClipConfig, config_dict
from .tokenizer import encode_batch

CONFIGS = {
    "default": dict(batch=192, lr=1e-3, warmup=100, steps=650, ema=0.99),
    "tiny": dict(batch=16, lr=1e-3, warmup=2, steps=3, ema=0.9),
}


def perturb(rec: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A grammatical caption record that differs from rec (usually false of its scene)."""
    r = rec.copy()
    kind = r[0]
    ncol = len(world.COLORS)
    if kind == 0:
        opts = ["c1", "s1", "bg"] + (["size1"] if r[4] >= 0 else []) + (["pos1"] if r[5] >= 0 else [])
        f = opts[rng.integers(len(opts))]
        if f == "c1":
            r[2] = rng.choice([c for c in range(ncol) if c not in (r[2], r[1])])
        elif f == "bg":
            r[1] = rng.choice([c for c in range(ncol) if c not in (r[2], r[1])])
        elif f == "s1":
            r[3] = (r[3] + rng.integers(1, 3)) % 3
        elif f == "size1":
            r[4] = 1 - r[4]
        else:
            r[5] = (r[5] + rng.integers(1, 5)) % 5
        return r
    op = rng.integers(6)
    if op == 0:  # swap colours
        r[2], r[6] = r[6], r[2]
    elif op == 1:  # swap shapes
        r[3], r[7] = r[7], r[3]
    elif op == 2:  # swap objects (= swap places)
        r[2], r[6] = r[6], r[2]
        r[3], r[7] = r[7], r[3]
    elif op == 3:  # other relation
        r[0] = 3 - r[0]
    elif op == 4:  # change one colour (keep three distinct)
        j = [1, 2, 6][rng.integers(3)]
        r[j] = rng.choice([c for c in range(ncol) if c not in (r[1], r[2], r[6])])
    else:  # change one shape
        j = [3, 7][rng.integers(2)]
        r[j] = (r[j] + rng.integers(1, 3)) % 3
    return r


def clip_pixels(img255: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img255 / 127.5 - 1.0).float()  # (p/255 - 0.5)/0.5


def encode_texts(model, captions, full=False):
    """Text features; during training only the causal prefix up to the longest caption is run."""
    ids, mask = encode_batch(captions)
    if not full:
        ids = ids[:, :int(mask.sum(1).max())]
    return model.text(torch.from_numpy(ids))


def batch_loss(model, scenes, rng, image_size):
    B = len(scenes)
    imgs = clip_pixels(world.render(scenes, image_size))
    cap = scenes.caption_records()
    neg = np.stack([perturb(r, rng) for r in cap])
    recs = np.concatenate([cap, neg])
    texts = [world.record_caption(r) for r in recs]
    M = torch.from_numpy(world.caption_matches(recs, scenes.scene_records())).float()  # [T,B]
    te, _ = encode_texts(model, texts)
    ie = model.image(imgs)
    scale = model.logit_scale.exp().clamp(max=100.0)
    logits = scale * te @ ie.t()  # [T,B]
    rows = M.sum(1) > 0
    t2i = -(F.log_softmax(logits[rows], dim=1) * (M[rows] / M[rows].sum(1, keepdim=True))).sum(1).mean()
    i2t = -(F.log_softmax(logits, dim=0) * (M / M.sum(0, keepdim=True))).sum(0).mean()
    return (t2i + i2t) / 2, scale.item()


@torch.no_grad()
def zero_shot(model, n=400, seed=12345, image_size=64):
    """DALL-E 2 style zero-shot accuracy with grammar captions as the classifier."""
    model.eval()
    rng = np.random.default_rng(seed)
    res = {}
    one = world.sample_scenes(rng, n, p_two=0.0, p_omit_size=0.0, p_omit_pos=0.0)
    ie = model.image(clip_pixels(world.render(one, image_size)))
    rec = one.caption_records()
    ncol = len(world.COLORS)
    variants = {"color": (2, range(ncol)), "shape": (3, range(3)), "background": (1, range(ncol)),
                "size": (4, range(2)), "position": (5, range(5))}
    for name, (field, values) in variants.items():
        correct = 0
        cands, owners, truth = [], [], []
        for i, r in enumerate(rec):
            for v in values:
                if name == "color" and v == r[1]:
                    continue
                if name == "background" and v == r[2]:
                    continue
                rr = r.copy(); rr[field] = v
                if v == r[field]:
                    truth.append(len(cands))
                cands.append(world.record_caption(rr)); owners.append(i)
        te, _ = encode_texts(model, cands)
        sims = (te * ie[torch.tensor(owners)]).sum(1).numpy()
        owners = np.array(owners)
        for i in range(n):
            idx = np.nonzero(owners == i)[0]
            correct += int(idx[np.argmax(sims[idx])] == truth[i])
        res[name] = correct / n
    # two-object binding: true caption against swapped colours / shapes / objects / relation
    two = world.sample_scenes(rng, n, p_two=1.0)
    ie = model.image(clip_pixels(world.render(two, image_size)))
    rec = two.caption_records()
    cands, owners = [], []
    for r in rec:
        vs = [r.copy()]
        a = r.copy(); a[2], a[6] = r[6], r[2]; vs.append(a)
        a = r.copy(); a[0] = 3 - r[0]; vs.append(a)
        if r[3] != r[7]:
            a = r.copy(); a[3], a[7] = r[7], r[3]; vs.append(a)
        for v in vs:
            cands.append(world.record_caption(v)); owners.append(len(owners) and owners[-1])
    # owners rebuilt properly below
    owners = []
    for i, r in enumerate(rec):
        owners += [i] * (4 if r[3] != r[7] else 3)
    te, _ = encode_texts(model, cands)
    owners = np.array(owners)
    sims = (te * ie[torch.tensor(owners)]).sum(1).numpy()
    correct = 0
    for i in range(n):
        idx = np.nonzero(owners == i)[0]
        correct += int(np.argmax(sims[idx]) == 0)
    res["two_object_binding"] = correct / n
    model.train()
    return res


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="default", choices=CONFIGS)
    ap.add_argument("--max-minutes", type=float, default=1e9)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--run-dir", default=None)
    ap.add_argument("--ckpt", default=None, help="weights-only output (default checkpoints/clip.pt)")
    ap.add_argument("--finalize", action="store_true",
                    help="mark the current weights as final (frozen: prior and decoder depend on them)")
    args = ap.parse_args(argv)
    setup_threads()
    hp = dict(CONFIGS[args.config])
    if args.steps:
        hp["steps"] = args.steps
    tiny = args.config == "tiny"
    run = Run("clip", args.run_dir, save_every_s=5 if tiny else 180)
    ckpt = args.ckpt or str(CKPT_DIR / "clip.pt")
    cfg = ClipConfig()
    torch.manual_seed(0)
    model = Clip(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=0.01)
    ema = EMA(model, hp["ema"])
    rng = np.random.default_rng(1)
    step = 0
    st = run.load()
    if st:
        model.load_state_dict(st["model"]); opt.load_state_dict(st["opt"])
        ema.model.load_state_dict(st["ema"])
        step = st["step"]; set_rng_state(rng, st["rng"])
        run.log(f"resumed at step {step}")
    else:
        ck = warm_start(run, ckpt, model, ema, config_dict(cfg))
        if ck is not None:
            step = ck.get("step", 0)
            if ck.get("final"):
                run.log("CLIP weights are final (frozen): nothing to do")
                return

    def save():
        run.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                  "ema": ema.model.state_dict(), "rng": rng_state(rng), "hp": hp})
        save_weights(ckpt, ema.model.state_dict(), config_dict(cfg),
                     {"step": step, "final": step >= hp["steps"] or args.finalize})

    if args.finalize:
        save()
        run.log(f"CLIP weights at step {step} marked final")
        return
    t0 = time.time()
    tl = time.time()
    losses = []
    while step < hp["steps"] and not run.stop and (time.time() - t0) < args.max_minutes * 60:
        # warmup, constant, then linear decay over the last 30% (EMA weights are exported)
        frac = step / hp["steps"]
        lr = hp["lr"] * min(1.0, (step + 1) / hp["warmup"]) * min(1.0, max(0.05, (1 - frac) / 0.3))
        for g in opt.param_groups:
            g["lr"] = lr
        scenes = world.sample_scenes(rng, hp["batch"])
        loss, scale = batch_loss(model, scenes, rng, cfg.image_size)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema.update(model, step)
        step += 1
        losses.append(loss.item())
        if step % 50 == 0 or tiny:
            dt = time.time() - tl; tl = time.time()
            run.log(f"step {step} loss {np.mean(losses):.4f} scale {scale:.1f} lr {lr:.2e} "
                    f"img/s {hp['batch'] * (50 if not tiny else 1) / dt:.1f}")
            losses = []
        if step % 250 == 0 and not tiny:
            run.log("zero-shot (ema) " + str(zero_shot(ema.model, n=200)))
        if run.due():
            save()
    save()
    run.log(f"stopped at step {step}")
    if not tiny:
        run.log("zero-shot (ema) " + str(zero_shot(ema.model)))


if __name__ == "__main__":
    main()
