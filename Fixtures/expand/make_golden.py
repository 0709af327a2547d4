"""Golden logits for `wave expand` checkpoints from a plain-PyTorch ViT that follows timm's names.

For each case: run the built `wave expand` on a seed bundle (Fixtures/bundle), load the checkpoint with
`load_state_dict(strict=True)` into the model below (timm `VisionTransformer` semantics: pre-LN blocks,
fused qkv, LayerScale `ls1.gamma`/`ls2.gamma`, class-token pooling, exact GELU), built from the JSON
config beside the checkpoint (timm keyword arguments), run it on deterministic inputs and write
golden-<case>.json with the SHA-256 of the checkpoint's tensor data, the logits and the class-token features.

Run:  ~/.cache/wave/venv/bin/python Fixtures/expand/make_golden.py [path/to/wave]
Tests/WaveMethodTests/GoldenExpandTests.swift re-expands the same cases in-process, checks its tensor
bytes hash the same, and compares wave's engine with these logits (1e-4).
"""
import hashlib, json, math, os, subprocess, sys, tempfile
import torch
from torch import nn
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASES = {
    # LayerScale, no head in the bundle: width ×2 with heads ×2, grid 2→4 and patch 4→2 resampled, new 5-class head.
    "ls-wide": ("seed-0-F32.wave", ["--depth", "3", "--width", "16", "--heads", "4", "--classes", "5",
                                    "--patch", "2", "--image-size", "8", "--seed", "3"]),
    # 3-class head inherited, no LayerScale: width ×1.5 (tiled), TLEG depth fit, off-diagonal noise.
    "head-tiled": ("seed-3-F32.wave", ["--depth", "5", "--width", "12", "--heads", "3",
                                       "--depth-init", "linear-fit", "--noise", "1e-3", "--seed", "7"]),
}


class Attention(nn.Module):
    def __init__(self, d, heads, qkv_bias):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d, bias=qkv_bias)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, N, D = x.shape
        hd = D // self.heads
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        a = ((q @ k.transpose(-2, -1)) * hd ** -0.5).softmax(dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(B, N, D))


class LayerScale(nn.Module):
    def __init__(self, d, init):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((d,), init))

    def forward(self, x):
        return x * self.gamma


class Mlp(nn.Module):
    def __init__(self, d, m, act):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(d, m), act, nn.Linear(m, d)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, m = c["embed_dim"], round(c["embed_dim"] * c["mlp_ratio"])
        eps = c.get("norm_eps", 1e-6)   # timm default; the JSON names it only when it differs
        act = nn.GELU(approximate="tanh" if c.get("act_layer") == "gelu_tanh" else "none")
        ls = c.get("init_values")
        self.norm1 = nn.LayerNorm(d, eps=eps)
        self.attn = Attention(d, c["num_heads"], c["qkv_bias"])
        self.ls1 = LayerScale(d, ls) if ls is not None else nn.Identity()
        self.norm2 = nn.LayerNorm(d, eps=eps)
        self.mlp = Mlp(d, m, act)
        self.ls2 = LayerScale(d, ls) if ls is not None else nn.Identity()

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class VisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, p = c["embed_dim"], c["patch_size"]
        grid = c["img_size"] // p
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(c["in_chans"], d, p, stride=p)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid + 1, d))
        self.blocks = nn.Sequential(*[Block(c) for _ in range(c["depth"])])
        self.norm = nn.LayerNorm(d, eps=c.get("norm_eps", 1e-6))
        self.head = nn.Linear(d, c["num_classes"]) if c["num_classes"] > 0 else nn.Identity()

    def features(self, x):
        x = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.norm(self.blocks(x))[:, 0]

    def forward(self, x):
        return self.head(self.features(x))


def inputs(c, batch=2):
    """x[i] = sin(0.37·i + 0.3) over the flattened [B, C, S, S] batch, computed in double then rounded."""
    n = batch * c["in_chans"] * c["img_size"] ** 2
    return torch.tensor([math.sin(0.37 * i + 0.3) for i in range(n)], dtype=torch.float64).float().reshape(
        batch, c["in_chans"], c["img_size"], c["img_size"])


def main():
    wave = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/release/wave")
    torch.set_grad_enabled(False)
    for name, (bundle, args) in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            ckpt = os.path.join(tmp, "m.safetensors")
            subprocess.run([wave, "expand", os.path.join(ROOT, "Fixtures/bundle", bundle), "-o", ckpt, "--quiet"] + args,
                           check=True, stdout=subprocess.DEVNULL)
            c = json.load(open(os.path.join(tmp, "m.json")))
            model = VisionTransformer(c).eval()
            model.load_state_dict(load_file(ckpt), strict=True)
            x = inputs(c)
            feats = model.features(x)
            logits = model.head(feats)
            raw = open(ckpt, "rb").read()
            # The data section only (every tensor's F32 bytes in file order): the header's metadata
            # names the bundle file and the command's options, which an in-process expansion need not repeat.
            digest = hashlib.sha256(raw[8 + int.from_bytes(raw[:8], "little"):]).hexdigest()
        out = {"bundle": bundle, "args": args, "config": c, "weights_sha256": digest, "batch": 2,
               "input": "x[i] = sin(0.37*i + 0.3), flattened [B, C, S, S]",
               "torch": torch.__version__, "logits": logits.flatten().tolist(), "features": feats.flatten().tolist()}
        with open(os.path.join(HERE, f"golden-{name}.json"), "w") as f:
            json.dump(out, f, indent=1)
        print(f"{name}: strict load ok, logits {tuple(logits.shape)}, sha256 {digest[:16]}…")


if __name__ == "__main__":
    main()
