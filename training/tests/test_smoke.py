"""Seconds-long smoke run of every stage (tiny configs), a family export, and tokenizer checks."""
import json
import os
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from unclip_training import (world, tokenizer, schedule, train_clip, train_prior,  # noqa: E402
                             train_decoder, train_upsampler, export, judge)
from unclip_training.reference_sampler import Cascade  # noqa: E402


class Smoke(unittest.TestCase):
    def test_pipeline(self):
        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            ck = tmp / "ckpt"
            train_clip.main(["--config", "tiny", "--run-dir", str(tmp / "clip"), "--ckpt", str(ck / "clip.pt")])
            # resume works
            train_clip.main(["--config", "tiny", "--steps", "4", "--run-dir", str(tmp / "clip"),
                             "--ckpt", str(ck / "clip.pt")])
            self.assertEqual(torch.load(ck / "clip.pt")["step"], 4)
            for s in ("sr_64", "sr_256"):
                train_upsampler.main(["--stage", s, "--config", "tiny", "--run-dir", str(tmp / s),
                                      "--ckpt", str(ck / f"{s}.pt")])
            c = ["--clip", str(ck / "clip.pt")]
            train_prior.main(["--config", "tiny", "--run-dir", str(tmp / "prior"), "--ckpt", str(ck / "prior.pt")] + c)
            train_decoder.main(["--config", "tiny", "--run-dir", str(tmp / "dec"), "--ckpt", str(ck / "decoder.pt")] + c)
            fam = tmp / "family"
            export.export_family(fam, untrained=False, ckpt_dir=ck, log=lambda *_: None, check=False)
            fj = json.loads((fam / "family.json").read_text())
            self.assertTrue(fj["trained"])
            self.assertEqual(fj["context_length"], tokenizer.CONTEXT_LENGTH)
            self.assertEqual(len(fj["prior"]["clip_mean"]), fj["embedding_dim"])
            self.assertEqual(len(fj["decoder"]["cfg_image_embedding"]), fj["embedding_dim"])
            for g in ("text_encoder", "image_encoder", "prior", "text_proj", "decoder", "sr_64", "sr_256"):
                self.assertTrue((fam / f"{g}.onnx").exists(), g)
            cas = Cascade.from_checkpoints(ck)
            out = cas.generate(["a red circle on a blue background"], [7], prior_steps=2, decoder_steps=2,
                               sr_steps=2, final_size=64)
            self.assertEqual(tuple(out["sr_64"].shape), (1, 3, 64, 64))

    def test_judge_on_renders(self):
        rng = np.random.default_rng(11)
        sc = world.sample_scenes(rng, 40)
        imgs = world.to_uint8(world.to_model(world.render(sc, 256)))
        ok = [judge.judge(im, c)["ok"] for im, c in zip(imgs, sc.captions())]
        self.assertEqual(sum(ok), len(ok))

    def test_tokenizer(self):
        ids, mask = tokenizer.encode("A small RED circle in the center on a blue background")
        v = tokenizer.VOCAB
        self.assertEqual(ids[0], tokenizer.VOCAB_SIZE - 2)
        self.assertEqual(list(ids[1:4]), [v["a"], v["small"], v["red"]])
        self.assertEqual(ids[12], tokenizer.VOCAB_SIZE - 1)
        self.assertEqual(int(mask.sum()), 13)
        self.assertTrue(np.all(ids[13:] == 0))
        ids, mask = tokenizer.encode("")
        self.assertEqual(list(ids[:3]), [tokenizer.SOT_ID, tokenizer.EOT_ID, 0])
        ids, _ = tokenizer.encode("red " * 40)
        self.assertEqual(ids[-1], tokenizer.EOT_ID)
        ids, _ = tokenizer.encode("a zebra!")
        self.assertEqual(list(ids[2:4]), [1, 1])
        tj = tokenizer.tokenizer_json()
        self.assertEqual(tj["model"]["vocab"]["<|endoftext|>"], tokenizer.VOCAB_SIZE - 1)

    def test_schedule_goldens(self):
        self.assertEqual(schedule.spaced_timesteps(7), [999, 832, 666, 500, 333, 166, 0])
        s = schedule.Schedule()
        self.assertAlmostEqual(float(s.alphas_cumprod[999]), 2.428733e-9, delta=1e-14)
        self.assertEqual(schedule.splitmix64(0), 0xE220A8397B1DCDAF)
        z = schedule.seeded_noise(1, 0, 0, (1000,))
        self.assertLess(abs(float(z.mean())), 0.1)
        self.assertLess(abs(float(z.std()) - 1), 0.1)


if __name__ == "__main__":
    unittest.main()
