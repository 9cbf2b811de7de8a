"""Writes the tiny ONNX fixture of OnnxModelTest (opset 17):
inputs  x float32 [B,3], t int64 [B], m bool [B,3]
outputs y float32 [B,3] = x * float(t)[:,None] + float(m);  s float32 [B] = sum(x, axis=1)
Run: /usr/bin/python3 diffusion-core/src/test/python/make_tiny_onnx.py
"""
import os

import onnx
from onnx import TensorProto, helper

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "resources", "onnx", "tiny.onnx")

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", 3])
t = helper.make_tensor_value_info("t", TensorProto.INT64, ["B"])
m = helper.make_tensor_value_info("m", TensorProto.BOOL, ["B", 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", 3])
s = helper.make_tensor_value_info("s", TensorProto.FLOAT, ["B"])
axes1 = helper.make_tensor("axes1", TensorProto.INT64, [1], [1])
nodes = [
    helper.make_node("Cast", ["t"], ["tf"], to=TensorProto.FLOAT),
    helper.make_node("Unsqueeze", ["tf", "axes1"], ["tcol"]),
    helper.make_node("Mul", ["x", "tcol"], ["xt"]),
    helper.make_node("Cast", ["m"], ["mf"], to=TensorProto.FLOAT),
    helper.make_node("Add", ["xt", "mf"], ["y"]),
    helper.make_node("ReduceSum", ["x", "axes1"], ["s"], keepdims=0),
]
graph = helper.make_graph(nodes, "tiny", [x, t, m], [y, s], initializer=[axes1])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="unclip-tests")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, out)
print("wrote", os.path.abspath(out))
