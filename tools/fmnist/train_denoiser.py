#!/usr/bin/python3
"""Train a small EDM-preconditioned U-Net denoiser on Fashion-MNIST (CPU, seeded).

Run with Debian's python (torch 1.13):
    nice -n 10 /usr/bin/python3 tools/fmnist/train_denoiser.py --out /work/fmnist-work/denoiser [--steps N]

EDM training (Karras et al. 2022): ln(sigma) ~ N(P_mean=-1.2, P_std=1.2),
loss = lambda(sigma) * |D(x0 + sigma*n; sigma) - x0|^2 with lambda = (sigma^2 + sd^2) / (sigma*sd)^2,
Adam with linear warm-up then constant LR, EMA of weights (decay 0.999, with the usual (1+k)/(10+k) ramp).

The step count is fixed by --steps; --max-minutes is a safety cap (the run stops early, saving what it has, and
prints the number of steps done; re-running with --steps <that number> reproduces it exactly, because the LR
schedule does not depend on the total). A checkpoint with all RNG states is written every --ckpt-every steps;
--resume continues from it bit-for-bit.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edm_unet import (FMNIST_DIR, SIGMA_DATA, build_model, ema_update, heun_sample, load_idx_images,  # noqa: E402
                      load_idx_labels, n_params,
                      save_grid, to_uint8)

MODEL_KW = dict(chs=(16, 32, 64), emb_dim=128, attn_at_bottom=True)
P_MEAN, P_STD = -1.2, 1.2


def edm_loss(model, x0, gen, labels=None):
    """labels: one-hot [B, K] (already dropped to zeros where the unconditional branch is trained) or None."""
    b = x0.shape[0]
    sigma = torch.exp(torch.randn(b, generator=gen) * P_STD + P_MEAN)
    n = torch.randn(x0.shape, generator=gen) * sigma.view(-1, 1, 1, 1)
    d = model(x0 + n, sigma) if labels is None else model(x0 + n, sigma, labels)
    w = (sigma ** 2 + SIGMA_DATA ** 2) / (sigma * SIGMA_DATA) ** 2
    return (w.view(-1, 1, 1, 1) * (d - x0) ** 2).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/work/fmnist-work/denoiser")
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--max-minutes", type=float, default=38.0)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--ckpt-every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--label-dim", type=int, default=0,
                    help="class-conditional with this many classes (one-hot, EDM style); 0 = unconditional")
    ap.add_argument("--label-dropout", type=float, default=0.1,
                    help="probability that a training label is replaced by the all-zero (null) one-hot")
    args = ap.parse_args()
    model_kw = dict(MODEL_KW, label_dim=args.label_dim) if args.label_dim > 0 else MODEL_KW

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)

    train = load_idx_images(os.path.join(FMNIST_DIR, "train-images-idx3-ubyte.gz"))
    data = torch.from_numpy(train).float().div_(127.5).sub_(1.0).unsqueeze(1)  # [60000,1,28,28] in [-1,1]
    n_data = data.shape[0]
    onehot = None
    if args.label_dim > 0:
        y = torch.from_numpy(load_idx_labels(os.path.join(FMNIST_DIR, "train-labels-idx1-ubyte.gz"))).long()
        onehot = torch.nn.functional.one_hot(y, args.label_dim).float()

    model = build_model(**model_kw)
    ema = build_model(**model_kw)
    ema.load_state_dict(model.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(args.seed)
    print(f"params={n_params(model)} model_kw={model_kw} args={vars(args)}", flush=True)

    step, perm, pos = 0, torch.randperm(n_data, generator=gen), 0
    curve = []
    ckpt_path = os.path.join(args.out, "ckpt.pt")
    wall_before = 0.0
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"]); ema.load_state_dict(ck["ema"]); opt.load_state_dict(ck["opt"])
        gen.set_state(ck["gen"]); step, perm, pos = ck["step"], ck["perm"], ck["pos"]
        curve, wall_before = ck["curve"], ck["wall"]
        print(f"resumed at step {step} (wall so far {wall_before:.0f}s)", flush=True)

    def save_ckpt():
        torch.save(dict(model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), gen=gen.get_state(),
                        step=step, perm=perm, pos=pos, curve=curve, wall=wall_before + time.time() - t0),
                   ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    t0 = time.time()
    acc, acc_n, t_last = 0.0, 0, time.time()
    model.train()
    while step < args.steps:
        if wall_before + time.time() - t0 > args.max_minutes * 60:
            print(f"time cap reached at step {step}", flush=True)
            break
        if pos + args.batch > n_data:
            perm, pos = torch.randperm(n_data, generator=gen), 0
        idx = perm[pos:pos + args.batch]
        x0 = data[idx]
        labels = None
        if onehot is not None:
            keep = (torch.rand(idx.shape[0], generator=gen) >= args.label_dropout).float().unsqueeze(1)
            labels = onehot[idx] * keep
        pos += args.batch
        lr = args.lr * min(1.0, (step + 1) / args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = edm_loss(model, x0, gen, labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        ema_update(ema, model, step, args.ema)
        acc += loss.item(); acc_n += 1
        if step % args.log_every == 0:
            now = time.time()
            wall = wall_before + now - t0
            curve.append(dict(step=step, loss=acc / acc_n, wall_s=round(wall, 1)))
            print(f"step {step:6d}  loss {acc / acc_n:.4f}  lr {lr:.2e}  {(now - t_last) / acc_n:.3f}s/it  "
                  f"wall {wall / 60:.1f} min  load {os.getloadavg()[0]:.1f}", flush=True)
            acc, acc_n, t_last = 0.0, 0, now
        if step % args.ckpt_every == 0:
            save_ckpt()

    wall = wall_before + time.time() - t0
    save_ckpt()
    torch.save(ema.state_dict(), os.path.join(args.out, "ema_state_dict.pt"))
    torch.save(model.state_dict(), os.path.join(args.out, "raw_state_dict.pt"))

    # held-out loss of the EMA model on 2048 test images, seeded sigma/noise
    test = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))[:2048]
    xt = torch.from_numpy(test).float().div_(127.5).sub_(1.0).unsqueeze(1)
    lt = None
    if onehot is not None:
        yt = torch.from_numpy(load_idx_labels(os.path.join(FMNIST_DIR, "t10k-labels-idx1-ubyte.gz"))[:2048]).long()
        lt = torch.nn.functional.one_hot(yt, args.label_dim).float()
    ema.eval()
    g2 = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        test_loss = float(np.mean([edm_loss(ema, xt[i:i + 256], g2, None if lt is None else lt[i:i + 256]).item()
                                   for i in range(0, 2048, 256)]))
    print(f"done: steps={step} wall={wall:.0f}s ({wall / 60:.1f} min) EMA test loss={test_loss:.4f}", flush=True)

    # 64 samples, Heun 25 steps (49 NFE), rho 7, sigma 80 -> 0.002 -> 0
    g3 = torch.Generator().manual_seed(7)
    lat = torch.randn(64, 1, 28, 28, generator=g3)
    if onehot is not None:  # conditional: row r of the grid is class r mod K
        lab = torch.nn.functional.one_hot(torch.arange(64) // 8 % args.label_dim, args.label_dim).float()
        s = heun_sample(lambda x, sg: ema(x, sg, lab), lat, n_steps=25)
    else:
        s = heun_sample(ema, lat, n_steps=25)
    save_grid(to_uint8(s), os.path.join(args.out, "samples_heun49.png"))
    with open(os.path.join(args.out, "train_summary.json"), "w") as f:
        json.dump(dict(steps=step, wall_s=wall, params=n_params(model), model_kw=model_kw, args=vars(args),
                       ema_test_loss=test_loss, curve=curve), f, indent=1)


if __name__ == "__main__":
    main()
