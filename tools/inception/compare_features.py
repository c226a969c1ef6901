#!/usr/bin/python3
"""Compare the TorchScript detector's features with the tfjs reference (fixtures/tfjs-features.json).

    /usr/bin/python3 compare_features.py --pt target/models/inception-nsfwjs.pt [--fixtures tools/inception/fixtures]

Each fixture PNG is fed as uint8 [1,3,H,W] (299x299 images as they are; the 28x28 Fashion-MNIST images go
through the detector's own bilinear resize, which the tfjs side reproduces with resizeBilinear
(alignCorners=false, halfPixelCenters=true)). The four 299x299 images are also run as one batch.
Prints, per image: max |d|, max |d| / max |ref|, ||d|| / ||ref||, and the largest elementwise |d|/|ref| over
elements with |ref| >= 1e-2 * max |ref|; then the forward time of a batch of 8 299x299 images.
Exits non-zero when ||d|| / ||ref|| exceeds --tol (default 1e-4) for any image.
"""
import argparse
import base64
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def load_png(path):
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(a.copy()).permute(2, 0, 1).unsqueeze(0).contiguous()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pt", default="target/models/inception-nsfwjs.pt")
    ap.add_argument("--fixtures", default=os.path.join(HERE, "fixtures"))
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch default)")
    ap.add_argument("--bench", type=int, default=3, help="timed repetitions of the batch-8 forward (0: none)")
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    if args.threads:
        torch.set_num_threads(args.threads)

    det = torch.jit.load(args.pt).eval()
    ref = json.load(open(os.path.join(args.fixtures, "tfjs-features.json")))
    worst = 0.0
    batch = []
    print("%-26s %11s %11s %11s %11s %9s" % ("image", "max|d|", "max|d|/max", "|d|/|ref|", "elem rel", "l2 ref"))
    for e in ref["images"]:
        r = np.frombuffer(base64.b64decode(e["features_f32le_b64"]), dtype="<f4").astype(np.float64)
        assert r.shape == (e["dim"],) and np.allclose(r[:16], e["first16"])
        img = load_png(os.path.join(args.fixtures, e["file"]))
        assert tuple(img.shape[2:]) == (e["height"], e["width"])
        if img.shape[2:] == (299, 299):
            batch.append((img, r))
        f = det(img)[0].double().numpy()
        d = np.abs(f - r)
        big = np.abs(r) >= 1e-2 * np.abs(r).max()
        rel = np.linalg.norm(f - r) / np.linalg.norm(r)
        worst = max(worst, rel)
        print("%-26s %11.3e %11.3e %11.3e %11.3e %9.5f" % (e["name"], d.max(), d.max() / np.abs(r).max(), rel,
                                                           (d[big] / np.abs(r[big])).max(), np.linalg.norm(r)))
    x = torch.cat([b[0] for b in batch])
    fb = det(x).double().numpy()
    rb = np.stack([b[1] for b in batch])
    print("batch of %d: max|d| %.3e, max ||d||/||ref|| %.3e" % (
        len(batch), np.abs(fb - rb).max(), max(np.linalg.norm(fb[i] - rb[i]) / np.linalg.norm(rb[i])
                                               for i in range(len(batch)))))
    if args.bench:
        x8 = torch.cat([x, x.flip(3)])
        det(x8)  # warm-up (profiling executor)
        det(x8)
        ts = []
        for _ in range(args.bench):
            t0 = time.perf_counter()
            det(x8)
            ts.append(time.perf_counter() - t0)
        print("forward [8,3,299,299] uint8, %d threads: min %.3f s, median %.3f s" % (
            torch.get_num_threads(), min(ts), sorted(ts)[len(ts) // 2]))
    if worst > args.tol:
        sys.exit("relative L2 difference %.3e exceeds %.1e" % (worst, args.tol))
    print("OK: worst ||d||/||ref|| = %.3e <= %.1e" % (worst, args.tol))


if __name__ == "__main__":
    main()
