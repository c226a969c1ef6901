#!/usr/bin/python3
"""Train a small Fashion-MNIST CNN classifier and export its penultimate layer as a fast FID-style detector.

    nice -n 10 /usr/bin/python3 tools/fmnist/train_classifier.py [--epochs 3] [--export-only]

Writes
  /work/fmnist-work/classifier/classifier_state_dict.pt   trained weights (outside git)
  models/fmnist-features.pt            TorchScript detector: forward(images u8[B,3,H,W]) -> f32[B,128]
  models/fmnist-features.onnx          ONNX opset 17, input "images" uint8 [B,3,H,W] (dynamic B,H,W), output "features"
  models/fmnist-features.fixture.json  6 real test images (x3 channels, 28x28) + 2 resized (40x40) and their features
  /work/fmnist-work/classifier/export_info.json

Detector convention: x = u8/255 (float32); grey = mean over the 3 channels; if H,W != 28: bilinear resize to 28x28
(align_corners=False, antialias=False; torch's resize of an equal size is an exact copy, so it is always applied);
x = (grey - 0.2860) / 0.3530; features = ReLU(BN(fc1(flatten(conv stack)))) = the classifier's penultimate layer.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edm_unet import FMNIST_DIR, load_idx_images, load_idx_labels, n_params, sha256  # noqa: E402

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST train pixel mean/std on [0,1]
FEAT_DIM = 128


class Classifier(nn.Module):
    def __init__(self, c=(32, 64, 64), feat=FEAT_DIM):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, c[0], 3, padding=1), nn.BatchNorm2d(c[0]), nn.ReLU(), nn.MaxPool2d(2),      # 28 -> 14
            nn.Conv2d(c[0], c[1], 3, padding=1), nn.BatchNorm2d(c[1]), nn.ReLU(), nn.MaxPool2d(2),   # 14 -> 7
            nn.Conv2d(c[1], c[2], 3, padding=1), nn.BatchNorm2d(c[2]), nn.ReLU(),                     # 7
        )
        self.fc1 = nn.Linear(c[2] * 49, feat)
        self.bn_fc = nn.BatchNorm1d(feat)  # keeps every feature unit alive (no all-zero columns -> full-rank covariance)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(feat, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn_fc(self.fc1(torch.flatten(self.body(x), 1))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(self.features(x)))


class Detector(nn.Module):
    """uint8 [B,3,H,W] -> float32 [B,128] penultimate features."""

    def __init__(self, clf: Classifier):
        super().__init__()
        self.clf = clf

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.to(torch.float32) / 255.0
        x = x.mean(dim=1, keepdim=True)
        x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)
        x = (x - MEAN) / STD
        return self.clf.features(x)



def normalize_u8(u8):
    return (torch.from_numpy(u8).float().div(255.0).unsqueeze(1) - MEAN) / STD


@torch.no_grad()
def evaluate(clf, x, y):
    clf.eval()
    correct = 0
    for i in range(0, x.shape[0], 1000):
        correct += int((clf(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum())
    return correct / x.shape[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/work/fmnist-work/classifier")
    ap.add_argument("--models", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../models"))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=20240502)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--export-only", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.work, exist_ok=True)
    models = os.path.abspath(args.models)
    os.makedirs(models, exist_ok=True)

    xtr_u8 = load_idx_images(os.path.join(FMNIST_DIR, "train-images-idx3-ubyte.gz"))
    ytr = torch.from_numpy(load_idx_labels(os.path.join(FMNIST_DIR, "train-labels-idx1-ubyte.gz"))).long()
    xte_u8 = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))
    yte = torch.from_numpy(load_idx_labels(os.path.join(FMNIST_DIR, "t10k-labels-idx1-ubyte.gz"))).long()
    xtr, xte = normalize_u8(xtr_u8), normalize_u8(xte_u8)

    clf = Classifier()
    wpath = os.path.join(args.work, "classifier_state_dict.pt")
    info = dict(params=n_params(clf), torch_version=torch.__version__)
    if not args.export_only:
        gen = torch.Generator().manual_seed(args.seed)
        opt = torch.optim.Adam(clf.parameters(), lr=args.lr)
        n = xtr.shape[0]
        spe = n // args.batch
        total = spe * args.epochs
        warm = 100
        step, t0, curve = 0, time.time(), []
        for ep in range(args.epochs):
            clf.train()
            perm = torch.randperm(n, generator=gen)
            acc_l, acc_n = 0.0, 0
            for i in range(spe):
                idx = perm[i * args.batch:(i + 1) * args.batch]
                lr = args.lr * min((step + 1) / warm, 0.5 * (1 + np.cos(np.pi * step / total)))
                for g in opt.param_groups:
                    g["lr"] = lr
                loss = F.cross_entropy(clf(xtr[idx]), ytr[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                acc_l += loss.item(); acc_n += 1
                if step % 100 == 0:
                    print(f"epoch {ep} step {step}/{total} loss {acc_l / acc_n:.4f} lr {lr:.2e} "
                          f"wall {time.time() - t0:.0f}s load {os.getloadavg()[0]:.1f}", flush=True)
                    curve.append(dict(step=step, loss=acc_l / acc_n))
                    acc_l, acc_n = 0.0, 0
            acc = evaluate(clf, xte, yte)
            print(f"epoch {ep} done: test accuracy {acc:.4f}  wall {time.time() - t0:.0f}s", flush=True)
            info.setdefault("epochs", []).append(dict(epoch=ep, test_acc=acc, wall_s=time.time() - t0))
        info["train_wall_s"] = time.time() - t0
        info["curve"] = curve
        torch.save(clf.state_dict(), wpath)
    clf.load_state_dict(torch.load(wpath))
    clf.eval()
    info["test_accuracy"] = evaluate(clf, xte, yte)
    info["train_accuracy"] = evaluate(clf, xtr, ytr)
    print(f"test accuracy {info['test_accuracy']:.4f}  train accuracy {info['train_accuracy']:.4f}", flush=True)

    det = Detector(clf).eval()
    for p in det.parameters():
        p.requires_grad_(False)

    # feature statistics on the test set (dead units make the covariance rank-deficient)
    with torch.no_grad():
        te3 = torch.from_numpy(xte_u8).unsqueeze(1).repeat(1, 3, 1, 1)
        feats = torch.cat([det(te3[i:i + 1000]) for i in range(0, 10000, 1000)])
        direct = torch.cat([clf.features(xte[i:i + 1000]) for i in range(0, 10000, 1000)])
    info["detector_vs_direct_max_abs_diff"] = float((feats - direct).abs().max())
    info["features_always_zero_on_test"] = int((feats.max(0).values == 0).sum())
    info["features_mean_of_means"] = float(feats.mean())
    ev = torch.linalg.eigvalsh(torch.cov(feats.double().T))
    info["test_feature_cov_eig_min_max"] = [float(ev.min()), float(ev.max())]
    fid_halves = None
    try:  # FID between the two halves of the test set (a sanity number for the card), float64 eigen-route
        def stats(f):
            f = f.double()
            return f.mean(0), torch.cov(f.T)
        (m1, s1), (m2, s2) = stats(feats[:5000]), stats(feats[5000:])
        e1, v1 = torch.linalg.eigh(s1)
        r1 = (v1 * e1.clamp(min=0).sqrt()) @ v1.T
        ev2 = torch.linalg.eigvalsh(r1 @ s2 @ r1).clamp(min=0)
        fid_halves = float(((m1 - m2) ** 2).sum() + s1.trace() + s2.trace() - 2 * ev2.sqrt().sum())
    except Exception as e:  # noqa
        print("fid halves failed", e)
    info["fid_test_half_vs_half_n5000"] = fid_halves
    print("cov eig min/max", info["test_feature_cov_eig_min_max"], "FID(test[:5000], test[5000:])", fid_halves)
    print("detector vs direct", info["detector_vs_direct_max_abs_diff"], "dead units",
          info["features_always_zero_on_test"], flush=True)

    # ---- TorchScript
    pt_path = os.path.join(models, "fmnist-features.pt")
    onnx_path = os.path.join(models, "fmnist-features.onnx")
    fix_path = os.path.join(models, "fmnist-features.fixture.json")
    ex = te3[:4].contiguous()
    with torch.no_grad():
        traced = torch.jit.trace(det, (ex,), check_trace=True)
    traced.save(pt_path)
    ts = torch.jit.load(pt_path).eval()
    checks = {}
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for b, h, w in ((1, 28, 28), (5, 28, 28), (3, 32, 32), (2, 64, 48), (2, 299, 299)):
            u = torch.randint(0, 256, (b, 3, h, w), generator=g, dtype=torch.uint8)
            checks[f"{b}x3x{h}x{w}_max_abs_diff_vs_eager"] = float((ts(u) - det(u)).abs().max())
    info["torchscript_checks"] = checks
    print("torchscript checks", checks, flush=True)

    # ---- ONNX (uint8 input "images"; Cast to float inside)
    torch.onnx.export(det, (ex,), onnx_path, opset_version=17, input_names=["images"], output_names=["features"],
                      dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"}, "features": {0: "batch"}},
                      do_constant_folding=True)
    import onnx
    om = onnx.load(onnx_path)
    onnx.checker.check_model(om, full_check=True)
    info["onnx"] = dict(opset=om.opset_import[0].version,
                        inputs=[(i.name, i.type.tensor_type.elem_type,
                                 [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim])
                                for i in om.graph.input],
                        outputs=[(o.name, o.type.tensor_type.elem_type,
                                  [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim])
                                 for o in om.graph.output],
                        op_types=sorted({nd.op_type for nd in om.graph.node}), checker="ok")
    print("onnx", info["onnx"], flush=True)

    # ---- fixture: first test image of classes 0..5, grey repeated to 3 channels; plus 2 images at 40x40
    idx = [int((yte == c).nonzero()[0]) for c in range(6)]
    imgs = te3[idx].contiguous()
    big = F.interpolate(torch.from_numpy(xte_u8[idx[:2]]).float().unsqueeze(1), size=(40, 40), mode="bilinear",
                        align_corners=False)
    big = big.round().clamp(0, 255).to(torch.uint8).repeat(1, 3, 1, 1).contiguous()
    with torch.no_grad():
        f6 = ts(imgs)
        f2 = ts(big)
    fixture = dict(
        description="fmnist-features.pt on fixed uint8 images: Fashion-MNIST t10k images (first of classes 0..5) "
                    "repeated to 3 channels; resized case: t10k images of classes 0,1 bilinearly upsampled to 40x40 "
                    "(rounded to uint8) then repeated to 3 channels. Features from the TorchScript module, torch "
                    + torch.__version__ + ", CPU float32.",
        model_sha256=sha256(pt_path),
        test_indices=idx, labels=[int(yte[i]) for i in idx],
        images_shape=list(imgs.shape), images=[int(v) for v in imgs.reshape(-1)],
        features_shape=list(f6.shape), features=[float(v) for v in f6.reshape(-1)],
        resized_images_shape=list(big.shape), resized_images=[int(v) for v in big.reshape(-1)],
        resized_features_shape=list(f2.shape), resized_features=[float(v) for v in f2.reshape(-1)],
        predicted_labels=[int(v) for v in clf.fc2(f6).argmax(1)],
        suggested_tolerance=dict(abs=1e-4, rel=1e-4),
    )
    with open(fix_path, "w") as f:
        json.dump(fixture, f)

    # ---- timing: batch 256 of 28x28 uint8 x3
    u = te3[:256].contiguous()
    with torch.no_grad():
        for _ in range(3):
            ts(u)
        tt = []
        for _ in range(10):
            t = time.perf_counter(); ts(u); tt.append(time.perf_counter() - t)
    info["forward_time_batch256"] = dict(min_s=min(tt), median_s=float(np.median(tt)), threads=torch.get_num_threads(),
                                         loadavg_1min=os.getloadavg()[0])
    info["sha256"] = {os.path.basename(p): sha256(p) for p in (pt_path, onnx_path, fix_path)}
    info["sizes"] = {os.path.basename(p): os.path.getsize(p) for p in (pt_path, onnx_path, fix_path)}
    with open(os.path.join(args.work, "export_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: info[k] for k in ("params", "test_accuracy", "forward_time_batch256", "sha256", "sizes")},
                     indent=1))


if __name__ == "__main__":
    main()
