import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from unclip_training import world, judge  # noqa: E402


class JudgeOnGeneratorRenders(unittest.TestCase):
    def check(self, size, n, seed):
        rng = np.random.default_rng(seed)
        sc = world.sample_scenes(rng, n)
        imgs = world.to_uint8(world.to_model(world.render(sc, size)))
        full = sc.subset(np.arange(n))
        full.cap_size[:] = full.attrs["kind"] == 0
        full.cap_pos[:] = full.attrs["kind"] == 0
        recs = full.caption_records()
        bad = []
        for im, r, cap in zip(imgs, recs, full.captions()):
            j = judge.judge(im, r)
            if not j["ok"]:
                bad.append((cap, j["checks"]))
        self.assertLessEqual(len(bad), n // 100, f"{size}px: {bad[:5]}")

    def test_256(self):
        self.check(256, 150, 0)

    def test_64(self):
        self.check(64, 300, 1)

    def test_32_lenient(self):
        rng = np.random.default_rng(2)
        sc = world.sample_scenes(rng, 200, p_two=0.0, p_omit_size=0, p_omit_pos=0)
        imgs = world.to_uint8(world.to_model(world.render(sc, 32)))
        ok = np.mean([judge.judge(im, c)["ok"] for im, c in zip(imgs, sc.captions())])
        self.assertGreater(ok, 0.9)

    def test_caption_roundtrip(self):
        rng = np.random.default_rng(3)
        sc = world.sample_scenes(rng, 500)
        for cap, rec in zip(sc.captions(), sc.caption_records()):
            self.assertEqual(world.parse_caption(cap), list(rec))

    def test_grammar_rules(self):
        rng = np.random.default_rng(4)
        sc = world.sample_scenes(rng, 2000)
        a = sc.attrs
        self.assertTrue(np.all(a["c1"] != a["bg"]))
        two = a["kind"] > 0
        self.assertTrue(np.all((a["c2"] != a["bg"])[two] & (a["c2"] != a["c1"])[two]))
        self.assertTrue(np.all(world.caption_matches(sc.caption_records(), sc.scene_records()).diagonal()))

    def test_wrong_caption_rejected(self):
        rng = np.random.default_rng(5)
        sc = world.sample_scenes(rng, 50, p_two=0.0, p_omit_size=0, p_omit_pos=0)
        imgs = world.to_uint8(world.to_model(world.render(sc, 256)))
        for im, r in zip(imgs, sc.caption_records()):
            r2 = r.copy(); r2[3] = (r2[3] + 1) % 3
            self.assertFalse(judge.judge(im, r2)["ok"])


if __name__ == "__main__":
    unittest.main()
