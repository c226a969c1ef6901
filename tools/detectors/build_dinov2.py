"""Builds a diffsweep detector (TorchScript, uint8 images [B, 3, H, W] of any size -> features [B, 1024]) from
the user's DINOv2 ViT-L/14 weights (`dinov2_vitl14_pretrain.pth`, the file torch.hub fetches for
facebookresearch/dinov2's `dinov2_vitl14`), for FD_DINOv2 as EDM2's calculate_metrics.py computes it.

The network is facebookresearch/dinov2's own `dinov2_vitl14` (from a checkout given by --dinov2, built with
pretrained=False and the given weights loaded strictly), so the features are those of the module EDM2 loads through
torch.hub. The preprocessing is EDM2's `DINOv2Detector` with resize_mode='torch': x = uint8 as float32,
bicubic antialiased resize to 224 x 224, /255, minus ImageNet mean (0.485, 0.456, 0.406), over ImageNet std
(0.229, 0.224, 0.225), then the model's output (the normalised class token).

    python tools/detectors/build_dinov2.py --weights dinov2_vitl14_pretrain.pth --dinov2 CHECKOUT \
        --out models/dinov2-vitl14.pt

--arch/--embed-dim/--depth/--heads build another size of the same class (the tests use a tiny one with seeded
random weights). The network after the resize always sees 224 x 224, so it is traced (dinov2's ViT uses Python
control flow that TorchScript's compiler rejects); the trace is checked at a second batch size before it is saved.
"""
import argparse
import os

import torch
import torch.nn.functional as F

import detcommon

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


class Dinov2Detector(torch.nn.Module):
    """EDM2's DINOv2 preprocessing (resize_mode='torch') around a DINOv2 backbone."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(MEAN).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).reshape(1, 3, 1, 1))

    def forward(self, img):
        x = F.interpolate(img.to(torch.float32), size=(224, 224), mode="bicubic", antialias=True)
        x = x.to(torch.float32) / 255
        x = x - self.mean
        x = x / self.std
        return self.model(x)


def dinov2_model(checkout, arch="vit_large", **overrides):
    """facebookresearch/dinov2's hub model (dinov2_vitl14's settings: patch 14, img_size 518, init_values 1,
    mlp FFN, no registers, interpolate_offset 0.1), without pretrained weights."""
    import sys
    os.environ.setdefault("XFORMERS_DISABLED", "1")
    if checkout is not None:
        sys.path.insert(0, checkout)
    from dinov2.hub.backbones import _make_dinov2_model
    if overrides:
        from functools import partial
        from dinov2.models import vision_transformer as vits
        kw = dict(patch_size=14, img_size=518, init_values=1.0, ffn_layer="mlp", block_chunks=0,
                  num_register_tokens=0, interpolate_antialias=False, interpolate_offset=0.1, mlp_ratio=4,
                  block_fn=partial(vits.Block, attn_class=vits.MemEffAttention))
        kw.update(overrides)
        return vits.DinoVisionTransformer(**kw).eval()
    return _make_dinov2_model(arch_name=arch, pretrained=False).eval()


def trace(det):
    g = torch.Generator().manual_seed(0)
    example = torch.randint(0, 256, (2, 3, 64, 64), generator=g, dtype=torch.uint8)
    with torch.no_grad():
        traced = torch.jit.trace(det, example, check_trace=False)
        other = torch.randint(0, 256, (3, 3, 40, 48), generator=g, dtype=torch.uint8)
        a, b = det(other), traced(other)
    if a.shape != b.shape or not torch.allclose(a, b, rtol=1e-5, atol=1e-5):
        raise SystemExit("the traced network differs from the module at another batch and image size")
    return traced


def build(weights, out, checkout, arch="vit_large", overrides=None, state=None):
    model = dinov2_model(checkout, arch, **(overrides or {}))
    if state is None:
        state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    det = Dinov2Detector(model).eval()
    traced = trace(det)
    with torch.no_grad():
        dim = int(det(torch.zeros(1, 3, 16, 16, dtype=torch.uint8)).shape[1])
    meta = {"protocol": "edm2-dinov2", "call": "features", "dim": dim, "input": "uint8 NCHW, any size",
            "source": os.path.basename(weights) if weights else "seeded random weights",
            "source_sha256": detcommon.sha256(weights) if weights else None,
            "built_by": "tools/detectors/build_dinov2.py"}
    return detcommon.save(traced, out, meta), det


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", required=True, help="dinov2_vitl14_pretrain.pth (the hub's state dict)")
    p.add_argument("--dinov2", required=True, help="a facebookresearch/dinov2 checkout")
    p.add_argument("--out", required=True)
    p.add_argument("--arch", default="vit_large")
    a = p.parse_args()
    build(a.weights, a.out, a.dinov2, a.arch)
