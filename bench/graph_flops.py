"""FLOPs of one call of an ONNX graph, counted from the graph's own operators, and a square MatMul
graph for the machine's peak.

The shapes come from ONNX Runtime itself: `GraphBench GRAPH BATCH profile PREFIX` (bench/cascade)
runs the graph once, unoptimised, with the profiler on; every node event in the profile names the
operator and the shapes of its inputs and outputs. Only the multiply-adds of Conv, ConvTranspose,
MatMul and Gemm count (2 FLOPs each); element-wise operators (normalisation, activations,
additions) are memory-bound and left out, as is usual for a FLOP count.
"""
from __future__ import annotations

import json
import math

from onnx import TensorProto, helper, save


def _shape(entry: dict) -> list:
    return next(iter(entry.values()))


def flops_from_profile(profile_path: str) -> dict:
    """-> {"flops": total, "by_op": {op: flops}, "nodes": counted nodes}."""
    with open(profile_path) as f:
        events = json.load(f)
    by_op: dict = {}
    nodes = 0
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        args = e["args"]
        op = args.get("op_name")
        if op not in ("Conv", "ConvTranspose", "MatMul", "Gemm"):
            continue
        ins = [_shape(x) for x in args["input_type_shape"]]
        y = _shape(args["output_type_shape"][0])
        if op == "Conv":
            macs = math.prod(y) * math.prod(ins[1][1:])  # N·Cout·Ho·Wo × (Cin/group)·kh·kw
        elif op == "ConvTranspose":
            macs = math.prod(ins[0]) * math.prod(ins[1][1:])  # every input element meets every tap
        elif op == "MatMul":
            macs = math.prod(y) * ins[0][-1]
        else:  # Gemm: K is the shared axis of A (transA aside, A is [M, K])
            macs = math.prod(y) * (ins[1][0] if len(ins[1]) == 2 and ins[1][1] == y[-1] else ins[1][-1])
        by_op[op] = by_op.get(op, 0) + 2 * macs
        nodes += 1
    return {"flops": sum(by_op.values()), "by_op": by_op, "nodes": nodes}


def write_matmul(path: str, n: int) -> int:
    """A graph computing a [n,n] · b [n,n]; -> its FLOPs (2n³)."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, n])
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"])], "matmul", [a, b], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, path)
    return 2 * n ** 3
