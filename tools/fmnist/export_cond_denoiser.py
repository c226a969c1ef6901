#!/usr/bin/python3
"""Export the class-conditional Fashion-MNIST denoiser: TorchScript + Java test fixture + class sample grids.

    nice -n 10 /usr/bin/python3 tools/fmnist/export_cond_denoiser.py \
        --weights /work/fmnist-work/cond/ema_state_dict.pt --models models

Writes
  models/fmnist-edm-cond.pt               TorchScript (traced): forward(x f32[B,1,28,28], sigma f32[B],
                                           class_labels f32[B,10] one-hot; all-zero = unconditional) -> D f32[B,1,28,28]
  models/fmnist-edm-cond.fixture.json     fixed inputs (labelled and null rows) and the TorchScript module's outputs
  models/fmnist-edm-cond.samples.png      10 rows (classes 0-9) x 8 samples, Heun 25 steps (49 NFE), guidance 1
  models/fmnist-edm-cond.samples-w3.png   the same latents and labels at guidance 3
  <work>/export_info.json                 sha256s, checks (used for the model card)

Guidance here is classifier-free guidance with the null label: D = D_u + w (D_c - D_u), D_u = D(x; sigma, 0).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edm_unet import (FMNIST_DIR, build_model, flat, heun_sample, load_idx_images, load_idx_labels,  # noqa: E402
                      n_params, save_grid, sha256, to_uint8)
from train_denoiser import MODEL_KW  # noqa: E402

K = 10


def guided(model, labels, w):
    null = torch.zeros_like(labels)

    def d(x, s):
        if w == 1.0:
            return model(x, s, labels)
        both = model(torch.cat([x, x]), torch.cat([s, s]), torch.cat([labels, null]))
        dc, du = both[:x.shape[0]], both[x.shape[0]:]
        return du + w * (dc - du)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="/work/fmnist-work/cond/ema_state_dict.pt")
    ap.add_argument("--models", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../models"))
    ap.add_argument("--work", default="/work/fmnist-work/cond")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models = os.path.abspath(args.models)
    pt_path = os.path.join(models, "fmnist-edm-cond.pt")
    fix_path = os.path.join(models, "fmnist-edm-cond.fixture.json")
    png_path = os.path.join(models, "fmnist-edm-cond.samples.png")
    png3_path = os.path.join(models, "fmnist-edm-cond.samples-w3.png")
    info = dict(torch_version=torch.__version__)

    model = build_model(**dict(MODEL_KW, label_dim=K))
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    info["params"] = n_params(model)

    g = torch.Generator().manual_seed(11)
    ex_x = torch.randn(4, 1, 28, 28, generator=g)
    ex_s = torch.tensor([0.01, 0.5, 2.0, 80.0])
    ex_l = torch.nn.functional.one_hot(torch.tensor([0, 3, 9, 5]), K).float()
    ex_l[3] = 0
    with torch.no_grad():
        traced = torch.jit.trace(model, (ex_x, ex_s, ex_l), check_trace=True)
    traced.save(pt_path)
    ts = torch.jit.load(pt_path)
    ts.eval()
    checks = {}
    with torch.no_grad():
        for b in (1, 3, 4, 17, 256):
            x = torch.randn(b, 1, 28, 28, generator=g) * 2
            s = torch.exp(torch.randn(b, generator=g) * 1.5 - 1.0)
            lab = torch.nn.functional.one_hot(torch.randint(0, K, (b,), generator=g), K).float()
            lab[::3] = 0
            checks[f"batch{b}_max_abs_diff_vs_eager"] = float((ts(x, s, lab) - model(x, s, lab)).abs().max())
    info["torchscript_checks"] = checks
    print("torchscript checks", checks, flush=True)

    # fixture: B=4, sigma=[0.01,0.5,2,80]; rows 0,1: t10k images 0,1 + sigma*n with their true labels;
    # row 2: sigma*n with label 3; row 3: sigma*n with the null (all-zero) label
    test = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))
    test_labels = load_idx_labels(os.path.join(FMNIST_DIR, "t10k-labels-idx1-ubyte.gz"))
    real = torch.from_numpy(test[:2]).float().div(127.5).sub(1.0).unsqueeze(1)
    gf = torch.Generator().manual_seed(2024)
    noise = torch.randn(4, 1, 28, 28, generator=gf)
    sigma = torch.tensor([0.01, 0.5, 2.0, 80.0], dtype=torch.float32)
    x = noise * sigma.view(-1, 1, 1, 1)
    x[:2] += real
    classes = [int(test_labels[0]), int(test_labels[1]), 3, -1]
    labels = torch.zeros(4, K)
    for i, c in enumerate(classes):
        if c >= 0:
            labels[i, c] = 1
    with torch.no_grad():
        out = ts(x, sigma, labels)
    fixture = dict(
        description="fmnist-edm-cond.pt outputs on fixed inputs. x[0:2] = Fashion-MNIST t10k images 0,1 "
                    "(u8/127.5-1) + sigma*n with their labels, x[2] = sigma*n with label 3, x[3] = sigma*n with the "
                    "null label (all-zero one-hot); n ~ N(0,1) from torch.Generator seed 2024. Output = TorchScript "
                    "module, torch " + torch.__version__ + ", CPU float32.",
        model_sha256=sha256(pt_path),
        x_shape=list(x.shape), x=flat(x),
        sigma_shape=list(sigma.shape), sigma=flat(sigma),
        classes=classes,
        class_labels_shape=list(labels.shape), class_labels=flat(labels),
        denoised_shape=list(out.shape), denoised=flat(out),
        suggested_tolerance=dict(abs=1e-4, rel=1e-4),
    )
    with open(fix_path, "w") as f:
        json.dump(fixture, f)
    info["fixture_mse_vs_clean"] = [float(((out[i] - real[i]) ** 2).mean()) for i in range(2)]

    # class grids: row c = class c, the same 80 latents at guidance 1 and 3
    lat = torch.randn(80, 1, 28, 28, generator=torch.Generator().manual_seed(7))
    lab = torch.nn.functional.one_hot(torch.arange(80) // 8, K).float()
    t = time.perf_counter()
    s1 = heun_sample(guided(ts, lab, 1.0), lat, n_steps=25)
    info["sample_80_heun49_s"] = time.perf_counter() - t
    save_grid(to_uint8(s1), png_path, scale=2)
    s3 = heun_sample(guided(ts, lab, 3.0), lat, n_steps=25)
    save_grid(to_uint8(s3), png3_path, scale=2)

    info["sha256"] = {os.path.basename(p): sha256(p) for p in (pt_path, fix_path, png_path, png3_path)}
    info["sizes"] = {os.path.basename(p): os.path.getsize(p) for p in (pt_path, fix_path, png_path, png3_path)}
    os.makedirs(args.work, exist_ok=True)
    with open(os.path.join(args.work, "export_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
