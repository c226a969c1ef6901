#!/usr/bin/python3
"""Train a small DDPM epsilon-prediction U-Net on Fashion-MNIST (CPU, seeded).

Run with Debian's python (torch 1.13):
    nice -n 10 /usr/bin/python3 tools/fmnist/train_ddpm.py --out /work/fmnist-work/ddpm [--steps N]

Same network F as the EDM denoiser (edm_unet.UNet, same MODEL_KW), without the EDM preconditioning wrapper,
trained as a discrete DDPM epsilon-predictor (Ho et al. 2020; /work/shared/SPEC.md section 1):
  beta_k linear from 1e-4 to 0.02, k = 1..K = 1000, abar_k = prod_{j<=k} (1 - beta_j),
  k ~ U{1..K}, x_k = sqrt(abar_k) x_0 + sqrt(1 - abar_k) eps, loss = mean |eps_theta(x_k, k-1) - eps|^2.
The model's time input is the DDPM step INDEX k-1 in 0..999 (float; fractional values allowed). Inside the
module it is mapped to c = index / 1000 before the sinusoidal embedding (whose frequencies, 1..200, suit an
input of order 1).

Adam with linear warm-up then constant LR, EMA (decay 0.999 with the (1+k)/(10+k) ramp), grad-norm clip 1.0.
The step count is fixed by --steps; --max-minutes is a safety cap (the LR schedule does not depend on the
total, so re-running with --steps <steps done> reproduces a capped run). --resume continues from ckpt.pt.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edm_unet import FMNIST_DIR, UNet, ema_update, load_idx_images, n_params  # noqa: E402

MODEL_KW = dict(chs=(16, 32, 64), emb_dim=128, attn_at_bottom=True)  # same as train_denoiser.MODEL_KW
K = 1000
BETA_MIN, BETA_MAX = 1e-4, 0.02
TIME_SCALE = 1.0 / 1000.0  # index -> embedding input


def ddpm_alphas_cumprod(k: int = K) -> torch.Tensor:
    """abar_1..abar_K (float64), index j-1 holds abar_j."""
    betas = torch.linspace(BETA_MIN, BETA_MAX, k, dtype=torch.float64)
    return torch.cumprod(1.0 - betas, dim=0)


class DDPMEps(nn.Module):
    """forward(x [B,1,28,28] f32 = sqrt(abar) x_hat, t [B] f32 = DDPM step index k-1 in [0, 999]) -> eps."""

    def __init__(self, net: UNet):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(x, t.to(torch.float32) * TIME_SCALE)


def build_ddpm(**kw) -> DDPMEps:
    return DDPMEps(UNet(**kw))


def ddpm_loss(model, x0, gen, sqrt_ab, sqrt_1mab):
    b = x0.shape[0]
    k = torch.randint(1, K + 1, (b,), generator=gen)  # 1..K
    eps = torch.randn(x0.shape, generator=gen)
    a = sqrt_ab[k - 1].view(-1, 1, 1, 1)
    s = sqrt_1mab[k - 1].view(-1, 1, 1, 1)
    xk = a * x0 + s * eps
    pred = model(xk, (k - 1).to(torch.float32))
    return ((pred - eps) ** 2).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/work/fmnist-work/ddpm")
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--max-minutes", type=float, default=28.0)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--ckpt-every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20240502)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)

    ab = ddpm_alphas_cumprod()
    sqrt_ab = ab.sqrt().float()
    sqrt_1mab = (1.0 - ab).sqrt().float()

    train = load_idx_images(os.path.join(FMNIST_DIR, "train-images-idx3-ubyte.gz"))
    data = torch.from_numpy(train).float().div_(127.5).sub_(1.0).unsqueeze(1)  # [60000,1,28,28] in [-1,1]
    n_data = data.shape[0]

    model = build_ddpm(**MODEL_KW)
    ema = build_ddpm(**MODEL_KW)
    ema.load_state_dict(model.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(args.seed)
    print(f"params={n_params(model)} model_kw={MODEL_KW} K={K} beta={BETA_MIN}..{BETA_MAX} args={vars(args)}",
          flush=True)

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
        torch.save(ema.state_dict(), os.path.join(args.out, "ema_state_dict.pt"))

    t0 = time.time()
    acc, acc_n, t_last = 0.0, 0, time.time()
    model.train()
    while step < args.steps:
        if wall_before + time.time() - t0 > args.max_minutes * 60:
            print(f"time cap reached at step {step}", flush=True)
            break
        if pos + args.batch > n_data:
            perm, pos = torch.randperm(n_data, generator=gen), 0
        x0 = data[perm[pos:pos + args.batch]]
        pos += args.batch
        lr = args.lr * min(1.0, (step + 1) / args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        loss = ddpm_loss(model, x0, gen, sqrt_ab, sqrt_1mab)
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
    torch.save(model.state_dict(), os.path.join(args.out, "raw_state_dict.pt"))

    # held-out loss of the EMA model on 2048 test images, seeded k/noise
    test = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))[:2048]
    xt = torch.from_numpy(test).float().div_(127.5).sub_(1.0).unsqueeze(1)
    ema.eval()
    g2 = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        test_loss = float(np.mean([ddpm_loss(ema, xt[i:i + 256], g2, sqrt_ab, sqrt_1mab).item()
                                   for i in range(0, 2048, 256)]))
    print(f"done: steps={step} wall={wall:.0f}s ({wall / 60:.1f} min) EMA test loss={test_loss:.4f}", flush=True)
    with open(os.path.join(args.out, "train_summary.json"), "w") as f:
        json.dump(dict(steps=step, wall_s=wall, params=n_params(model), model_kw=MODEL_KW, K=K,
                       beta=[BETA_MIN, BETA_MAX], time_scale=TIME_SCALE, args=vars(args),
                       ema_test_loss=test_loss, curve=curve), f, indent=1)


if __name__ == "__main__":
    main()
