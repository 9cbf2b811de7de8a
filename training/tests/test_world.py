import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from unclip_training import world, judge  # noqa: E402


def one_object(shape: str, n: int, seed: int) -> world.Scenes:
    sc = world.sample_scenes(np.random.default_rng(seed), n, p_two=0.0, p_omit_size=0.0, p_omit_pos=0.0)
    sc.attrs["s1"][:] = world.SHAPES.index(shape)
    sc.attrs["size1"][:] = 1          # large, so the judge at 256 px sees the outline well
    return sc


def shapes_at_256(sc: world.Scenes) -> list:
    return [[o["shape"] for o in judge.analyse(im)["objects"]]
            for im in world.to_uint8(world.to_model(world.render(sc, 256)))]


class Warped(unittest.TestCase):
    """world.warped: the near misses an upsampler learns to bring back to the world's shapes."""

    def test_no_warp_renders_the_world(self):
        sc = world.sample_scenes(np.random.default_rng(0), 64)
        same = world.warped(np.random.default_rng(1), sc, p=0.0)
        np.testing.assert_array_equal(world.render(same, 32), world.render(sc, 32))

    def test_rounded_squares_are_near_misses(self):
        sc = one_object("square", 12, 2)
        rounded = world.warped(np.random.default_rng(3), sc, p=1.0, max_aspect=0.0, max_lump=0.0,
                               max_shear=0.0)
        rounded.warp["1"][:, 1:5] = 0.25                       # every corner, a quarter of the side
        self.assertEqual(shapes_at_256(sc), [["square"]] * 12)
        seen = shapes_at_256(rounded)
        self.assertEqual(sum(s == ["square"] for s in seen), 0, seen)
        # the object keeps its place and size: only the corners lose coverage
        a, b = world.render(sc, 64), world.render(rounded, 64)
        obj = (a != world.PALETTE[sc.attrs["bg"]][:, :, None, None]).any(axis=1)
        changed = (a != b).any(axis=1)
        self.assertTrue((changed <= obj).all())
        self.assertGreater(changed.sum(), 0.02 * obj.sum())
        self.assertLess(changed.sum(), 0.15 * obj.sum())

    def test_lumpy_circles_are_not_circles(self):
        sc = one_object("circle", 12, 4)
        lumpy = world.warped(np.random.default_rng(5), sc, p=1.0, max_aspect=0.0, max_radius=0.0,
                             max_shear=0.0)
        lumpy.warp["1"][:, 5] = 0.06
        lumpy.warp["1"][:, 6] = np.where(np.arange(12) % 2 == 0, 3.0, 5.0)
        self.assertEqual(shapes_at_256(sc), [["circle"]] * 12)
        seen = shapes_at_256(lumpy)
        self.assertEqual(sum(s == ["circle"] for s in seen), 0, seen)

    def test_subset_keeps_the_warp(self):
        sc = world.warped(np.random.default_rng(6), world.sample_scenes(np.random.default_rng(7), 10), p=1.0)
        np.testing.assert_array_equal(world.render(sc.subset(np.arange(3, 6)), 32), world.render(sc, 32)[3:6])


class OversampleShape(unittest.TestCase):
    def test_square_share(self):
        rng = np.random.default_rng(8)
        sc = world.oversample_shape(rng, world.sample_scenes(rng, 4000, p_two=0.6), world.SHAPES.index("square"), 0.3)
        share = np.mean(sc.attrs["s1"] == 1)
        self.assertAlmostEqual(share, 1 / 3 + 0.3 * 2 / 3, delta=0.03)
        two = sc.attrs["kind"] != 0
        self.assertTrue((sc.attrs["s2"][~two] == -1).all())
        self.assertAlmostEqual(np.mean(sc.attrs["s2"][two] == 1), 1 / 3 + 0.3 * 2 / 3, delta=0.04)


if __name__ == "__main__":
    unittest.main()
