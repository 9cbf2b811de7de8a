"""evaluate_mesh against a stand-in gateway that answers every prompt with the generator's render."""
import base64
import io
import json
import os
import sys
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from unclip_training import evaluate_mesh, world  # noqa: E402


class RenderingGateway(BaseHTTPRequestHandler):
    """POST /v1/images/generations -> the prompt drawn by world.render (seeded by the request seed);
    prompts naming a circle get a square when the server's `wrong_circles` is set."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        rec = world.parse_caption(body["prompt"])
        if self.server.wrong_circles:
            rec = [1 if k in (3, 7) and x == 0 else x for k, x in enumerate(rec)]
        sc = world.scenes_from_records(np.random.default_rng(body["seed"]), [rec])
        img = world.to_uint8(world.to_model(world.render(sc, 256)))[0]
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG")
        self.server.seeds.append(body["seed"])
        out = json.dumps({"data": [{"b64_json": base64.b64encode(buf.getvalue()).decode()}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


class EvaluateMesh(unittest.TestCase):
    def run_against(self, wrong_circles, *args):
        server = HTTPServer(("127.0.0.1", 0), RenderingGateway)
        server.wrong_circles, server.seeds = wrong_circles, []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "out.json")
                stderr, sys.stderr = sys.stderr, io.StringIO()
                stdout, sys.stdout = sys.stdout, io.StringIO()
                try:
                    evaluate_mesh.main(["--url", f"http://127.0.0.1:{server.server_port}", "--json", path,
                                        *args])
                finally:
                    sys.stderr, sys.stdout = stderr, stdout
                with open(path) as f:
                    return json.load(f), server.seeds
        finally:
            server.shutdown()
            server.server_close()

    def test_prompt_set(self):
        items = evaluate_mesh.prompt_set(6, 4, 9)
        groups = [v["group"] for v in items]
        self.assertEqual(groups, ["one_object"] * 6 + ["one_object_omit"] * 9 + ["two_object"] * 4)
        for v in items:
            self.assertEqual(world.parse_caption(v["prompt"]), v["record"])
        omit = [v for v in items if v["group"] == "one_object_omit"]
        self.assertEqual([v["omits"] for v in omit], list(evaluate_mesh.OMIT_PATTERNS) * 3)
        for v in omit:
            self.assertEqual(v["record"][4] < 0, "size" in v["omits"])
            self.assertEqual(v["record"][5] < 0, "position" in v["omits"])
        one = [v for v in items if v["group"] == "one_object"]
        self.assertTrue(all(v["record"][4] >= 0 and v["record"][5] >= 0 for v in one))
        self.assertEqual(len({v["seed"] for v in items}), len(items))
        # fixed: the same set every time; the one- and two-object prompts do not depend on --omit
        self.assertEqual(items, evaluate_mesh.prompt_set(6, 4, 9))
        self.assertEqual([v["prompt"] for v in evaluate_mesh.prompt_set(6, 4, 0)],
                         [v["prompt"] for v in items if v["group"] != "one_object_omit"])
        # held out from the previous evaluation set
        old = {v["prompt"] for v in evaluate_mesh.prompt_set(100, 50, 0, seed=31337)}
        new = evaluate_mesh.prompt_set(100, 50, 0)
        self.assertLess(sum(v["prompt"] in old for v in new), 75)

    def test_prompt_set_of_one_pair(self):
        orange, yellow = world.COLORS.index("orange"), world.COLORS.index("yellow")
        items = evaluate_mesh.prompt_set(8, 30, 6, pair=(orange, yellow))
        for v in items:
            rec = v["record"]
            self.assertEqual(world.parse_caption(v["prompt"]), rec)
            self.assertEqual((rec[2], rec[1]), (orange, yellow), v["prompt"])
            if rec[0] != 0:
                self.assertNotIn(rec[6], (orange, yellow), v["prompt"])
        # the same prompts otherwise: shapes, sizes, positions and omissions as without --pair
        plain = evaluate_mesh.prompt_set(8, 30, 6)
        self.assertEqual([(v["record"][3], v["record"][4], v["record"][5], v["omits"], v["seed"]) for v in items],
                         [(v["record"][3], v["record"][4], v["record"][5], v["omits"], v["seed"]) for v in plain])

    def test_generator_renders_all_right(self):
        out, seeds = self.run_against(False, "--one", "5", "--omit", "6", "--two", "4")
        fig = out["figures"]
        self.assertEqual(len(seeds), 15)
        self.assertEqual(seeds, [v["seed"] for v in evaluate_mesh.prompt_set(5, 4, 6)])
        for g, n in (("one_object", 5), ("one_object_omit", 6), ("two_object", 4)):
            self.assertEqual(fig["groups"][g]["n"], n)
            self.assertEqual(fig["groups"][g]["all_right"], 1.0)
            self.assertEqual(len(out["results"][g]["verdicts"]), n)
        self.assertEqual(set(fig["omitted"]), set(evaluate_mesh.OMIT_PATTERNS))
        for k in ("fully_right", "colours", "shapes", "binding", "relation"):
            self.assertEqual(fig["two_object"][k], 1.0)
        self.assertEqual(sum(p["n"] for p in fig["pairs"]), 5 + 6 + 2 * 4)
        self.assertEqual(fig["weakest_pairs"], [])
        self.assertEqual(out["settings"]["source"], "mesh")

    def test_wrong_circles_show(self):
        out, _ = self.run_against(True, "--one", "12", "--omit", "0", "--two", "6")
        fig = out["figures"]
        self.assertEqual(fig["shapes"]["circle"]["right"], 0)
        self.assertGreater(fig["shapes"]["circle"]["n"], 0)
        self.assertEqual(fig["shapes"]["square"]["rate"], 1.0)
        self.assertTrue(fig["weakest_pairs"])
        self.assertTrue(all(p["rate"] < 1 for p in fig["weakest_pairs"]))
        two = [v for v in out["results"]["two_object"]["verdicts"]]
        for v in two:
            circles = [v["record"][3], v["record"][7]].count(0)
            self.assertEqual(v["two_object_checks"]["binding"], circles == 0)
            self.assertTrue(v["two_object_checks"]["colours"])
            self.assertTrue(v["two_object_checks"]["relation"])


if __name__ == "__main__":
    unittest.main()
