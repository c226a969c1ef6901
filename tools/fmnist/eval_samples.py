#!/usr/bin/python3
"""Sanity numbers for the model cards: FID (fmnist-features detector) of denoiser samples vs the test set.

    nice -n 10 /usr/bin/python3 tools/fmnist/eval_samples.py --n 5000 --steps 25

Samples: deterministic EDM Heun (S_churn = 0), rho 7, sigma 80 -> 0.002 -> 0, `--steps` steps (2*steps-1 NFE),
latents from torch.Generator seed 100. Images: SPEC section 6, round(x*127.5 + 128) clipped, grey repeated to 3
channels. Statistics/FID in float64 (eigendecomposition route). Baseline: train[:n] vs the test set at the same n.
Not a published-comparable FID (own detector, small n).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edm_unet import FMNIST_DIR, heun_sample, load_idx_images, to_uint8  # noqa: E402

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def stats(f):
    f = f.double()
    return f.mean(0), torch.cov(f.T)


def fid(a, b):
    (m1, s1), (m2, s2) = a, b
    e1, v1 = torch.linalg.eigh(s1)
    r1 = (v1 * e1.clamp(min=0).sqrt()) @ v1.T
    ev = torch.linalg.eigvalsh(r1 @ s2 @ r1).clamp(min=0)
    return float(((m1 - m2) ** 2).sum() + s1.trace() + s2.trace() - 2 * ev.sqrt().sum())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(here, "../../models"))
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--out", default="/work/fmnist-work/eval_samples.json")
    args = ap.parse_args()
    torch.set_num_threads(2)
    den = torch.jit.load(os.path.join(args.models, "fmnist-edm-denoiser.pt")).eval()
    det = torch.jit.load(os.path.join(args.models, "fmnist-features.pt")).eval()
    clf_fc2 = None
    wpath = "/work/fmnist-work/classifier/classifier_state_dict.pt"
    if os.path.exists(wpath):
        sd = torch.load(wpath)
        clf_fc2 = torch.nn.Linear(128, 10)
        clf_fc2.load_state_dict({"weight": sd["fc2.weight"], "bias": sd["fc2.bias"]})

    def feats_u8(u8):  # u8 numpy [N,1,28,28] or [N,28,28]
        t = torch.from_numpy(u8).reshape(-1, 1, 28, 28).repeat(1, 3, 1, 1)
        with torch.no_grad():
            return torch.cat([det(t[i:i + 1000]) for i in range(0, t.shape[0], 1000)])

    test = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))
    train = load_idx_images(os.path.join(FMNIST_DIR, "train-images-idx3-ubyte.gz"))
    st_test = stats(feats_u8(test))
    res = dict(n=args.n, heun_steps=args.steps, nfe=2 * args.steps - 1)
    res["fid_train_n_vs_test10k"] = fid(stats(feats_u8(train[:args.n])), st_test)

    gen = torch.Generator().manual_seed(100)
    t0 = time.time()
    u8 = []
    for i in range(0, args.n, args.batch):
        lat = torch.randn(min(args.batch, args.n - i), 1, 28, 28, generator=gen)
        u8.append(to_uint8(heun_sample(den, lat, n_steps=args.steps)))
    u8 = np.concatenate(u8)
    res["sampling_wall_s"] = time.time() - t0
    f = feats_u8(u8)
    res["fid_samples_n_vs_test10k"] = fid(stats(f), st_test)
    if clf_fc2 is not None:
        with torch.no_grad():
            pred = clf_fc2(f).argmax(1)
        hist = torch.bincount(pred, minlength=10).tolist()
        res["predicted_class_histogram"] = dict(zip(CLASSES, hist))
    res["mean_pixel_u8_samples"] = float(u8.mean())
    res["mean_pixel_u8_test"] = float(test.mean())
    print(json.dumps(res, indent=1))
    with open(args.out, "w") as fo:
        json.dump(res, fo, indent=1)


if __name__ == "__main__":
    main()
