"""Karlo (kakaobrain/karlo-v1-alpha, diffusers layout) -> a model family folder.

Reads a local copy of the pipeline's folders

    <karlo>/prior/            config.json + diffusion_pytorch_model.{safetensors,bin}
    <karlo>/decoder/          (UNet2DConditionModel)
    <karlo>/text_proj/        (UnCLIPTextProjModel)
    <karlo>/super_res_first/  (UNet2DModel)
    <karlo>/super_res_last/   (UNet2DModel)
    <karlo>/text_encoder/     config.json + model.safetensors or pytorch_model.bin (CLIPTextModelWithProjection)
    <karlo>/tokenizer/        vocab.json + merges.txt (CLIPTokenizer)
    <karlo>/image_encoder/    optional (the image-variation pipeline): CLIPVisionModelWithProjection;
                              <karlo>/feature_extractor/preprocessor_config.json gives its mean/std

into the project's own modules (karlo_models: same architecture, same key names, strict loading;
neither diffusers nor transformers is needed), and writes family.json with Karlo's schedules, steps
and guidance (models/CONTRACT.md, "Karlo's values"), one ONNX graph per network (weights as external
data `<graph>.onnx.data` beyond `external_data_over` bytes; 2 GB is protobuf's limit), the CLIP
tokenizer.json made from vocab.json + merges.txt, and parity.json from a reference run of the same
torch modules (parity.write_reference). Karlo's text-to-image pipeline has no image encoder: without
an image_encoder folder the family is text-only (variations are refused).

`karlo_shaped(dir, seed)` writes such folders with Karlo's interface dimensions, thin layers and
seeded random weights, which the exporter then reads like the real ones (the test family).
"""
from __future__ import annotations

import json
import struct
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from . import karlo_models as km
from .clip_tokenizer import ClipBpe, small_vocabulary
from .reference_sampler import resize
from .schedule import Schedule, spaced_timesteps, seeded_noise

OPSET = 17
FOLDERS = ("text_encoder", "tokenizer", "prior", "text_proj", "decoder", "super_res_first", "super_res_last")
GRAPH_FILES = {"image_encoder": "image_encoder.onnx", "text_encoder": "text_encoder.onnx", "prior": "prior.onnx", "text_proj": "text_proj.onnx",
               "decoder": "decoder.onnx", "super_res_first": "sr_256.onnx", "super_res_last": "sr_256_last.onnx"}
CONTEXT_LENGTH = 77
PROTOBUF_LIMIT = 2_000_000_000
# OpenAI CLIP's pixel normalisation (CLIPImageProcessor's defaults)
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


# ---- reading checkpoints -----------------------------------------------------------------------
_SAFETENSORS_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_safetensors(path) -> dict:
    """A .safetensors file -> {key: tensor} (the format is a JSON header and raw little-endian data)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=_SAFETENSORS_DTYPES[info["dtype"]])
        out[key] = t.reshape(info["shape"]).float() if t.is_floating_point() else t.reshape(info["shape"])
    return out


def read_state_dict(folder: Path) -> dict:
    for name in ("diffusion_pytorch_model.safetensors", "model.safetensors"):
        if (folder / name).exists():
            return read_safetensors(folder / name)
    for name in ("diffusion_pytorch_model.bin", "pytorch_model.bin"):
        if (folder / name).exists():
            sd = torch.load(folder / name, map_location="cpu")
            return {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}
    raise FileNotFoundError(f"no weights in {folder} (diffusion_pytorch_model.safetensors/.bin, "
                            "model.safetensors or pytorch_model.bin)")


def _unet_config(c: dict, decoder: bool) -> km.UNetConfig:
    kw = dict(sample_size=c["sample_size"], in_channels=c["in_channels"], out_channels=c["out_channels"],
              layers_per_block=c["layers_per_block"], block_out_channels=tuple(c["block_out_channels"]),
              down_block_types=tuple(c["down_block_types"]), up_block_types=tuple(c["up_block_types"]),
              norm_num_groups=c.get("norm_num_groups", 32))
    if decoder:
        head = c.get("attention_head_dim", 64)
        return km.decoder_config(mid_attention=c.get("mid_block_type") == "UNetMidBlock2DSimpleCrossAttn",
                                 cross_attention_dim=c["cross_attention_dim"],
                                 attention_head_dim=head[-1] if isinstance(head, list) else head,
                                 resnet_time_scale_shift=c.get("resnet_time_scale_shift", "default"),
                                 time_embed_dim=c.get("time_embedding_dim") or 0,
                                 class_embed_identity=c.get("class_embed_type") == "identity", **kw)
    return km.super_res_config(mid_attention=bool(c.get("add_attention", True)),
                               resnet_time_scale_shift=c.get("resnet_time_scale_shift", "default"), **kw)


def read_configs(karlo: Path) -> dict:
    """The six networks' configs from their config.json files (diffusers / transformers names)."""
    cfg = lambda name: json.loads((karlo / name / "config.json").read_text())
    t = cfg("text_encoder")
    p = cfg("prior")
    tp = cfg("text_proj")
    configs = {
        "text_encoder": km.TextEncoderConfig(
            vocab_size=t["vocab_size"], hidden_size=t["hidden_size"], intermediate_size=t["intermediate_size"],
            num_hidden_layers=t["num_hidden_layers"], num_attention_heads=t["num_attention_heads"],
            max_position_embeddings=t["max_position_embeddings"], projection_dim=t["projection_dim"],
            layer_norm_eps=t.get("layer_norm_eps", 1e-5)),
        "prior": km.PriorConfig(num_attention_heads=p.get("num_attention_heads", 32),
                                attention_head_dim=p.get("attention_head_dim", 64), num_layers=p.get("num_layers", 20),
                                embedding_dim=p.get("embedding_dim", 768), num_embeddings=p.get("num_embeddings", 77),
                                additional_embeddings=p.get("additional_embeddings", 4)),
        "text_proj": km.TextProjConfig(clip_extra_context_tokens=tp.get("clip_extra_context_tokens", 4),
                                       clip_embeddings_dim=tp.get("clip_embeddings_dim", 768),
                                       time_embed_dim=tp.get("time_embed_dim", 1280),
                                       cross_attention_dim=tp.get("cross_attention_dim", 1536)),
        "decoder": _unet_config(cfg("decoder"), True),
        "super_res_first": _unet_config(cfg("super_res_first"), False),
        "super_res_last": _unet_config(cfg("super_res_last"), False),
    }
    if t.get("hidden_act", "quick_gelu") != "quick_gelu":
        raise ValueError(f"text encoder hidden_act {t['hidden_act']}: only CLIP's quick_gelu is implemented")
    if (karlo / "image_encoder").is_dir():
        v = cfg("image_encoder")
        v = v.get("vision_config", v)
        configs["image_encoder"] = km.VisionConfig(
            hidden_size=v["hidden_size"], intermediate_size=v["intermediate_size"],
            num_hidden_layers=v["num_hidden_layers"], num_attention_heads=v["num_attention_heads"],
            image_size=v["image_size"], patch_size=v["patch_size"], projection_dim=v["projection_dim"],
            layer_norm_eps=v.get("layer_norm_eps", 1e-5))
    return configs


def image_normalisation(karlo: Path):
    """(mean, std) of the image encoder's input: feature_extractor/preprocessor_config.json, else CLIP's."""
    f = karlo / "feature_extractor" / "preprocessor_config.json"
    if f.exists():
        c = json.loads(f.read_text())
        return [float(x) for x in c.get("image_mean", CLIP_MEAN)], [float(x) for x in c.get("image_std", CLIP_STD)]
    return CLIP_MEAN, CLIP_STD


def load_karlo(karlo) -> dict:
    """-> {"modules": {name: module (eval)}, "tokenizer": ClipBpe, "configs": ...}; strict key match."""
    karlo = Path(karlo)
    missing = [f for f in FOLDERS if not (karlo / f).is_dir()]
    if missing:
        raise FileNotFoundError(f"{karlo} lacks {', '.join(missing)} (expected the folders of "
                                "kakaobrain/karlo-v1-alpha: " + ", ".join(FOLDERS) + ")")
    configs = read_configs(karlo)
    mods = km.build(configs)
    for name, mod in mods.items():
        sd = read_state_dict(karlo / name)
        sd = {k: v for k, v in sd.items() if not k.endswith("position_ids")}
        result = mod.load_state_dict(sd, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise ValueError(f"{karlo / name}: keys do not match the architecture; missing "
                             f"{result.missing_keys[:8]}, unexpected {result.unexpected_keys[:8]}")
        mod.eval()
    tok = ClipBpe.from_files(karlo / "tokenizer" / "vocab.json", karlo / "tokenizer" / "merges.txt")
    return {"modules": mods, "tokenizer": tok, "configs": configs}


# ---- the karlo-shaped test checkpoint ----------------------------------------------------------
def _diffusers_config(name, cfg) -> dict:
    if name == "image_encoder":
        return {**km.config_dict(cfg), "hidden_act": "quick_gelu", "architectures": ["CLIPVisionModelWithProjection"]}
    if name == "text_encoder":
        return {**km.config_dict(cfg), "hidden_act": "quick_gelu", "eos_token_id": 2,
                "architectures": ["CLIPTextModelWithProjection"]}
    if name == "prior":
        return {"_class_name": "PriorTransformer", **km.config_dict(cfg)}
    if name == "text_proj":
        return {"_class_name": "UnCLIPTextProjModel", **km.config_dict(cfg)}
    c = km.config_dict(cfg)
    out = {k: c[k] for k in ("sample_size", "in_channels", "out_channels", "layers_per_block", "block_out_channels",
                             "down_block_types", "up_block_types", "norm_num_groups", "resnet_time_scale_shift")}
    if name == "decoder":
        out.update(_class_name="UNet2DConditionModel", cross_attention_dim=cfg.cross_attention_dim,
                   attention_head_dim=cfg.attention_head_dim, class_embed_type="identity",
                   mid_block_type="UNetMidBlock2DSimpleCrossAttn" if cfg.mid_attention else "UNetMidBlock2D",
                   time_embedding_dim=cfg.time_embed_dim or None)
    else:
        out.update(_class_name="UNet2DModel", add_attention=cfg.mid_attention)
    return out


PROMPT_WORDS = ["a", "photo", "of", "cat", "dog", "red", "blue", "green", "cube", "on", "top", "the", "high",
                "resolution", "big", "frog", "leaf", "in", "and", "with"]


@torch.no_grad()
def karlo_shaped(out_dir, seed: int = 0, image_encoder: bool = False) -> Path:
    """Writes Karlo's folders (config.json + weights under Karlo's key names, vocab.json +
    merges.txt) for thin networks at Karlo's interface dimensions with seeded random weights;
    with image_encoder, also the image-variation pipeline's image_encoder folder."""
    out_dir = Path(out_dir)
    tok = small_vocabulary(PROMPT_WORDS)
    configs = km.narrow_configs(len(tok.vocab))
    if image_encoder:
        configs["image_encoder"] = km.narrow_vision_config()
    torch.manual_seed(seed)
    mods = km.build(configs)
    g = torch.Generator().manual_seed(seed + 1)
    for name, mod in mods.items():
        for key, prm in mod.named_parameters():
            if key.endswith("clip_std"):
                prm.copy_(0.5 + torch.rand(prm.shape, generator=g))
            elif key.endswith("clip_mean") or key.endswith("learned_classifier_free_guidance_embeddings"):
                prm.copy_(torch.randn(prm.shape, generator=g) * 0.1)
            elif key.endswith("positional_embedding") or key.endswith("prd_embedding"):
                prm.copy_(torch.randn(prm.shape, generator=g) * 0.02)
            elif key.startswith("conv_out."):
                # a small ε as trained denoisers start from: x0 = (x - sqrt(1-a) ε) / sqrt(a) at
                # t = 999 multiplies an ε error by 2e4, so a random ε of unit size puts pixels
                # just inside the clamp where float rounding between runtimes shows
                prm.mul_(0.05)
        (out_dir / name).mkdir(parents=True, exist_ok=True)
        (out_dir / name / "config.json").write_text(json.dumps(_diffusers_config(name, configs[name]), indent=1))
        file = "pytorch_model.bin" if name in ("text_encoder", "image_encoder") else "diffusion_pytorch_model.bin"
        torch.save(mod.state_dict(), out_dir / name / file)
    (out_dir / "tokenizer").mkdir(parents=True, exist_ok=True)
    (out_dir / "tokenizer" / "vocab.json").write_text(json.dumps(tok.vocab, ensure_ascii=False), encoding="utf-8")
    (out_dir / "tokenizer" / "merges.txt").write_text(
        "#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in tok.merges) + "\n", encoding="utf-8")
    return out_dir


# ---- ONNX ------------------------------------------------------------------------------------------
def graph_specs(mods, configs) -> dict:
    """{name: (module, input names, output names, make_inputs(batch))}, I/O per models/CONTRACT.md."""
    te, dec = configs["text_encoder"], configs["decoder"]
    D, W, L = configs["prior"].embedding_dim, te.hidden_size, CONTEXT_LENGTH
    tp = configs["text_proj"]
    C, E, R = tp.cross_attention_dim, tp.time_embed_dim, dec.sample_size
    n = tp.clip_extra_context_tokens + L
    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g)

    def ids(b):
        x = torch.zeros(b, L, dtype=torch.int64)
        for i in range(b):
            x[i, 0], x[i, 1:4 + i] = te.vocab_size - 2, 5 + i
            x[i, 4 + i] = te.vocab_size - 1
        return x

    def mask(b, m):
        x = torch.ones(b, m, dtype=torch.bool)
        x[:, m // 2:] = False
        return x

    t = lambda b: torch.tensor([999, 500, 3, 0, 250][:b] + [1] * max(0, b - 5), dtype=torch.int64)
    sr = configs["super_res_first"].sample_size
    specs = {
        "text_encoder": (mods["text_encoder"], ["input_ids"], ["text_embeds", "last_hidden_state"], lambda b: (ids(b),)),
        "prior": (mods["prior"], ["sample", "timestep", "proj_embedding", "encoder_hidden_states", "attention_mask"],
                  ["predicted_image_embedding"], lambda b: (r(b, D), t(b), r(b, D), r(b, L, W), mask(b, L))),
        "text_proj": (mods["text_proj"], ["image_embeddings", "text_embeds", "text_hidden_states"],
                      ["encoder_hidden_states", "time_embed_add"], lambda b: (r(b, D), r(b, D), r(b, L, W))),
        "decoder": (mods["decoder"], ["sample", "timestep", "encoder_hidden_states", "class_labels", "attention_mask"],
                    ["out_sample"], lambda b: (r(b, 3, R, R), t(b), r(b, n, C), r(b, E), mask(b, n))),
    }
    for name in ("super_res_first", "super_res_last"):
        specs[name] = (mods[name], ["sample", "timestep"], ["out_sample"], lambda b: (r(b, 6, sr, sr), t(b)))
    if "image_encoder" in mods:
        s = configs["image_encoder"].image_size
        specs["image_encoder"] = (mods["image_encoder"], ["pixel_values"], ["image_embeds"],
                                  lambda b: (r(b, 3, s, s),))
    return specs


def export_graph(module, in_names, out_names, make_inputs, path: Path, external_data_over=PROTOBUF_LIMIT):
    """Exports at batch 2 with only the batch axis dynamic, pins the other axes to the traced sizes,
    checks rows do not interact (batch 1 vs 3 in torch) and writes the graph, its weights as
    `<name>.data` next to it when they exceed external_data_over bytes."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="karlo-onnx") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = Path(tmp) / path.name
        torch.onnx.export(module, make_inputs(2), str(traced), input_names=in_names, output_names=out_names,
                          dynamic_axes={k: {0: "batch"} for k in in_names + out_names}, opset_version=OPSET,
                          do_constant_folding=True)
        model = onnx.load(str(traced))  # with any external data torch wrote
    with torch.no_grad():
        xs = make_inputs(2)
        ys = module(*xs)
        ys = ys if isinstance(ys, tuple) else (ys,)
    for vi, tensor in zip(list(model.graph.input) + list(model.graph.output), list(xs) + list(ys)):
        dims = vi.type.tensor_type.shape.dim
        for j in range(1, len(dims)):
            dims[j].Clear()
            dims[j].dim_value = int(tensor.shape[j])
        dims[0].Clear()
        dims[0].dim_param = "batch"
    weights = sum(onnx.numpy_helper.to_array(i).nbytes for i in model.graph.initializer)
    data = path.with_name(path.name + ".data")
    if data.exists():
        data.unlink()
    if weights > external_data_over:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data.name, size_threshold=1024)
    else:
        onnx.save_model(model, str(path))
    onnx.checker.check_model(str(path))
    with torch.no_grad():
        x3 = make_inputs(3)
        y3, y1 = module(*x3), module(*[x[:1] for x in x3])
        y3, y1 = (y3 if isinstance(y3, tuple) else (y3,)), (y1 if isinstance(y1, tuple) else (y1,))
        for u, v in zip(y1, y3):
            if not torch.allclose(u, v[:1], atol=1e-4, rtol=1e-4):
                raise RuntimeError(f"{path}: batch rows interact")
    return weights


def family_json(configs, prior, text_proj, name, description, trained, source, normalisation=None) -> dict:
    sched = {"beta_schedule": "squaredcos_cap_v2", "num_train_timesteps": 1000}
    fl = lambda t: [float(x) for x in t.detach().reshape(-1).numpy()]
    dec, sr = configs["decoder"], configs["super_res_first"]
    return {
        "name": name, "description": description, "trained": trained, "source": source,
        "tokenizer": "tokenizer.json", "context_length": CONTEXT_LENGTH,
        "embedding_dim": configs["prior"].embedding_dim, "text_width": configs["text_encoder"].hidden_size,
        "text_encoder": {"graph": GRAPH_FILES["text_encoder"]},
        "prior": {"graph": GRAPH_FILES["prior"], "clip_mean": fl(prior.clip_mean), "clip_std": fl(prior.clip_std),
                  "schedule": sched, "prediction_type": "sample", "variance_type": "fixed_small_log",
                  "clip_sample_range": 5.0, "steps": {"fast": 25, "quality": 25, "min": 2, "max": 200},
                  "guidance": {"default": 4.0, "min": 1.0, "max": 20.0}},
        "decoder": {"text_proj_graph": GRAPH_FILES["text_proj"], "graph": GRAPH_FILES["decoder"],
                    "resolution": dec.sample_size,
                    "cfg_image_embedding": fl(text_proj.learned_classifier_free_guidance_embeddings),
                    "schedule": sched, "prediction_type": "epsilon",
                    "variance_type": "learned_range" if dec.out_channels == 6 else "fixed_small_log",
                    "clip_sample_range": 1.0, "steps": {"fast": 25, "quality": 50, "min": 2, "max": 1000},
                    "guidance": {"default": 8.0, "min": 1.0, "max": 20.0}},
        "upsamplers": [{"name": "sr_256", "graph": GRAPH_FILES["super_res_first"],
                        "graph_last": GRAPH_FILES["super_res_last"], "input_resolution": dec.sample_size,
                        "output_resolution": sr.sample_size, "schedule": sched, "prediction_type": "epsilon",
                        "variance_type": "fixed_small_log", "clip_sample_range": 1.0,
                        "steps": {"fast": 7, "quality": 7, "min": 2, "max": 100}}],
        "output_sizes": [dec.sample_size, sr.sample_size],
        "default_preset": "fast",
        **({"image_encoder": {"graph": GRAPH_FILES["image_encoder"], "image_size": configs["image_encoder"].image_size,
                              "mean": normalisation[0], "std": normalisation[1]}}
           if configs.get("image_encoder") is not None else {}),
    }


# ---- the reference cascade ---------------------------------------------------------------------
class KarloCascade:
    """UnCLIPPipeline's sampling with the family's settings and the contract's seeded noise; the
    interface parity.compute_reference uses (text, prior, decoder, upsample, tokenize)."""

    def __init__(self, mods, tokenizer: ClipBpe, fj: dict):
        self.mods, self.tok, self.fj = mods, tokenizer, fj
        self.m = {"decoder": mods["decoder"], "sr_256": mods["super_res_first"]}
        self.sched = Schedule()
        self.clip_mean = mods["prior"].clip_mean.detach()[0]
        self.clip_std = mods["prior"].clip_std.detach()[0]

    def tokenize(self, prompts):
        return self.tok.encode_batch(prompts, CONTEXT_LENGTH)

    @torch.no_grad()
    def text(self, prompts):
        ids, mask = self.tokenize(prompts)
        emb, hid = self.mods["text_encoder"](torch.from_numpy(ids))
        return emb, hid, torch.from_numpy(mask)

    @staticmethod
    def _noise(seeds, stage, step, shape):
        return torch.from_numpy(np.stack([seeded_noise(s, stage, step, shape) for s in seeds]))

    @torch.no_grad()
    def prior(self, prompts, seeds, steps=25, guidance=4.0):
        p = self.fj["prior"]
        te, hid, mask = self.text(prompts)
        ue, uh, um = self.text([""] * len(prompts))
        D = te.shape[1]
        x = self._noise(seeds, 0, 0, (D,))
        ts = spaced_timesteps(steps)
        for i, t in enumerate(ts):
            prev = ts[i + 1] if i + 1 < len(ts) else -1
            tt = torch.full((2 * len(prompts),), t, dtype=torch.int64)
            out = self.mods["prior"](torch.cat([x, x]), tt, torch.cat([ue, te]), torch.cat([uh, hid]),
                                     torch.cat([um, mask]))
            u, c = out.chunk(2)
            x, _ = self.sched.step(u + guidance * (c - u), t, x, prev, self._noise(seeds, 0, i + 1, (D,)),
                                   p["prediction_type"], p["variance_type"], p["clip_sample_range"])
        return x * self.clip_std + self.clip_mean, (te, hid, mask)

    @torch.no_grad()
    def decoder(self, image_emb, text, seeds, steps=25, guidance=8.0):
        d = self.fj["decoder"]
        te, hid, mask = text
        n = len(seeds)
        if te.shape[0] == 1 and n > 1:
            te, hid, mask = te.expand(n, -1), hid.expand(n, -1, -1), mask.expand(n, -1)
        ue, uh, um = self.text([""] * n)
        cfg = torch.tensor(d["cfg_image_embedding"], dtype=torch.float32)[None].expand(n, -1)
        ctx, tadd = self.mods["text_proj"](torch.cat([cfg, image_emb]), torch.cat([ue, te]), torch.cat([uh, hid]))
        extra = ctx.shape[1] - mask.shape[1]
        dmask = torch.cat([torch.ones(2 * n, extra, dtype=torch.bool), torch.cat([um, mask])], dim=1)
        R = d["resolution"]
        x = self._noise(seeds, 1, 0, (3, R, R))
        ts = spaced_timesteps(steps)
        for i, t in enumerate(ts):
            prev = ts[i + 1] if i + 1 < len(ts) else -1
            tt = torch.full((2 * n,), t, dtype=torch.int64)
            out = self.mods["decoder"](torch.cat([x, x]), tt, ctx, tadd, dmask)
            u, c = out.chunk(2)
            eps = u[:, :3] + guidance * (c[:, :3] - u[:, :3])
            v = c[:, 3:] if c.shape[1] == 6 else None
            x, _ = self.sched.step(eps, t, x, prev, self._noise(seeds, 1, i + 1, (3, R, R)), d["prediction_type"],
                                   d["variance_type"], d["clip_sample_range"], v)
        return x.clamp(-1, 1)

    @torch.no_grad()
    def upsample(self, low, seeds, stage_index, name, steps=7):
        u = self.fj["upsamplers"][stage_index - 2]
        Ro = u["output_resolution"]
        cond = resize(low, Ro)
        x = self._noise(seeds, stage_index, 0, (3, Ro, Ro))
        ts = spaced_timesteps(steps)
        for i, t in enumerate(ts):
            prev = ts[i + 1] if i + 1 < len(ts) else -1
            net = self.mods["super_res_last"] if i == len(ts) - 1 else self.mods["super_res_first"]
            eps = net(torch.cat([x, cond], dim=1), torch.full((len(seeds),), t, dtype=torch.int64))
            x, _ = self.sched.step(eps, t, x, prev, self._noise(seeds, stage_index, i + 1, (3, Ro, Ro)),
                                   u["prediction_type"], u["variance_type"], u["clip_sample_range"])
        return x.clamp(-1, 1)


PARITY_SETTINGS = {
    "prompts": ["a photo of a red cube", "a big green frog on a leaf"],
    "seeds": [11, 12],
    "prior": {"steps": 5, "guidance": 4.0},
    # guidance 8 (Karlo's) on random weights turns 1e-5 differences in the image embedding into
    # 0.1 in the image (guidance 1: 1e-5; 3: 4e-5; measured with KarloCascade.decoder)
    "decoder": {"steps": 4, "guidance": 3.0},
    "upsampler_steps": {"sr_256": 3},
    "grid_stride": 16,
    "grid_offset": 5,
}


def export_karlo(karlo, family_dir, name=None, description=None, trained=True,
                 external_data_over=PROTOBUF_LIMIT, parity=True, log=print) -> dict:
    """Reads Karlo's folders, writes the family (graphs, family.json, tokenizer.json, parity.json)."""
    from .parity import write_reference
    karlo, family_dir = Path(karlo), Path(family_dir)
    family_dir.mkdir(parents=True, exist_ok=True)
    loaded = load_karlo(karlo)
    mods, configs, tok = loaded["modules"], loaded["configs"], loaded["tokenizer"]
    sizes = {}
    for gname, (mod, ins, outs, mk) in graph_specs(mods, configs).items():
        path = family_dir / GRAPH_FILES[gname]
        sizes[gname] = export_graph(mod, ins, outs, mk, path, external_data_over)
        log(f"exported {path} ({sizes[gname] / 1e6:.1f} MB of weights"
            f"{', external data' if sizes[gname] > external_data_over else ''})")
    fj = family_json(configs, mods["prior"], mods["text_proj"], name or family_dir.name,
                     description or "Karlo v1.0.alpha (kakaobrain), exported from " + karlo.name, trained, str(karlo),
                     image_normalisation(karlo))
    (family_dir / "family.json").write_text(json.dumps(fj, indent=1) + "\n")
    tok.write_tokenizer_json(family_dir / "tokenizer.json")
    log(f"wrote {family_dir / 'family.json'} and tokenizer.json")
    if parity:
        write_reference(family_dir, KarloCascade(mods, tok, fj), settings=PARITY_SETTINGS, verify=False, log=log)
    return {"family": fj, "weight_bytes": sizes, "parameters": {k: sum(p.numel() for p in m.parameters())
                                                                for k, m in mods.items()}}
