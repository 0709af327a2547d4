"""Reference dumps for WaveEngineTests, from PyTorch (CPU, float32).

A tiny ViT written here with timm VisionTransformer semantics and parameter names (timm itself is not
installed on these machines): conv patch embedding, class token, learned pos_embed, pre-LN blocks with
fused qkv attention and a GELU MLP, optional LayerScale, final norm, class-token head.

Run:  ~/.cache/wave/venv/bin/python Fixtures/torch/make_goldens.py
Writes Fixtures/torch/<case>.safetensors, each holding (all float32 unless noted):
  w.<name>        initial parameters (timm names)
  x               input images [B, C, S, S]
  y               labels [B] (int32)
  logits          forward output
  tokens          final normalized tokens [B, T, D]
  loss            [1] cross-entropy with label smoothing 0.1
  g.<name>        gradient of that loss w.r.t. every parameter
  after.<name>    parameters after 5 AdamW steps (same batch each step; schedule and clipping below)
  lr              [5] learning rate used at each step
and pos_embed_resample.safetensors (timm resample_abs_pos_embed equivalents, bicubic, align_corners=False),
resize_bilinear.safetensors (a 5×7 byte image resized bilinearly to 8×8 and 3×3, values /255).
"""
import math, os
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
# timm's default attention path is F.scaled_dot_product_attention (fused_attn); the goldens use the
# explicit softmax form, scripts/bench-engine.sh sets FUSED = True so the speed peer is timm's path.
FUSED = False


class LayerScale(nn.Module):
    def __init__(self, d, init):
        super().__init__()
        self.gamma = nn.Parameter(init * torch.ones(d))

    def forward(self, x):
        return x * self.gamma


class Attention(nn.Module):
    def __init__(self, d, heads, qkv_bias):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d, bias=qkv_bias)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, T, D = x.shape
        qkv = self.qkv(x).reshape(B, T, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if FUSED:
            y = F.scaled_dot_product_attention(q, k, v)
        else:
            att = (q @ k.transpose(-2, -1)) * (D // self.heads) ** -0.5
            y = att.softmax(-1) @ v
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class Mlp(nn.Module):
    def __init__(self, d, m, tanh):
        super().__init__()
        self.fc1 = nn.Linear(d, m)
        self.fc2 = nn.Linear(m, d)
        self.tanh = tanh

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh" if self.tanh else "none"))


class Block(nn.Module):
    def __init__(self, d, heads, m, ls, qkv_bias, eps, tanh):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=eps)
        self.attn = Attention(d, heads, qkv_bias)
        self.ls1 = LayerScale(d, ls) if ls is not None else nn.Identity()
        self.norm2 = nn.LayerNorm(d, eps=eps)
        self.mlp = Mlp(d, m, tanh)
        self.ls2 = LayerScale(d, ls) if ls is not None else nn.Identity()

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, c, d, p):
        super().__init__()
        self.proj = nn.Conv2d(c, d, p, stride=p)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    def __init__(self, img, p, c, classes, d, depth, heads, m, ls, qkv_bias, eps, tanh):
        super().__init__()
        n = (img // p) ** 2 + 1
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, n, d))
        self.patch_embed = PatchEmbed(c, d, p)
        self.blocks = nn.Sequential(*[Block(d, heads, m, ls, qkv_bias, eps, tanh) for _ in range(depth)])
        self.norm = nn.LayerNorm(d, eps=eps)
        self.head = nn.Linear(d, classes)

    def tokens(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        return self.norm(self.blocks(x))

    def forward(self, x):
        t = self.tokens(x)
        return self.head(t[:, 0]), t


def lr_at(step, base, minimum, warmup, total):
    # Mirrors CosineSchedule in Sources/WaveEngine/Training/AdamW.swift.
    if step < warmup:
        return base * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return minimum + 0.5 * (base - minimum) * (1 + math.cos(math.pi * progress))


def make_case(name, *, ls, qkv_bias, eps, tanh, img=8, p=4, c=3, classes=3, d=16, depth=2, heads=2, m=32, B=2):
    model = ViT(img, p, c, classes, d, depth, heads, m, ls, qkv_bias, eps, tanh)
    # Weights large enough that every nonlinearity is exercised (timm's 0.02 would make attention uniform).
    with torch.no_grad():
        for n, prm in model.named_parameters():
            if n.endswith("norm1.weight") or n.endswith("norm2.weight") or n == "norm.weight":
                prm.copy_(1 + 0.2 * torch.randn_like(prm))
            elif n.endswith("gamma"):
                prm.copy_(0.5 + 0.2 * torch.randn_like(prm))
            else:
                prm.copy_(0.3 * torch.randn_like(prm))
    out = {f"w.{n}": prm.detach().clone() for n, prm in model.named_parameters()}
    x = torch.randn(B, c, img, img)
    y = torch.tensor([i % classes for i in range(B)], dtype=torch.int64)
    logits, tokens = model(x)
    loss = F.cross_entropy(logits, y, label_smoothing=0.1)
    loss.backward()
    out.update(x=x, y=y.to(torch.int32), logits=logits.detach(), tokens=tokens.detach(), loss=loss.detach().reshape(1))
    out.update({f"g.{n}": prm.grad.detach().clone() for n, prm in model.named_parameters()})

    # 5 AdamW steps on the same batch, timm parameter groups, warmup 2 of 5, clip at 1.0.
    decay = [prm for n, prm in model.named_parameters()
             if not (prm.ndim <= 1 or n.endswith(".bias") or n in ("pos_embed", "cls_token"))]
    no_decay = [prm for n, prm in model.named_parameters()
                if (prm.ndim <= 1 or n.endswith(".bias") or n in ("pos_embed", "cls_token"))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-2, betas=(0.9, 0.999), eps=1e-8, foreach=False)
    lrs = []
    for step in range(5):
        lr = lr_at(step, 1e-2, 1e-4, 2, 5)
        lrs.append(lr)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad()
        logits, _ = model(x)
        F.cross_entropy(logits, y, label_smoothing=0.1).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    out.update({f"after.{n}": prm.detach().clone() for n, prm in model.named_parameters()})
    out["lr"] = torch.tensor(lrs, dtype=torch.float32)
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(HERE, f"{name}.safetensors"))


def make_resample():
    out = {}
    for gin, gout in [(5, 3), (3, 7), (37, 4)]:
        pe = torch.randn(1, 1 + gin * gin, 6)
        grid = pe[:, 1:].reshape(1, gin, gin, 6).permute(0, 3, 1, 2)
        r = F.interpolate(grid, size=(gout, gout), mode="bicubic", antialias=False, align_corners=False)
        r = r.permute(0, 2, 3, 1).reshape(1, gout * gout, 6)
        out[f"in_{gin}_{gout}"] = pe
        out[f"out_{gin}_{gout}"] = torch.cat([pe[:, :1], r], 1)
    save_file(out, os.path.join(HERE, "pos_embed_resample.safetensors"))


def make_resize():
    # torchvision-style bilinear resize of 8-bit images, as BatchLoader does it (28→32 for Fashion-MNIST).
    g = torch.Generator().manual_seed(1)
    img = torch.randint(0, 256, (1, 1, 5, 7), generator=g).to(torch.uint8)
    out = {"image": img.to(torch.int32)}
    for size in (8, 3):
        r = F.interpolate(img.float() / 255, size=(size, size), mode="bilinear", align_corners=False, antialias=False)
        out[f"resized_{size}"] = r
    save_file(out, os.path.join(HERE, "resize_bilinear.safetensors"))


if __name__ == "__main__":
    torch.manual_seed(0)
    torch.set_num_threads(1)
    make_case("vit_tiny_ls", ls=0.5, qkv_bias=True, eps=1e-6, tanh=False)
    make_case("vit_tiny_tanh", ls=None, qkv_bias=False, eps=1e-5, tanh=True, img=12, p=4, heads=4, classes=5, B=3)
    make_resample()
    make_resize()
