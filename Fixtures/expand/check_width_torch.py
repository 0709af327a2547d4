"""Width doubling on the real DINOv2 bundle, checked in timm at 224 px (independent of wave's engine).

Expands a bundle twice with the built `wave expand`: at the ancestry's own depth and width, and at twice the
width with twice the heads (ε = 0), both at 224 px; loads both into timm's VisionTransformer (strict=True)
and runs Fashion-MNIST test images (grey repeated in 3 channels, DINOv2 normalization, bilinear 28→224).
The wide model's class-token features must be the narrow model's, replicated. Writes width-check.json.

Run:  PYTHONPATH=DIR_WITH_TIMM ~/.cache/wave/venv/bin/python Fixtures/expand/check_width_torch.py BUNDLE [path/to/wave]
      (BUNDLE: `wave condense ~/.cache/wave/vit_s_focus.onnx -o dino.wave`; add --stub as in check_timm.py)
"""
import gzip, json, os, subprocess, sys, tempfile
import numpy as np
HERE = os.path.dirname(os.path.abspath(__file__))
args = [a for a in sys.argv[1:] if a != "--stub"]
if "--stub" in sys.argv:
    sys.path.insert(0, HERE)
    import tvstub  # noqa: F401
import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer
from safetensors.torch import load_file

bundle = args[0]
wave = args[1] if len(args) > 1 else os.path.join(os.path.dirname(os.path.dirname(HERE)), ".build/release/wave")
torch.set_grad_enabled(False)
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
imgs = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 28, 28)[:8].astype(np.float32) / 255
x = F.interpolate(torch.tensor(imgs)[:, None], size=224, mode="bilinear", align_corners=False).repeat(1, 3, 1, 1)
x = (x - torch.tensor([0.485, 0.456, 0.406])[:, None, None]) / torch.tensor([0.229, 0.224, 0.225])[:, None, None]

feats = {}
with tempfile.TemporaryDirectory() as tmp:
    for name, width in [("narrow", "384"), ("wide", "768")]:
        ckpt = os.path.join(tmp, f"{name}.safetensors")
        subprocess.run([wave, "expand", bundle, "--depth", "12", "--width", width, "--image-size", "224", "-o", ckpt, "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        cfg = json.load(open(os.path.join(tmp, f"{name}.json")))
        m = VisionTransformer(**cfg).eval()
        m.load_state_dict(load_file(ckpt), strict=True)
        feats[name] = m.forward_head(m.forward_features(x), pre_logits=True)
n, w = feats["narrow"], feats["wide"]
diff = max((w[:, :384] - n).abs().max().item(), (w[:, 384:] - n).abs().max().item())
out = {"bundle": os.path.basename(bundle), "images": int(x.shape[0]), "image_size": 224, "torch": torch.__version__,
       "max_abs_diff_replicated_class_token": diff, "max_abs_feature": n.abs().max().item()}
json.dump(out, open(os.path.join(HERE, "width-check.json"), "w"), indent=1)
print(out)
assert diff <= 1e-4
