"""The Python tools' own features of uint8 images, for parity checks of diffsweep's detectors:

- nvidia: EDM's fid.py call on NVIDIA's network (TorchScript .pt via torch.jit.load, or the .pkl via pickle.load
  with an EDM/StyleGAN3 checkout on sys.path): grayscale repeated to 3 channels, net(img, return_features=True);
  probabilities as StyleGAN3's Inception Score asks them, net(img, no_output_bias=True).
- pytorch-fid: pytorch-fid's own InceptionV3([3]) (its resize and normalisation) on uint8 / 255, as its
  fid_score feeds it, and its calculate_frechet_distance on np.mean / np.cov of the features.
- dinov2: EDM2's calculate_metrics.DINOv2Detector (resize_mode='torch') around a facebookresearch/dinov2 module.
"""
import sys

import numpy as np
import torch


def rgb(images):
    """uint8 [B, C, H, W] with C = 1 repeated to 3, as EDM's fid.py does."""
    t = torch.as_tensor(images)
    return t.repeat([1, 3, 1, 1]) if t.shape[1] == 1 else t


def load_nvidia(path, code_checkout=None):
    if path.endswith(".pkl"):
        import pickle
        if code_checkout:
            sys.path.insert(0, code_checkout)
        with open(path, "rb") as f:
            return pickle.load(f)
    return torch.jit.load(path).eval()


def nvidia(net, images, batch=64):
    feats, probs = [], []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = rgb(images[i:i + batch])
            feats.append(net(x, return_features=True).to(torch.float32).numpy())
            probs.append(net(x, no_output_bias=True).to(torch.float32).numpy())
    return np.concatenate(feats), np.concatenate(probs)


def pytorch_fid_module(weights, pytorch_fid_checkout=None, torchvision=None):
    import detcommon
    import build_pytorch_fid
    detcommon.use_torchvision(torchvision)
    pf = detcommon.import_from(pytorch_fid_checkout, "pytorch_fid", "--pytorch-fid")
    return build_pytorch_fid.pytorch_fid_module(pf, weights)


def pytorch_fid(module, images, batch=64):
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = rgb(images[i:i + batch]).to(torch.float32) / 255
            out.append(module(x)[0].squeeze(3).squeeze(2).numpy())
    return np.concatenate(out)


def pytorch_fid_distance(feats_a, feats_b):
    """pytorch-fid's FID of two feature sets: its statistics (np.mean, np.cov rowvar=False) and distance."""
    from pytorch_fid.fid_score import calculate_frechet_distance
    mu1, s1 = np.mean(feats_a, axis=0), np.cov(feats_a, rowvar=False)
    mu2, s2 = np.mean(feats_b, axis=0), np.cov(feats_b, rowvar=False)
    return float(calculate_frechet_distance(mu1, s1, mu2, s2))


def edm2_dinov2(model, edm2_checkout):
    """EDM2's DINOv2Detector with its torch.hub load pointed at the given module (nothing is downloaded)."""
    sys.path.insert(0, edm2_checkout)
    import calculate_metrics
    original = torch.hub.load
    torch.hub.load = lambda *a, **k: model
    try:
        return calculate_metrics.DINOv2Detector(resize_mode="torch")
    finally:
        torch.hub.load = original


def dinov2(detector, images, batch=64):
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            out.append(detector(rgb(images[i:i + batch])).to(torch.float32).numpy())
    return np.concatenate(out)
