"""Frozen-CLIP conditioning for the prior and the decoder."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import world
from .common import CKPT_DIR
from .models import Clip, ClipConfig
from .tokenizer import encode_batch


def load_clip(path=None) -> Clip:
    path = Path(path) if path else CKPT_DIR / "clip.pt"
    ck = torch.load(path, map_location="cpu")
    cfg = dict(ck["config"])
    cfg["channels"] = tuple(cfg["channels"])
    clip = Clip(ClipConfig(**cfg))
    clip.load_state_dict(ck["state_dict"])
    clip.eval()
    for p in clip.parameters():
        p.requires_grad_(False)
    clip.step = ck.get("step")
    return clip


class Conditioner:
    def __init__(self, clip: Clip):
        self.clip = clip
        with torch.no_grad():
            self.empty = self.text([""])

    @torch.no_grad()
    def text(self, captions):
        ids, mask = encode_batch(captions)
        emb, hid = self.clip.text(torch.from_numpy(ids))
        return emb, hid, torch.from_numpy(mask)

    @torch.no_grad()
    def image(self, img255_64: np.ndarray):
        return self.clip.image(torch.from_numpy(img255_64 / 127.5 - 1.0).float())

    @torch.no_grad()
    def scenes(self, scenes, image_size=None):
        """-> (image_emb [B,D], text_emb [B,D], hidden [B,L,W], mask [B,L]) for a batch of scenes."""
        s = image_size or self.clip.cfg.image_size
        ie = self.image(world.render(scenes, s))
        te, hid, mask = self.text(scenes.captions())
        return ie, te, hid, mask

    def drop_text(self, te, hid, mask, drop: torch.Tensor):
        e_te, e_hid, e_mask = self.empty
        d = drop[:, None]
        te = torch.where(d, e_te.expand_as(te), te)
        hid = torch.where(d[:, :, None], e_hid.expand_as(hid), hid)
        mask = torch.where(d, e_mask.expand_as(mask), mask)
        return te, hid, mask
