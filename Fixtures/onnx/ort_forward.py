"""onnxruntime peer for the export tests (Tests/WaveMethodTests/ONNXExportTests.swift): runs an ONNX model
on one float32 input and writes every output as raw little-endian float32, so the test compares them with
wave's own forward. Needs the peers' venv (scripts/setup-peers.sh: onnxruntime, onnx, numpy); never a
dependency of wave.

    ort_forward.py MODEL INPUT_NAME INPUT.f32 DIMS OUT_DIR [--check]      (DIMS: comma-separated, e.g. 3,3,16,16)

With --check the model first goes through onnx.checker (full check, shape inference included), so a
graph that onnxruntime would accept but the standard forbids fails too (importing onnx costs about two
seconds of CPU, so tests ask for it once per graph shape). Prints one line per output: NAME d0,d1,...
(written to OUT_DIR/NAME.f32).
"""
import os
import sys

import numpy as np
import onnxruntime as ort


def main():
    model, name, path, dims, out = sys.argv[1:6]
    if "--check" in sys.argv[6:]:
        import onnx

        onnx.checker.check_model(model, full_check=True)
    x = np.fromfile(path, dtype="<f4").reshape([int(d) for d in dims.split(",")])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # the machines are shared: one core is enough for tiny models
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    for meta, value in zip(sess.get_outputs(), sess.run(None, {name: x})):
        value.astype("<f4").tofile(os.path.join(out, meta.name + ".f32"))
        print(meta.name, ",".join(str(d) for d in value.shape))


if __name__ == "__main__":
    main()
