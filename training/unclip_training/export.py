"""Export a model family folder: family.json, tokenizer.json and one ONNX graph per network.

    python3 training/export.py --family-dir models/shapes-tiny            # from training/checkpoints
    python3 training/export.py --family-dir models/shapes-untrained --untrained

Graph I/O follows models/CONTRACT.md; only the batch axis is dynamic (checked by exporting every
graph at two trace batch sizes and requiring identical graphs), opset 17.
"""
from __future__ import annotations

import argparse
import copy
import io
import json
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import torch

from . import world
from .common import CKPT_DIR, setup_threads
from .models import (Clip, ClipConfig, Prior, PriorConfig, Decoder, DecoderConfig, SRUNet, SRConfig,
                     sr_config)
from .tokenizer import CONTEXT_LENGTH, write_tokenizer_json, encode_batch

OPSET = 17


def _cfg(cls, d):
    d = dict(d)
    if cls in (DecoderConfig, SRConfig):
        d.setdefault("parametrization", "epsilon")  # checkpoints from before the field existed
    if cls is DecoderConfig:
        d.setdefault("attn_pos_emb", False)
    for k, v in list(d.items()):
        if isinstance(v, list):
            d[k] = tuple(v)
    return cls(**d)


def load_family_modules(ckpt_dir=CKPT_DIR, untrained=False, seed=0, missing_ok=False):
    """-> dict of torch modules (eval mode) + metadata, from weights-only checkpoints or random."""
    ckpt_dir = Path(ckpt_dir)
    torch.manual_seed(seed)
    out = {}

    def load(name):
        p = ckpt_dir / f"{name}.pt"
        if untrained:
            return None
        if not p.exists():
            if missing_ok:
                print(f"note: {p} missing, that stage has random weights")
                return None
            raise FileNotFoundError(f"missing checkpoint {p} (train it or pass --untrained)")
        return torch.load(p, map_location="cpu")

    ck = load("clip")
    clip = Clip(_cfg(ClipConfig, ck["config"]) if ck else ClipConfig())
    if ck:
        clip.load_state_dict(ck["state_dict"])
    out["clip"] = clip.eval()
    ck = load("prior")
    prior = Prior(_cfg(PriorConfig, ck["config"]) if ck else PriorConfig())
    if ck:
        prior.load_state_dict(ck["state_dict"])
        out["clip_mean"] = np.asarray(ck["clip_mean"], np.float32)
        out["clip_std"] = np.asarray(ck["clip_std"], np.float32)
    else:
        out["clip_mean"], out["clip_std"] = embedding_stats(clip, n=2048)
    out["prior"] = prior.eval()
    ck = load("decoder")
    dec = Decoder(_cfg(DecoderConfig, ck["config"]) if ck else DecoderConfig())
    if ck:
        dec.load_state_dict(ck["state_dict"])
    out["decoder"] = dec.eval()
    for s in ("sr_64", "sr_256"):
        ck = load(s)
        net = SRUNet(_cfg(SRConfig, ck["config"]) if ck else sr_config(s))
        if ck:
            net.load_state_dict(ck["state_dict"])
        out[s] = net.eval()
    if untrained:
        # zero-initialised output layers would make every untrained graph return zeros: give them
        # small random values so wiring and parity tests see non-trivial numbers
        g = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for key in ("clip", "prior", "decoder", "sr_64", "sr_256"):
                for prm in out[key].parameters():
                    if prm.dim() > 1 and not prm.any():
                        prm.copy_(torch.randn(prm.shape, generator=g) * 0.02)
    return out


@torch.no_grad()
def embedding_stats(clip, n=8192, seed=7, batch=512):
    """Per-dimension mean/std of CLIP image embeddings over random Shapes-world renders."""
    rng = np.random.default_rng(seed)
    embs = []
    for i in range(0, n, batch):
        sc = world.sample_scenes(rng, min(batch, n - i))
        px = torch.from_numpy(world.render(sc, clip.cfg.image_size) / 127.5 - 1.0).float()
        embs.append(clip.image(px))
    e = torch.cat(embs).numpy()
    return e.mean(0).astype(np.float32), (e.std(0) + 1e-6).astype(np.float32)


# ---- graph wrappers (exact I/O names) ----------------------------------------------------------
class TextEncoderGraph(torch.nn.Module):
    def __init__(self, clip):
        super().__init__(); self.m = clip.text

    def forward(self, input_ids):
        return self.m(input_ids)


class ImageEncoderGraph(torch.nn.Module):
    def __init__(self, clip):
        super().__init__(); self.m = clip.image

    def forward(self, pixel_values):
        return self.m(pixel_values)


class TextProjGraph(torch.nn.Module):
    def __init__(self, dec):
        super().__init__(); self.m = dec.text_proj

    def forward(self, image_embeddings, text_embeds, text_hidden_states):
        return self.m(image_embeddings, text_embeds, text_hidden_states)


def graph_specs(mods):
    clip, prior, dec = mods["clip"], mods["prior"], mods["decoder"]
    D, W, L = clip.cfg.embed_dim, clip.cfg.width, CONTEXT_LENGTH
    S = clip.cfg.image_size
    dc = dec.cfg
    C, E, R = dc.context_dim, dc.time_embed_dim, dc.resolution
    n = 4 + L

    def ids(b):
        texts = ["a red circle on a blue background", "a small green square at the top on a white background",
                 "a blue triangle above a red circle on a yellow background"] * 3
        return torch.from_numpy(encode_batch(texts[:b])[0])

    def mask(b, m):
        x = torch.ones(b, m, dtype=torch.bool)
        x[:, m - 8:] = False
        return x

    def t(b):
        return torch.tensor([999, 500, 3, 0, 250][:b] + [1] * max(0, b - 5), dtype=torch.int64)

    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g)
    specs = {
        "text_encoder": (TextEncoderGraph(clip), ["input_ids"], ["text_embeds", "last_hidden_state"],
                         lambda b: (ids(b),)),
        "image_encoder": (ImageEncoderGraph(clip), ["pixel_values"], ["image_embeds"],
                          lambda b: (r(b, 3, S, S).clamp(-1, 1),)),
        "prior": (prior, ["sample", "timestep", "proj_embedding", "encoder_hidden_states", "attention_mask"],
                  ["predicted_image_embedding"],
                  lambda b: (r(b, D), t(b), r(b, D), r(b, L, W), mask(b, L))),
        "text_proj": (TextProjGraph(dec), ["image_embeddings", "text_embeds", "text_hidden_states"],
                      ["encoder_hidden_states", "time_embed_add"],
                      lambda b: (r(b, D), r(b, D), r(b, L, W))),
        "decoder": (dec.unet, ["sample", "timestep", "encoder_hidden_states", "class_labels", "attention_mask"],
                    ["out_sample"],
                    lambda b: (r(b, 3, R, R), t(b), r(b, n, C), r(b, E), mask(b, n))),
    }
    for s in ("sr_64", "sr_256"):
        net = mods[s]
        Ro = net.cfg.output_resolution
        specs[s] = (net, ["sample", "timestep"], ["out_sample"],
                    (lambda Ro: lambda b: (r(b, 6, Ro, Ro), t(b)))(Ro))
    return specs


def export_graph(module, in_names, out_names, make_inputs, path, check=True):
    def to_bytes(b):
        f = io.BytesIO()
        torch.onnx.export(module, make_inputs(b), f, input_names=in_names, output_names=out_names,
                          dynamic_axes={k: {0: "batch"} for k in in_names + out_names},
                          opset_version=OPSET, do_constant_folding=True)
        return f.getvalue()

    data = to_bytes(2)
    model = onnx.load_from_string(data)
    # pin the declared non-batch dims of every input/output to the traced shapes
    with torch.no_grad():
        xs = make_inputs(2)
        ys = module(*xs)
        ys = ys if isinstance(ys, tuple) else (ys,)
    for vi, tensor in zip(list(model.graph.input) + list(model.graph.output), list(xs) + list(ys)):
        dims = vi.type.tensor_type.shape.dim
        for j in range(1, len(dims)):
            if dims[j].dim_param or dims[j].dim_value != tensor.shape[j]:
                dims[j].Clear()
                dims[j].dim_value = int(tensor.shape[j])
        dims[0].Clear()
        dims[0].dim_param = "batch"
    data = model.SerializeToString()
    onnx.checker.check_model(model)
    if check:
        other = onnx.load_from_string(to_bytes(3))
        a = [(i.name, onnx.numpy_helper.to_array(i).tobytes()) for i in model.graph.initializer]
        b = [(i.name, onnx.numpy_helper.to_array(i).tobytes()) for i in other.graph.initializer]
        na = [(n.op_type, str(n.attribute)) for n in model.graph.node]
        nb = [(n.op_type, str(n.attribute)) for n in other.graph.node]
        if a != b or na != nb:
            raise RuntimeError(f"{path}: graph depends on the trace batch size (a non-batch dim is baked)")
        for vi in list(model.graph.input) + list(model.graph.output):
            dims = vi.type.tensor_type.shape.dim
            if dims[0].dim_param != "batch" or any(d.dim_param for d in dims[1:]):
                raise RuntimeError(f"{path}: {vi.name} must have only the batch axis dynamic")
    with open(path, "wb") as f:
        f.write(data)
    # torch-level check: batch 1 and batch 3 agree row-wise
    with torch.no_grad():
        x3 = make_inputs(3)
        y3 = module(*x3)
        y1 = module(*[x[:1] for x in x3])
        y3 = y3 if isinstance(y3, tuple) else (y3,)
        y1 = y1 if isinstance(y1, tuple) else (y1,)
        for u, v in zip(y1, y3):
            assert torch.allclose(u, v[:1], atol=1e-4), f"{path}: batch rows interact"
    return model


# Per-stage sampling presets written into family.json. A trained family ships the presets its
# evaluation chose (models/shapes-tiny/README.md): "fast" = DDPM with prior 10, decoder 25,
# upsamplers 4 + 4 steps, prior guidance 1.5 (1, 2 and 3 drew fewer prompts fully right), decoder
# guidance 2 (3 and above drew fewer shapes right, 1.5 and 1 lost faint objects); "quality" = DDPM
# 50 / 100 / 7 + 7. DPM-Solver++(2M)
# ("samplers": {"<preset>": "dpmpp_2m"}) drew fewer shapes right at 10 / 20 / 4 + 4 and is not
# shipped in a preset. An untrained family (random weights, for tests) keeps the older DDPM steps.
TRAINED_SAMPLING = {
    "prior": {"steps": {"fast": 10, "quality": 50, "min": 2, "max": 200},
              "guidance": {"default": 1.5, "min": 1.0, "max": 20.0}},
    "decoder": {"steps": {"fast": 25, "quality": 100, "min": 2, "max": 1000},
                "guidance": {"default": 2.0, "min": 1.0, "max": 20.0}},
    "upsampler": {"steps": {"fast": 4, "quality": 7, "min": 2, "max": 100}},
}
UNTRAINED_SAMPLING = {
    "prior": {"steps": {"fast": 25, "quality": 50, "min": 2, "max": 200},
              "guidance": {"default": 4.0, "min": 1.0, "max": 20.0}},
    "decoder": {"steps": {"fast": 50, "quality": 100, "min": 2, "max": 1000},
                "guidance": {"default": 3.0, "min": 1.0, "max": 20.0}},
    "upsampler": {"steps": {"fast": 7, "quality": 7, "min": 2, "max": 100}},
}


def family_json(mods, name, trained, description):
    clip, dec = mods["clip"], mods["decoder"]
    sampling = copy.deepcopy(TRAINED_SAMPLING if trained else UNTRAINED_SAMPLING)
    sched = {"beta_schedule": "squaredcos_cap_v2", "num_train_timesteps": 1000}
    ups = []
    for s in ("sr_64", "sr_256"):
        c = mods[s].cfg
        ups.append({"name": s, "graph": f"{s}.onnx", "graph_last": None,
                    "input_resolution": c.input_resolution, "output_resolution": c.output_resolution,
                    "schedule": sched, "prediction_type": "epsilon", "variance_type": "fixed_small_log",
                    "clip_sample_range": 1.0, **copy.deepcopy(sampling["upsampler"])})
    fl = lambda a: [float(x) for x in np.asarray(a).reshape(-1)]
    return {
        "name": name,
        "description": description,
        "trained": trained,
        "tokenizer": "tokenizer.json",
        "context_length": CONTEXT_LENGTH,
        "embedding_dim": clip.cfg.embed_dim,
        "text_width": clip.cfg.width,
        "image_encoder": {"graph": "image_encoder.onnx", "image_size": clip.cfg.image_size,
                          "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
        "text_encoder": {"graph": "text_encoder.onnx"},
        "prior": {
            "graph": "prior.onnx",
            "clip_mean": fl(mods["clip_mean"]), "clip_std": fl(mods["clip_std"]),
            "schedule": sched, "prediction_type": "sample", "variance_type": "fixed_small_log",
            "clip_sample_range": 10.0, **sampling["prior"]},
        "decoder": {
            "text_proj_graph": "text_proj.onnx", "graph": "decoder.onnx",
            "resolution": dec.cfg.resolution,
            "cfg_image_embedding": fl(dec.cfg_image_embedding.detach().numpy()),
            "schedule": sched, "prediction_type": "epsilon",
            "variance_type": "learned_range" if dec.cfg.out_channels == 6 else "fixed_small_log",
            "clip_sample_range": 1.0, **sampling["decoder"]},
        "upsamplers": ups,
        "output_sizes": [64, 256],
        "default_preset": "fast",
    }


def export_family(family_dir, untrained=False, ckpt_dir=CKPT_DIR, name=None, description=None,
                  overrides=None, log=print, check=True):
    family_dir = Path(family_dir)
    family_dir.mkdir(parents=True, exist_ok=True)
    mods = load_family_modules(ckpt_dir, untrained)
    name = name or family_dir.name
    if description is None:
        description = ("Shapes world, random (untrained) weights: for wiring tests only" if untrained
                       else "Shapes world unCLIP cascade trained from scratch on CPU (32 -> 64 -> 256 px)")
    for gname, (mod, ins, outs, mk) in graph_specs(mods).items():
        path = family_dir / f"{gname}.onnx"
        export_graph(mod.eval(), ins, outs, mk, path, check=check)
        log(f"exported {path} ({path.stat().st_size / 1e6:.2f} MB)")
    fj = family_json(mods, name, not untrained, description)
    if overrides:
        for k, v in overrides.items():
            cur = fj
            ks = k.split(".")
            for kk in ks[:-1]:
                cur = cur[kk]
            cur[ks[-1]] = v
    with open(family_dir / "family.json", "w") as f:
        json.dump(fj, f, indent=1)
        f.write("\n")
    write_tokenizer_json(str(family_dir / "tokenizer.json"))
    log(f"wrote {family_dir / 'family.json'} and tokenizer.json")
    return fj


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--family-dir", required=True)
    ap.add_argument("--untrained", action="store_true")
    ap.add_argument("--ckpt-dir", default=str(CKPT_DIR))
    ap.add_argument("--name", default=None)
    ap.add_argument("--prior-guidance", type=float, default=None)
    ap.add_argument("--decoder-guidance", type=float, default=None)
    args = ap.parse_args(argv)
    setup_threads()
    ov = {}
    if args.prior_guidance is not None:
        ov["prior.guidance.default"] = args.prior_guidance
    if args.decoder_guidance is not None:
        ov["decoder.guidance.default"] = args.decoder_guidance
    export_family(args.family_dir, args.untrained, args.ckpt_dir, args.name, overrides=ov)
    # the PyTorch reference of these weights for the Java parity test (refuses if they changed meanwhile)
    from .parity import write_reference
    write_reference(args.family_dir, load_family_modules(args.ckpt_dir, args.untrained))


if __name__ == "__main__":
    main()
