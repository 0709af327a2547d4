"""The golden cases of make_golden.py against timm's own VisionTransformer.

Builds `timm.models.vision_transformer.VisionTransformer(**config)` from the JSON beside each expanded
checkpoint, loads the checkpoint with strict=True and compares its logits and class-token features with
golden-<case>.json (made by the plain-PyTorch model, which the Swift tests compare with wave's engine).
Writes timm-check.json. timm needs torchvision, PIL, yaml and huggingface_hub at import time, none of
which a VisionTransformer uses; where they are missing, pass --stub to stand them in (tvstub.py here).

Run:  PYTHONPATH=DIR_WITH_TIMM ~/.cache/wave/venv/bin/python Fixtures/expand/check_timm.py [--stub] [path/to/wave]
"""
import json, os, subprocess, sys, tempfile
HERE = os.path.dirname(os.path.abspath(__file__))
args = [a for a in sys.argv[1:] if a != "--stub"]
if "--stub" in sys.argv:
    sys.path.insert(0, HERE)
    import tvstub  # noqa: F401
import torch
import timm
from timm.models.vision_transformer import VisionTransformer
from safetensors.torch import load_file
sys.path.insert(0, HERE)
from make_golden import CASES, ROOT, inputs

wave = args[0] if args else os.path.join(ROOT, ".build/release/wave")
torch.set_grad_enabled(False)
report = {"timm": timm.__version__, "torch": torch.__version__, "stubbed_imports": "--stub" in sys.argv, "cases": {}}
for name, (bundle, extra) in CASES.items():
    golden = json.load(open(os.path.join(HERE, f"golden-{name}.json")))
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "m.safetensors")
        subprocess.run([wave, "expand", os.path.join(ROOT, "Fixtures/bundle", bundle), "-o", ckpt, "--quiet"] + extra,
                       check=True, stdout=subprocess.DEVNULL)
        cfg = json.load(open(os.path.join(tmp, "m.json")))
        model = VisionTransformer(**cfg).eval()
        missing = model.load_state_dict(load_file(ckpt), strict=True)
    x = inputs(cfg)
    feats = model.forward_head(model.forward_features(x), pre_logits=True)
    logits = model.head(feats)
    dl = (logits.flatten() - torch.tensor(golden["logits"])).abs().max().item()
    df = (feats.flatten() - torch.tensor(golden["features"])).abs().max().item()
    report["cases"][name] = {"strict_load": True, "max_abs_logits_vs_golden": dl, "max_abs_features_vs_golden": df}
    print(f"{name}: timm {timm.__version__} strict load ok; max |Δ logits| {dl:.3g}, max |Δ features| {df:.3g} vs golden")
    assert dl <= 1e-4 and df <= 1e-4
with open(os.path.join(HERE, "timm-check.json"), "w") as f:
    json.dump(report, f, indent=1)
