"""Karlo's networks under Karlo's key names, the CLIP BPE tokenizer, the karlo-shaped checkpoint
round trip and external-data export (seconds; the whole export runs in gateway's KarloShapedIT)."""
import json
import os
import sys
import tempfile
import unittest
from pathlib import Path

import onnx
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from unclip_training import clip_tokenizer as ct  # noqa: E402
from unclip_training import karlo_export as ke  # noqa: E402
from unclip_training import karlo_models as km  # noqa: E402
from unclip_training.parity import hashed_files  # noqa: E402

# keys of the released checkpoints (diffusers / transformers names), one per kind of layer
KARLO_KEYS = {
    "text_encoder": ["text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
                     "text_model.encoder.layers.0.self_attn.q_proj.bias", "text_model.encoder.layers.0.mlp.fc2.weight",
                     "text_model.encoder.layers.0.layer_norm2.weight", "text_model.final_layer_norm.bias",
                     "text_projection.weight"],
    "prior": ["time_embedding.linear_1.weight", "proj_in.weight", "embedding_proj.bias",
              "encoder_hidden_states_proj.weight", "positional_embedding", "prd_embedding",
              "transformer_blocks.0.attn1.to_q.weight", "transformer_blocks.0.attn1.to_out.0.bias",
              "transformer_blocks.0.norm3.weight", "transformer_blocks.0.ff.net.0.proj.weight",
              "transformer_blocks.0.ff.net.2.weight", "norm_out.weight", "proj_to_clip_embeddings.weight",
              "clip_mean", "clip_std"],
    "text_proj": ["learned_classifier_free_guidance_embeddings", "embedding_proj.weight",
                  "clip_image_embeddings_project_to_time_embeddings.bias", "clip_extra_context_tokens_proj.weight",
                  "encoder_hidden_states_proj.weight", "text_encoder_hidden_states_norm.weight"],
    "decoder": ["conv_in.weight", "time_embedding.linear_2.bias", "down_blocks.0.resnets.0.time_emb_proj.weight",
                "down_blocks.0.downsamplers.0.conv1.weight", "down_blocks.1.attentions.0.add_k_proj.weight",
                "down_blocks.1.attentions.0.group_norm.weight", "down_blocks.1.attentions.0.to_out.0.weight",
                "mid_block.attentions.0.add_v_proj.bias", "mid_block.resnets.1.norm2.weight",
                "up_blocks.0.resnets.0.conv_shortcut.weight", "up_blocks.0.upsamplers.0.conv2.weight",
                "up_blocks.1.resnets.1.conv1.weight", "conv_norm_out.weight", "conv_out.bias"],
    "super_res_first": ["conv_in.weight", "time_embedding.linear_1.weight", "down_blocks.0.downsamplers.0.norm1.weight",
                        "mid_block.resnets.0.conv1.weight", "up_blocks.1.resnets.1.conv_shortcut.weight",
                        "conv_out.weight"],
}


class KarloShapes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.tok = ct.small_vocabulary(ke.PROMPT_WORDS)
        cls.configs = km.narrow_configs(len(cls.tok.vocab))
        cls.mods = km.build(cls.configs)

    def test_keys_are_karlos(self):
        for name, keys in KARLO_KEYS.items():
            have = set(self.mods[name].state_dict())
            self.assertTrue(set(keys) <= have, f"{name}: missing {set(keys) - have}")
        # no attention in the upsamplers; the decoder's added K/V read the 1536-wide context
        self.assertFalse(any("attentions" in k for k in self.mods["super_res_first"].state_dict()))
        self.assertEqual(tuple(self.mods["decoder"].state_dict()["mid_block.attentions.0.add_k_proj.weight"].shape)[1],
                         1536)

    def test_interface_dimensions(self):
        with torch.no_grad():
            ids = torch.zeros(2, 77, dtype=torch.int64)
            ids[:, 0], ids[:, 1], ids[:, 2] = self.tok.sot, 5, self.tok.eot
            emb, hid = self.mods["text_encoder"](ids)
            self.assertEqual((tuple(emb.shape), tuple(hid.shape)), ((2, 768), (2, 77, 768)))
            mask = torch.zeros(2, 77, dtype=torch.bool)
            mask[:, :3] = True
            sample = torch.randn(2, 768)
            x0 = self.mods["prior"](sample, torch.tensor([999, 0]), emb, hid, mask)
            self.assertEqual(tuple(x0.shape), (2, 768))
            ctx, tadd = self.mods["text_proj"](torch.randn(2, 768), emb, hid)
            self.assertEqual((tuple(ctx.shape), tuple(tadd.shape)), ((2, 81, 1536), (2, 1280)))
            dmask = torch.cat([torch.ones(2, 4, dtype=torch.bool), mask], dim=1)
            out = self.mods["decoder"](torch.randn(2, 3, 64, 64), torch.tensor([999, 3]), ctx, tadd, dmask)
            self.assertEqual(tuple(out.shape), (2, 6, 64, 64))
            sr = self.mods["super_res_last"](torch.randn(1, 6, 256, 256), torch.tensor([0]))
            self.assertEqual(tuple(sr.shape), (1, 3, 256, 256))
            # the text mask reaches the prior
            other = mask.clone()
            other[:, 3] = True
            self.assertFalse(torch.allclose(x0, self.mods["prior"](sample, torch.tensor([999, 0]), emb, hid, other)))

    def test_checkpoint_round_trip_and_strict_keys(self):
        with tempfile.TemporaryDirectory() as tmp:
            ckpt = ke.karlo_shaped(Path(tmp) / "karlo", seed=3)
            loaded = ke.load_karlo(ckpt)
            again = ke.load_karlo(ckpt)
            for name, mod in loaded["modules"].items():
                for k, v in mod.state_dict().items():
                    self.assertTrue(torch.equal(v, again["modules"][name].state_dict()[k]), f"{name}.{k}")
            self.assertEqual(loaded["configs"]["decoder"].time_embed_dim, 1280)
            self.assertEqual(loaded["tokenizer"].encode("a photo"), again["tokenizer"].encode("a photo"))
            sd = torch.load(ckpt / "prior" / "diffusion_pytorch_model.bin")
            sd["transformer_blocks.0.attn1.to_q.weight_renamed"] = sd.pop("transformer_blocks.0.attn1.to_q.weight")
            torch.save(sd, ckpt / "prior" / "diffusion_pytorch_model.bin")
            with self.assertRaisesRegex(ValueError, "keys do not match"):
                ke.load_karlo(ckpt)

    def test_external_data_graph_is_hashed(self):
        specs = ke.graph_specs(self.mods, self.configs)
        mod, ins, outs, mk = specs["prior"]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "prior.onnx"
            ke.export_graph(mod.eval(), ins, outs, mk, path, external_data_over=0)
            self.assertTrue((Path(tmp) / "prior.onnx.data").exists())
            self.assertLess(path.stat().st_size, 100_000)
            m = onnx.load(str(path))
            dims = [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in m.graph.input]
            self.assertEqual(dims, [["batch", 768], ["batch"], ["batch", 768], ["batch", 77, 768], ["batch", 77]])
            fj = {"text_encoder": {"graph": "prior.onnx"}, "prior": {"graph": "prior.onnx"},
                  "decoder": {"text_proj_graph": "prior.onnx", "graph": "prior.onnx"}, "upsamplers": []}
            self.assertEqual(hashed_files(tmp, fj), ["prior.onnx", "prior.onnx.data", "prior.onnx", "prior.onnx",
                                                     "prior.onnx"])


class KarloImageEncoder(unittest.TestCase):
    def test_image_variation_folders_give_an_image_encoder(self):
        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as tmp:
            ckpt = ke.karlo_shaped(Path(tmp) / "karlo", seed=1, image_encoder=True)
            loaded = ke.load_karlo(ckpt)
            enc = loaded["modules"]["image_encoder"]
            keys = set(enc.state_dict())
            for k in ("vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
                      "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
                      "vision_model.encoder.layers.0.self_attn.k_proj.weight", "vision_model.post_layernorm.bias",
                      "visual_projection.weight"):
                self.assertIn(k, keys)
            with torch.no_grad():
                emb = enc(torch.randn(2, 3, 224, 224))
            self.assertEqual(tuple(emb.shape), (2, 768))
            fj = ke.family_json(loaded["configs"], loaded["modules"]["prior"], loaded["modules"]["text_proj"],
                                "x", "x", False, "x", ke.image_normalisation(ckpt))
            self.assertEqual(fj["image_encoder"], {"graph": "image_encoder.onnx", "image_size": 224,
                                                   "mean": ke.CLIP_MEAN, "std": ke.CLIP_STD})
            specs = ke.graph_specs(loaded["modules"], loaded["configs"])
            mod, ins, outs, mk = specs["image_encoder"]
            path = Path(tmp) / "image_encoder.onnx"
            ke.export_graph(mod, ins, outs, mk, path)
            m = onnx.load(str(path))
            shape = lambda vi: [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
            self.assertEqual(shape(m.graph.input[0]), ["batch", 3, 224, 224])
            self.assertEqual(shape(m.graph.output[0]), ["batch", 768])
        # the text-to-image folders alone: a text-only family
        with tempfile.TemporaryDirectory() as tmp:
            loaded = ke.load_karlo(ke.karlo_shaped(Path(tmp) / "karlo", seed=1))
            self.assertNotIn("image_encoder", loaded["modules"])
            fj = ke.family_json(loaded["configs"], loaded["modules"]["prior"], loaded["modules"]["text_proj"],
                                "x", "x", False, "x")
            self.assertNotIn("image_encoder", fj)


class ClipBpeTokens(unittest.TestCase):
    def test_split_pattern(self):
        self.assertEqual(ct.split_words("don't stop 42 times!!"), ["don", "'t", "stop", "4", "2", "times", "!!"])
        self.assertEqual(ct.split_words("<|startoftext|>café, x"), ["<|startoftext|>", "café", ",", "x"])
        self.assertEqual(len(ct.bytes_to_unicode()), 256)

    def test_encode_and_rows(self):
        tok = ct.small_vocabulary(["photo", "cat"])
        ids = tok.encode("A  PHOTO of a cat")
        self.assertEqual(ids[0], tok.sot)
        self.assertEqual(ids[-1], tok.eot)
        self.assertEqual(tok.eot, max(tok.vocab.values()))
        v = tok.vocab
        self.assertEqual(ids[1:-1], [v["a</w>"], v["photo</w>"], v["o"], v["f</w>"], v["a</w>"], v["cat</w>"]])
        rows, mask = tok.encode_batch(["", "photo " * 100], length=8)
        self.assertEqual(rows[0].tolist(), [tok.sot, tok.eot, 0, 0, 0, 0, 0, 0])
        self.assertEqual(mask[0].tolist(), [True, True] + [False] * 6)
        self.assertEqual(rows[1, -1], tok.eot)
        self.assertTrue(mask[1].all())
        tj = tok.tokenizer_json()
        self.assertEqual(tj["model"]["end_of_word_suffix"], "</w>")
        self.assertEqual(tj["post_processor"]["cls"], [ct.SOT, tok.sot])
        self.assertIn("p h", tj["model"]["merges"])


if __name__ == "__main__":
    unittest.main()
