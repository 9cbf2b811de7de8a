"""Cascade parity reference: what the PyTorch reference sampler makes of a family's own weights.

`write_reference` runs the reference cascade (reference_sampler.Cascade) on the torch modules that a
family folder was exported from and writes `models/<family>/parity.json`. The Java test
`diffusion-core/src/test/java/org/unclip/core/pipeline/FamilyParityTest.java` loads the family's
ONNX graphs, replays every stage from the torch inputs recorded here, then the whole cascade from
the token ids, and compares (tolerances in that test and in training/README.md).

    python3 training/parity.py --family-dir models/shapes-tiny         # regenerate for an export
    python3 training/parity.py --family-dir models/shapes-untrained    # (--untrained is read from family.json)

Writing refuses unless the torch modules (checkpoints, or the seeded random weights of an untrained
family, with the current model code) are the ones in the family: re-exporting them must give the
same ONNX initializers and nodes as the family's graphs, and family.json's clip_mean/clip_std/
cfg_image_embedding must equal the torch values. export.py calls
`write_reference` after each export, so a family and its parity.json always travel together.

parity.json layout (tensors are {"shape": [...], "data": [row-major floats]}, floats written as the
shortest decimal that reads back as the same float32):
  settings      prompts, seeds (seed n drives prompt n), per-stage steps/guidance/noise stage index,
                stage order, the sr_256 sampling grid
  graphs        sha256 of each ONNX file the reference was computed for, and of each external-data
                file (<graph>.onnx.data) those graphs read
  text          input_ids / attention_mask (Python tokenizer), text_embeds, last_hidden_state; the
                same for "" under text.unconditional
  prior         image_embeds: the denormalised embeddings after the prior loop
  decoder       image: [N,3,32,32] clamped decoder output, computed from prior.image_embeds
  <upsampler>   image: the clamped output computed from the previous stage's image (all but the last)
  <last one>    grid: image[:, :, o::s, o::s] of the final image (s = settings.grid_stride, o =
                settings.grid_offset), png_base64: the final image as 8-bit PNG (one per seed)
The whole cascade run from the prompts has the same final image as the chained stages, so the final
stage's entries are also the reference for the Java end-to-end run.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import torch

from . import world
from .common import CKPT_DIR, setup_threads
from .export import load_family_modules
from .reference_sampler import Cascade
from .tokenizer import encode_batch

FORMAT = 1

DEFAULT_SETTINGS = {
    "prompts": ["a large red circle on a blue background",
                "a yellow triangle to the left of a green square on a white background"],
    "seeds": [11, 12],
    "prior": {"steps": 5, "guidance": 4.0},
    "decoder": {"steps": 6, "guidance": 3.0},
    "upsampler_steps": {"sr_64": 3, "sr_256": 2},
    "grid_stride": 8,
    "grid_offset": 3,
}


# ---- weights check ----------------------------------------------------------------------------
def family_graphs(fj: dict) -> list:
    """Every ONNX file family.json names, in cascade order (image encoder last)."""
    names = [fj["text_encoder"]["graph"], fj["prior"]["graph"], fj["decoder"]["text_proj_graph"],
             fj["decoder"]["graph"]]
    for u in fj["upsamplers"]:
        names.append(u["graph"])
        if u.get("graph_last"):
            names.append(u["graph_last"])
    if fj.get("image_encoder"):
        names.append(fj["image_encoder"]["graph"])
    return names


def hashed_files(family_dir, fj: dict) -> list:
    """Every graph family.json names, then the external-data files those graphs use (by name)."""
    import onnx.external_data_helper as ext
    family_dir = Path(family_dir)
    out = []
    for g in family_graphs(fj):
        out.append(g)
        model = onnx.load(str(family_dir / g), load_external_data=False)
        for t in ext._get_all_tensors(model):
            if ext.uses_external_data(t):
                loc = next(e.value for e in t.external_data if e.key == "location")
                if loc not in out:
                    out.append(loc)
    return out


def _graph_difference(on_disk, fresh) -> str | None:
    init = lambda m: {i.name: onnx.numpy_helper.to_array(i).tobytes() for i in m.graph.initializer}
    nodes = lambda m: [(n.op_type, list(n.input), list(n.output), str(n.attribute)) for n in m.graph.node]
    a, b = init(on_disk), init(fresh)
    if a == b and nodes(on_disk) == nodes(fresh):
        return None
    fresh_values = set(b.values())
    missing = sum(1 for v in a.values() if v not in fresh_values)
    if missing:
        return f"{missing} of {len(a)} initializers hold values the torch modules do not have (other weights)"
    return (f"the torch weights are there but the graph differs ({len(on_disk.graph.node)} vs "
            f"{len(fresh.graph.node)} nodes): the model code changed since the export")


def weight_mismatches(family_dir, mods) -> list:
    """-> list of problems; empty when re-exporting these torch modules gives the family's graphs
    (same initializers, same nodes) and family.json holds their statistics."""
    import tempfile
    import warnings
    from .export import export_graph, graph_specs
    family_dir = Path(family_dir)
    fj = json.loads((family_dir / "family.json").read_text())
    specs = {f"{name}.onnx": spec for name, spec in graph_specs(mods).items()}
    problems = []
    with tempfile.TemporaryDirectory(prefix="parity") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for g in family_graphs(fj):
            if g not in specs:
                problems.append(f"{g}: no torch module exports to this file")
                continue
            mod, ins, outs, mk = specs[g]
            fresh = export_graph(mod.eval(), ins, outs, mk, Path(tmp) / g, check=False)
            diff = _graph_difference(onnx.load(str(family_dir / g)), fresh)
            if diff:
                problems.append(f"{g}: {diff}")
    same = lambda a, b: np.array_equal(np.asarray(a, np.float32), np.asarray(b, np.float32).reshape(-1))
    if not same(fj["prior"]["clip_mean"], mods["clip_mean"]) or not same(fj["prior"]["clip_std"], mods["clip_std"]):
        problems.append("family.json prior.clip_mean/clip_std differ from the torch statistics")
    if not same(fj["decoder"]["cfg_image_embedding"], mods["decoder"].cfg_image_embedding.detach().numpy()):
        problems.append("family.json decoder.cfg_image_embedding differs from the torch decoder")
    return problems


# ---- serialisation ----------------------------------------------------------------------------
class _Floats:
    """A float array written verbatim (shortest float32 round-trip decimals)."""

    def __init__(self, a):
        self.a = np.asarray(a, dtype=np.float32).reshape(-1)

    def text(self):
        if not np.isfinite(self.a).all():
            raise ValueError("non-finite value in a parity tensor")
        return "[" + ",".join(str(v) for v in self.a) + "]"


def _tensor(x):
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return {"shape": list(x.shape), "data": _Floats(x)}


def _dumps(obj) -> str:
    raws = []

    def walk(o):
        if isinstance(o, _Floats):
            raws.append(o.text())
            return f"@@RAW{len(raws) - 1}@@"
        if isinstance(o, dict):
            return {k: walk(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [walk(v) for v in o]
        return o

    text = json.dumps(walk(obj), indent=1)
    for i, r in enumerate(raws):
        text = text.replace(f'"@@RAW{i}@@"', r, 1)
    return text + "\n"


def _png_base64(img_chw) -> str:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(world.to_uint8(img_chw.numpy())).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- the reference ----------------------------------------------------------------------------
@torch.no_grad()
def compute_reference(cascade: Cascade, fj: dict, settings: dict) -> dict:
    prompts, seeds = list(settings["prompts"]), [int(s) for s in settings["seeds"]]
    if len(prompts) != len(seeds):
        raise ValueError("one seed per prompt")
    ps, pg = settings["prior"]["steps"], settings["prior"]["guidance"]
    ds, dg = settings["decoder"]["steps"], settings["decoder"]["guidance"]
    ups = []
    for k, u in enumerate(fj["upsamplers"]):
        if u["name"] not in cascade.m:
            raise ValueError(f"no torch module for upsampler {u['name']}")
        ups.append({"name": u["name"], "steps": int(settings["upsampler_steps"][u["name"]]),
                    "noise_stage": 2 + k, "input_resolution": u["input_resolution"],
                    "output_resolution": u["output_resolution"]})

    tokenize = getattr(cascade, "tokenize", encode_batch)
    ids, mask = tokenize(prompts)
    uids, umask = tokenize([""])
    te, hid, _ = cascade.text(prompts)
    ue, uh, _ = cascade.text([""])

    emb, text = cascade.prior(prompts, seeds, ps, pg)
    image = cascade.decoder(emb, text, seeds, ds, dg)
    out = {
        "text": {
            "input_ids": ids.tolist(), "attention_mask": mask.astype(int).tolist(),
            "text_embeds": _tensor(te), "last_hidden_state": _tensor(hid),
            "unconditional": {"prompt": "", "input_ids": uids.tolist(),
                              "attention_mask": umask.astype(int).tolist(),
                              "text_embeds": _tensor(ue), "last_hidden_state": _tensor(uh)},
        },
        "prior": {"image_embeds": _tensor(emb)},
        "decoder": {"image": _tensor(image)},
    }
    stride, offset = int(settings["grid_stride"]), int(settings["grid_offset"])
    for k, u in enumerate(ups):
        image = cascade.upsample(image, seeds, u["noise_stage"], u["name"], u["steps"])
        if k + 1 < len(ups):
            out[u["name"]] = {"image": _tensor(image)}
        else:
            out[u["name"]] = {"grid": _tensor(image[:, :, offset::stride, offset::stride]),
                              "png_base64": [_png_base64(im) for im in image]}
    out["settings"] = {
        "prompts": prompts, "seeds": seeds,
        "stage_order": ["text_encoder", "prior", "decoder"] + [u["name"] for u in ups],
        "prior": {"steps": ps, "guidance": pg, "noise_stage": 0},
        "decoder": {"steps": ds, "guidance": dg, "noise_stage": 1,
                    "resolution": int(fj["decoder"]["resolution"])},
        "upsamplers": ups,
        "final_size": ups[-1]["output_resolution"] if ups else int(fj["decoder"]["resolution"]),
        "grid_stride": stride, "grid_offset": offset,
    }
    return out


def write_reference(family_dir, cascade_or_modules, settings=None, verify=True, log=print) -> Path:
    """Runs the reference on these torch weights and writes <family_dir>/parity.json.

    cascade_or_modules: a reference_sampler.Cascade (or any cascade with its text / prior /
    decoder / upsample methods and a tokenize method, such as karlo_export.KarloCascade) or the dict
    of load_family_modules. With
    verify (default) it first checks that the family's ONNX graphs hold exactly these weights.
    """
    family_dir = Path(family_dir)
    cascade = Cascade(cascade_or_modules) if isinstance(cascade_or_modules, dict) else cascade_or_modules
    fj = json.loads((family_dir / "family.json").read_text())
    if verify:
        problems = weight_mismatches(family_dir, cascade.m)
        if problems:
            raise RuntimeError(f"{family_dir}: the ONNX graphs were not exported from these torch weights, "
                               "so no parity.json was written (re-export the family):\n  " + "\n  ".join(problems))
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    body = compute_reference(cascade, fj, settings)
    doc = {
        "format": FORMAT,
        "family": fj["name"],
        "trained": fj["trained"],
        "generator": "training/unclip_training/parity.py (PyTorch " + torch.__version__ + ")",
        "graphs": {g: _sha256(family_dir / g) for g in hashed_files(family_dir, fj)},
        "settings": body.pop("settings"),
        **body,
    }
    path = family_dir / "parity.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(_dumps(doc))
    tmp.replace(path)
    log(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family-dir", required=True)
    ap.add_argument("--ckpt-dir", default=str(CKPT_DIR))
    ap.add_argument("--untrained", action="store_true", default=None,
                    help="random weights (default: read from family.json's 'trained')")
    args = ap.parse_args(argv)
    setup_threads()
    fam = Path(args.family_dir)
    fj = json.loads((fam / "family.json").read_text())
    untrained = (not fj["trained"]) if args.untrained is None else True
    mods = load_family_modules(args.ckpt_dir, untrained)
    problems = weight_mismatches(fam, mods)
    if problems:
        raise SystemExit(f"{fam}: its ONNX graphs are not what exporting "
                         f"{'the seeded untrained modules' if untrained else args.ckpt_dir} gives now; re-export "
                         f"(training/export.py --family-dir {fam}{' --untrained' if untrained else ''}), "
                         "which writes parity.json too:\n  " + "\n  ".join(problems))
    write_reference(fam, mods, verify=False)


if __name__ == "__main__":
    main()
