"""Golden for DINOv2GoldenTests: onnxruntime's output of the DINOv2 ViT-S/14 backbone's final LayerNorm
on real images, computed from the same ONNX that wave loads.

    ~/.cache/wave/venv/bin/python Fixtures/dinov2/make_golden.py [ONNX] [FASHION_MNIST_DIR] > Fixtures/dinov2/golden.json

Input: the first IMAGES Fashion-MNIST test images, preprocessed exactly as wave's BatchLoader does with
Preprocess.imageNet(size: 224): bytes, bilinear resize 28 -> 224 (align_corners=False, source
coordinate clamped at 0, like torch F.interpolate), /255, replicated to 3 channels, (v - mean) / std
with 1/std precomputed. Every step is float32 in the same order as the Swift code, so the two
inputs are bit-identical; the golden records input checksums so the test can prove that first.

The graph is cut at the final LayerNorm's last op (the node under /backbone/layernorm/) so the
saliency decoder does not run. The graph resizes the 37x37 position grid itself (Resize, cubic,
a = -0.75, half_pixel, by output size, no antialias) - the same convention as timm's
resample_abs_pos_embed that wave applies when loading.
"""
import gzip
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

IMAGES = 2
SIZE = 224
# Tokens stored in full: the class token and patch tokens spread over the grid (corners, centre).
TOKENS = [0, 1, 8, 16, 17, 100, 120, 137, 200, 241, 256]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def final_layernorm_output(model):
    nodes = [n for n in model.graph.node if n.name.startswith("/backbone/layernorm/")]
    assert nodes, "no node under /backbone/layernorm/"
    return nodes[-1].output[0]


def bilinear_axis(in_size, out_size):
    # Mirrors BilinearAxis (ImageDataset.swift): indices and weights in double, weights cast to float.
    scale = in_size / out_size
    i0, i1, w1 = [], [], []
    for d in range(out_size):
        src = max(0.0, (d + 0.5) * scale - 0.5)
        lo = min(int(src), in_size - 1)
        i0.append(lo)
        i1.append(min(lo + 1, in_size - 1))
        w1.append(np.float32(src - lo))
    return np.array(i0), np.array(i1), np.array(w1, dtype=np.float32)


def preprocess(pixels):
    """pixels [N, H, W] uint8 -> [N, 3, SIZE, SIZE] float32, as BatchLoader.writeImage."""
    n, h, w = pixels.shape
    yi0, yi1, wy = bilinear_axis(h, SIZE)
    xi0, xi1, wx = bilinear_axis(w, SIZE)
    one = np.float32(1)
    out = np.empty((n, 3, SIZE, SIZE), dtype=np.float32)
    for k in range(n):
        p = pixels[k].astype(np.float32)
        r0, r1 = p[yi0], p[yi1]  # [S, W]
        a = r0[:, xi0] * (one - wx) + r0[:, xi1] * wx
        b = r1[:, xi0] * (one - wx) + r1[:, xi1] * wx
        plane = (a * (one - wy)[:, None] + b * wy[:, None]) / np.float32(255)
        for c in range(3):
            inv = np.float32(1) / np.float32(STD[c])
            out[k, c] = (plane - np.float32(MEAN[c])) * inv
    return out


def read_idx_images(path, count):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    assert magic == 0x803 and n >= count
    return np.frombuffer(data[16:16 + count * rows * cols], dtype=np.uint8).reshape(count, rows, cols)


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def main():
    cache = os.environ.get("WAVE_CACHE", os.path.expanduser("~/.cache/wave"))
    onnx_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(cache, "vit_s_focus.onnx")
    data_dir = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"

    model = onnx.load(onnx_path)
    target = final_layernorm_output(model)
    # Expose the LayerNorm output as the only graph output; onnxruntime prunes the decoder.
    del model.graph.output[:]
    model.graph.output.append(onnx.helper.make_tensor_value_info(target, onnx.TensorProto.FLOAT, None))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])

    pixels = read_idx_images(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"), IMAGES)
    x = preprocess(pixels)
    (tokens,) = sess.run(None, {sess.get_inputs()[0].name: x})
    assert tokens.shape == (IMAGES, 257, 384), tokens.shape

    images = []
    for k in range(IMAGES):
        t = tokens[k].astype(np.float64)
        images.append({
            "input_sum": float(x[k].astype(np.float64).sum()),
            "input_abs_sum": float(np.abs(x[k].astype(np.float64)).sum()),
            "input_samples": floats(x[k].ravel()[::9973]),
            "tokens": [floats(tokens[k, i]) for i in TOKENS],
            # Every token, summarized: catches a wrong position embedding anywhere on the grid.
            "token_mean": floats(t.mean(axis=1)),
            "token_rms": floats(np.sqrt((t * t).mean(axis=1))),
            "max_abs": float(np.abs(t).max()),
        })
    golden = {
        "source": "Fixtures/dinov2/make_golden.py",
        "onnx": os.path.basename(onnx_path),
        "output": target,
        "onnxruntime": ort.__version__,
        "onnx_version": onnx.__version__,
        "dataset": "fashion-mnist t10k-images-idx3-ubyte.gz, images 0..%d" % (IMAGES - 1),
        "preprocess": "bilinear 28->%d align_corners=False, /255, grey x3, ImageNet mean/std" % SIZE,
        "image_size": SIZE,
        "input_sample_stride": 9973,
        "token_indices": TOKENS,
        "images": images,
    }
    json.dump(golden, sys.stdout, indent=1)
    sys.stdout.write("\n")
    dump = os.environ.get("DINOV2_GOLDEN_DUMP")
    if dump:  # the full output, for checks by hand (not committed)
        np.save(dump, tokens)


if __name__ == "__main__":
    main()
