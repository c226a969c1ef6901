"""Builds a diffsweep detector (TorchScript, uint8 images [B, 3, H, W] of any size -> pool3 features [B, 2048])
from pytorch-fid's FID Inception weights, `pt_inception-2015-12-05-6726825d.pth`, which the user supplies.

The network and its preprocessing are pytorch-fid's own code, imported from the user's pytorch-fid (installed, or
a checkout given by --pytorch-fid): `InceptionV3([3])` with its defaults resize_input=True (bilinear resize to
299 x 299, align_corners=False) and normalize_input=True (x -> 2x - 1), fed x = uint8 / 255, which is what
pytorch-fid's `fid_score` does with its ToTensor images. pytorch-fid would download the weights; here its weight
loader is pointed at the given file instead, so nothing is downloaded.

    python tools/detectors/build_pytorch_fid.py --weights pt_inception-2015-12-05-6726825d.pth \
        --out models/pytorch-fid-inception.pt [--pytorch-fid CHECKOUT] [--torchvision WHEEL_OR_DIR]

pytorch-fid imports torchvision: see detcommon.py for --torchvision. The detector is traced (see trace()). The output carries extra/diffsweep.json
(protocol pytorch-fid, the weight file's name and SHA-256), which diffsweep reads for its provenance.
"""
import argparse
import os

import torch

import detcommon


class PytorchFidDetector(torch.nn.Module):
    """uint8 [B, 3, H, W] -> pytorch-fid's pool3 features [B, 2048] (its own resize and normalisation inside)."""

    def __init__(self, inception):
        super().__init__()
        self.inception = inception

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = img.to(torch.float32) / 255
        return self.inception(x)[0].flatten(1)


def pytorch_fid_module(pytorch_fid, weights):
    """pytorch-fid's own InceptionV3([3]) with the weights of the given state-dict file."""
    inception_mod = pytorch_fid.inception if hasattr(pytorch_fid, "inception") else None
    if inception_mod is None:
        import importlib
        inception_mod = importlib.import_module(pytorch_fid.__name__ + ".inception")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    original = inception_mod.load_state_dict_from_url
    inception_mod.load_state_dict_from_url = lambda *a, **k: state
    try:
        net = inception_mod.InceptionV3([inception_mod.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    finally:
        inception_mod.load_state_dict_from_url = original
    return net.eval()


def trace(det):
    """TorchScript by tracing: pytorch-fid's forward has no data-dependent control flow (its resize has a fixed
    output size), and a traced graph holds only the ops it ran, where torch.jit.script would compile every branch
    of F.interpolate, some unknown to older libtorch builds such as DJL's. Checked at another batch and size."""
    g = torch.Generator().manual_seed(0)
    example = torch.randint(0, 256, (2, 3, 64, 64), generator=g, dtype=torch.uint8)
    with torch.no_grad():
        traced = torch.jit.trace(det, example, check_trace=False)
        other = torch.randint(0, 256, (3, 3, 40, 48), generator=g, dtype=torch.uint8)
        a, b = det(other), traced(other)
    if a.shape != b.shape or not torch.allclose(a, b, rtol=1e-5, atol=1e-5):
        raise SystemExit("the traced network differs from the module at another batch and image size")
    return traced


def build(weights, out, pytorch_fid_checkout=None, torchvision=None):
    detcommon.use_torchvision(torchvision)
    pytorch_fid = detcommon.import_from(pytorch_fid_checkout, "pytorch_fid", "--pytorch-fid")
    import pytorch_fid.inception  # noqa: F401
    net = PytorchFidDetector(pytorch_fid_module(pytorch_fid, weights)).eval()
    traced = trace(net)
    meta = {"protocol": "pytorch-fid", "call": "features", "dim": 2048, "input": "uint8 NCHW, any size",
            "source": os.path.basename(weights), "source_sha256": detcommon.sha256(weights),
            "built_by": "tools/detectors/build_pytorch_fid.py"}
    return detcommon.save(traced, out, meta)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", required=True, help="pt_inception-2015-12-05-*.pth (pytorch-fid's state dict)")
    p.add_argument("--out", required=True, help="the TorchScript detector to write (.pt)")
    p.add_argument("--pytorch-fid", default=None, help="a pytorch-fid checkout (default: the installed package)")
    p.add_argument("--torchvision", default=None, help="a torchvision wheel or package folder to stub (detcommon)")
    a = p.parse_args()
    build(a.weights, a.out, a.pytorch_fid, a.torchvision)
