"""The judge against its two reference sets (unclip_training/judge_calibration.py): the best a cascade
with a 32 or 64 px base decoder could deliver is read right; rounded squares, teardrops, eggs and
pawns are not read as squares or circles, drawn at 256 px or at 32 px and upsampled alike."""
import os
import sys
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from unclip_training import judge, world  # noqa: E402
from unclip_training import judge_calibration as cal  # noqa: E402


class GoodSet(unittest.TestCase):
    """Generator scenes at the base resolution, bicubic to 256 px: faceted circles, soft corners and
    blunted apexes are resolution, not drawing errors."""

    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)

    def check(self, base, how, noise, n, seed, allowed):
        imgs, recs = cal.good_set(n, seed, base, how, noise)
        bad = []
        for im, r in zip(imgs, recs):
            v = judge.judge(im, r)
            if not v["ok"]:
                bad.append((world.record_caption(r), [(o["color"], o["shape"]) for o in v["analysis"]["objects"]]))
        self.assertLessEqual(len(bad), allowed, f"{base} px -> 256 ({how}, noise {noise}): {bad}")

    def test_32_bicubic(self):
        self.check(32, "pil", 0.0, 40, 11, 0)

    def test_32_cascade_resize_noisy(self):
        self.check(32, "cascade", 2.0, 40, 12, 1)

    def test_64_cascade_resize_noisy(self):
        self.check(64, "cascade", 2.0, 30, 13, 0)

    def test_statistics_match_the_judge(self):
        imgs, _ = cal.good_set(6, 14, 32, "cascade", 2.0)
        for im in imgs:
            self.assertEqual([o["shape"] for o in cal.object_stats(im)],
                             [o["shape"] for o in judge.analyse(im)["objects"]])


class FailureSet(unittest.TestCase):
    """Lookalikes at every object size of the world (sides 0.22-0.55)."""

    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)

    def seen(self, base, how, noise, n, seed):
        out = {}
        for im, kp, side in cal.shape_set(cal.LOOKALIKES, n, seed, base, how, noise):
            objs = judge.analyse(im)["objects"]
            out.setdefault(kp, []).append(objs[0]["shape"] if len(objs) == 1 else f"{len(objs)} objects")
        return out

    def test_256_none_taken(self):
        for kp, shapes in self.seen(256, "pil", 0.0, 3, 21).items():
            self.assertFalse(set(shapes) & {"square", "circle"}, f"{kp}: {shapes}")

    def test_32_upsampled_rejected(self):
        for how, noise, seed in (("pil", 0.0, 22), ("cascade", 2.0, 23)):
            seen = self.seen(32, how, noise, 3, seed)
            taken = [(kp, s) for kp, shapes in seen.items() for s in shapes if s in ("square", "circle")]
            # >= 95 %: at most two of the 42
            self.assertLessEqual(len(taken), 2, f"32 px -> 256 ({how}, noise {noise}): {taken}")

    def test_controls_accepted(self):
        """The same drawing code with the world's own shapes: read as themselves."""
        for base, how, noise, seed in ((256, "pil", 0.0, 24), (32, "cascade", 2.0, 25)):
            for im, kp, _ in cal.shape_set([("square", 0, 1.0), ("circle", 0, 1.0)], 4, seed, base, how, noise):
                objs = judge.analyse(im)["objects"]
                self.assertEqual([o["shape"] for o in objs], [kp[0]], f"{kp[0]} {base} px ({how}, noise {noise})")


class Report(unittest.TestCase):
    def test_main(self):
        import io
        import json
        import tempfile
        from contextlib import redirect_stdout
        with tempfile.TemporaryDirectory() as tmp:
            # an evaluate_mesh grid and json of three generator renders stand in for the cascade
            sc = world.sample_scenes(np.random.default_rng(31), 3, p_two=0.0, p_omit_size=0, p_omit_pos=0)
            world.save_png(world.grid(list(world.to_uint8(world.to_model(world.render(sc, 256)))), 10),
                           os.path.join(tmp, "grid.png"))
            verdicts = [{"record": [int(x) for x in r]} for r in sc.caption_records()]
            with open(os.path.join(tmp, "ref.json"), "w") as f:
                json.dump({"results": {"one_object": {"verdicts": verdicts}}}, f)
            out = os.path.join(tmp, "cal.json")
            with redirect_stdout(io.StringIO()) as text:
                cal.main(["--n-good", "2", "--n-fail", "1", "--out", out, "--grid", os.path.join(tmp, "grid.png"),
                          "--json", os.path.join(tmp, "ref.json")])
            res = json.load(open(out))
        self.assertEqual(len(res["good"]), len(cal.GOOD_CONFIGS))
        self.assertEqual(len(res["fail"]), len(cal.FAIL_CONFIGS))
        self.assertIn("good 32->256: square", res["statistics"]["square fill (>= 0.9)"])
        self.assertIn("lookalike 32->256: rounded 0.15/1", text.getvalue())
        n = sum(g[-1] for k, g in res["statistics"]["(|w - h| - 1) / s (<= 0.08)"].items() if k.startswith("cascade"))
        self.assertEqual(n, 3)


if __name__ == "__main__":
    unittest.main()
