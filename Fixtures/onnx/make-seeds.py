"""Writes Fixtures/onnx/seeds/*.onnx: tiny valid models, one per payload form, as the FuzzONNX seed corpus.

    ~/.cache/wave/venv/bin/python Fixtures/onnx/make-seeds.py Fixtures/onnx/seeds

Made with the onnx package's helpers (not wave's own encoder) so the fuzzer starts from another writer's bytes.
"""
import os, sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def save(name, inits, nodes=(), inputs=("x",), outputs=("y",)):
    g = helper.make_graph(list(nodes), "seed",
                          [helper.make_tensor_value_info(i, TensorProto.FLOAT, [1, 2]) for i in inputs],
                          [helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, 3]) for o in outputs],
                          initializer=list(inits))
    m = helper.make_model(g, producer_name="wave-seeds", opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 7
    with open(os.path.join(out, name), "wb") as f:
        f.write(m.SerializeToString())

w = np.arange(6, dtype=np.float32).reshape(2, 3)
save("raw_matmul.onnx", [numpy_helper.from_array(w, "onnx::MatMul_5")],
     [helper.make_node("MatMul", ["x", "onnx::MatMul_5"], ["y"], name="/blocks.0/mlp/fc1/MatMul")])
save("float_data.onnx", [helper.make_tensor("w", TensorProto.FLOAT, [2, 3], w.reshape(-1).tolist())])
# make_tensor converts the floats to FLOAT16 bit patterns in int32_data itself.
save("int32_f16.onnx", [helper.make_tensor("h", TensorProto.FLOAT16, [3], [1.0, -2.0, 0.5])])
save("int64_double.onnx", [helper.make_tensor("i", TensorProto.INT64, [3], [-1, 0, 1 << 40]),
                           helper.make_tensor("d", TensorProto.DOUBLE, [2], [0.25, -1e300])])
save("int8_bool.onnx", [helper.make_tensor("q", TensorProto.INT8, [3], [-128, 0, 127]),
                        helper.make_tensor("b", TensorProto.BOOL, [2], [True, False])])
const = helper.make_node("Constant", [], ["c"], name="/Constant",
                         value=helper.make_tensor("", TensorProto.FLOAT, [2], [9.0, 8.0]))
save("constant.onnx", [], [const, helper.make_node("Add", ["x", "c"], ["y"], name="/Add")])
ext = TensorProto(name="e", data_type=TensorProto.FLOAT, dims=[2])
ext.data_location = TensorProto.EXTERNAL
for k, v in [("location", "w.bin"), ("offset", "0"), ("length", "8")]:
    ext.external_data.add(key=k, value=v)
with open(os.path.join(out, "w.bin"), "wb") as f:  # the data external.onnx points at: [1.0, 2.0]
    f.write(np.array([1, 2], np.float32).tobytes())
save("external.onnx", [ext])
# The position-embedding pattern of the real model: a CLS part concatenated with a resized patch grid.
cls = numpy_helper.from_array(np.ones((1, 1, 2), np.float32), "onnx::Concat_7")
grid = numpy_helper.from_array(np.ones((1, 4, 2), np.float32), "onnx::Reshape_8")
shape = numpy_helper.from_array(np.array([1, 4, 2], np.int64), "shape")
save("pos_embed.onnx", [cls, grid, shape], [
    helper.make_node("Reshape", ["onnx::Reshape_8", "shape"], ["r"], name="/embeddings/Reshape_1"),
    helper.make_node("Concat", ["onnx::Concat_7", "r"], ["p"], name="/embeddings/Concat_6", axis=1),
    helper.make_node("Add", ["x", "p"], ["y"], name="/embeddings/Add")])
