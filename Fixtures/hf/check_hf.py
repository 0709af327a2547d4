"""Peer check of wave's Hugging Face outputs (run by Tests/WaveCLITests/HFFolderTests.swift).

argv[1]: a JSON list of checks; prints one JSON object (per check: strict-load facts and errors). Every
folder is loaded with `CLASS.from_pretrained(dir, output_loading_info=True)` (transformers 5.23.0, offline)
and must have no missing, unexpected or mismatched keys. Relative error = max|a - b| / max|b| over a
tensor. Checks:
  {"kind": "same", "class": C, "reference": DIR, "candidate": DIR, "outputs": [names]}: the two
      folders compute the same outputs on one seeded input ("reference_class" loads the reference as another class).
  {"kind": "tiled", "class": C, "narrow": DIR, "wide": DIR}: the wide model's last_hidden_state is the
      narrow one's repeated along the width (function-preserving widening).
  {"kind": "head", "class": C, "candidate": DIR, "timm": FILE}: the HF classifier's logits equal the timm
      checkpoint's head (head.weight, head.bias) applied to the class token of last_hidden_state.
"""
import json, os, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
import torch
import transformers
from safetensors.torch import load_file

torch.set_grad_enabled(False)


def load(cls, path):
    model, info = getattr(transformers, cls).from_pretrained(path, output_loading_info=True)
    problems = {k: sorted(v) for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    return model.eval(), problems


def inputs(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    c = model.config
    if c.model_type == "bert":
        ids = torch.randint(1, c.vocab_size, (2, 7), generator=g)
        mask = torch.ones_like(ids)
        mask[1, 5:] = 0
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": (torch.arange(7) >= 4).long().expand(2, 7)}
    return {"pixel_values": torch.randn(2, c.num_channels, c.image_size, c.image_size, generator=g)}


def rel(a, b):
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item()


report = {"transformers": transformers.__version__, "torch": torch.__version__, "checks": []}
for check in json.load(open(sys.argv[1])):
    out = {"kind": check["kind"], "class": check["class"]}
    if check["kind"] == "same":
        ref, _ = load(check.get("reference_class", check["class"]), check["reference"])
        cand, out["problems"] = load(check["class"], check["candidate"])
        x = inputs(ref)
        a, b = cand(**x), ref(**x)
        out["rel_error"] = {name: rel(getattr(a, name), getattr(b, name)) for name in check["outputs"]}
    elif check["kind"] == "tiled":
        narrow, p1 = load(check["class"], check["narrow"])
        wide, p2 = load(check["class"], check["wide"])
        out["problems"] = {**p1, **p2}
        x = inputs(narrow)
        h, hw = narrow(**x).last_hidden_state, wide(**x).last_hidden_state
        k = hw.shape[-1] // h.shape[-1]
        out["factor"] = k
        out["rel_error"] = {"last_hidden_state": rel(hw, h.repeat(1, 1, k))}
    elif check["kind"] == "head":
        cand, out["problems"] = load(check["class"], check["candidate"])
        timm = load_file(check["timm"])
        x = inputs(cand)
        r = cand(**x, output_hidden_states=False)
        base = getattr(cand, cand.base_model_prefix)
        cls_token = base(**x).last_hidden_state[:, 0]
        expected = cls_token @ timm["head.weight"].T + timm["head.bias"]
        out["rel_error"] = {"logits": rel(r.logits, expected)}
    report["checks"].append(out)
print(json.dumps(report))
