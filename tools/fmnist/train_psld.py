#!/usr/bin/python3
"""Train a small PSLD epsilon-prediction U-Net on Fashion-MNIST (CPU, seeded).

Run with Debian's python (torch 1.13):
    nice -n 10 /usr/bin/python3 tools/fmnist/train_psld.py --out /work/fmnist-work/psld [--steps N]

PSLD (Phase Space Langevin Diffusion, Pandey & Mandt 2023; docs/psld.md) diffuses the augmented
state z = (x, m), m a "momentum" of the same shape as x. Every 2x2 matrix acts on each (x_i, m_i) pixel pair alike.
Constants of this model (the released CIFAR-10 sampling setting):
  beta(t) = 8 (beta_min = beta_max = 8), Gamma = 0.02, nu = 4.02, M^-1 = (Gamma - nu)^2 / 4 = 4, kappa = 0.04,
  T = 1, eval eps = 1e-3.
HSM perturbation kernel: x_0 from the data, m_0 = 0, Sigma_xx0 = 0, Sigma_mm0 = kappa * M (1e-9 added to Sigma_xx and
Sigma_mm). The network is the same U-Net F as the other small models (edm_unet.UNet, same MODEL_KW) but with
2 channels in and out: channel 0 is x, channel 1 is m. It predicts eps = (eps_x, eps_m) with
  z_t = mu_t(x_0) + L_t eps,   L_t the lower Cholesky factor of [[Sxx, Sxm], [Sxm, Smm]] (per pixel),
and the loss is the plain mean over both channels and all pixels of (eps_theta(z_t, t) - eps)^2, t ~ U[eps, 1].
The time input is the forward time t in [1e-3, 1] (float32), passed to the U-Net's sinusoidal embedding as is
(its frequencies, 1..200, suit an input of order 1). The kernel is computed in float64 and cast to float32.

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
IN_CH = 2  # z = (x, m) stacked on channels
BETA_MIN, BETA_MAX = 8.0, 8.0
GAMMA, NU = 0.02, 4.02
M_INV = (GAMMA - NU) ** 2 / 4.0  # = 4 (critical damping)
M = 1.0 / M_INV
KAPPA = 0.04
T_MAX = 1.0
EPS_T = 1e-3
JITTER = 1e-9  # added to Sigma_xx and Sigma_mm, as the reference implementation does


def beta_int(t: torch.Tensor) -> torch.Tensor:
    """B(t) = int_0^t beta(s) ds, beta(s) = beta_min + s (beta_max - beta_min). float64."""
    t = t.to(torch.float64)
    return BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t * t


def hsm_mean_coeffs(t: torch.Tensor):
    """mu_x = ax * x_0, mu_m = am * x_0 for the HSM kernel (m_0 = 0). float64 [len(t)]."""
    b = beta_int(t)
    c = NU + GAMMA
    e = torch.exp(-c * b / 4.0)
    return e * (1.0 + (NU - GAMMA) * b / 4.0), e * (-b / 2.0)


def hsm_cov(t: torch.Tensor, sxx0: float = 0.0, smm0: float = KAPPA * M):
    """(Sxx, Sxm, Smm) of the HSM kernel at forward time t (docs/psld.md), +1e-9 on the diagonal. float64."""
    b = beta_int(t)
    c = NU + GAMMA
    e = torch.exp(-c * b / 2.0)
    em1 = torch.expm1(c * b / 2.0)
    sxx = e * (sxx0 * (1.0 + (NU - GAMMA) * b / 2.0 + M_INV * b * b / 4.0) + smm0 * M_INV ** 2 * b * b / 4.0
               + em1 + (GAMMA - NU) * b / 2.0 - M_INV * b * b / 2.0)
    sxm = e * (sxx0 * ((GAMMA - NU) * b * b / 8.0 - b / 2.0) + smm0 * (M_INV * (GAMMA - NU) * b * b / 8.0
                                                                     + M_INV * b / 2.0) + (NU - GAMMA) * b * b / 4.0)
    smm = e * (sxx0 * b * b / 4.0 + smm0 * (1.0 + (GAMMA - NU) * b / 2.0 + M_INV * b * b / 4.0)
               + M * em1 + M * (NU - GAMMA) * b / 2.0 - b * b / 2.0)
    return sxx + JITTER, sxm, smm + JITTER


def hsm_cholesky(t: torch.Tensor):
    """Lower Cholesky factor [[l11, 0], [l21, l22]] of the HSM covariance at t. float64."""
    sxx, sxm, smm = hsm_cov(t)
    l11 = sxx.sqrt()
    l21 = sxm / l11
    l22 = (smm - l21 * l21).sqrt()
    return l11, l21, l22


def perturb(x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z_t = mu_t(x_0, m_0 = 0) + L_t eps; x0 [B,1,H,W], t [B], eps [B,2,H,W]; float64 arithmetic, float32 out."""
    ax, am = hsm_mean_coeffs(t)
    l11, l21, l22 = hsm_cholesky(t)
    v = lambda a: a.view(-1, 1, 1, 1)  # noqa: E731
    x0d, ed = x0.to(torch.float64), eps.to(torch.float64)
    zx = v(ax) * x0d + v(l11) * ed[:, 0:1]
    zm = v(am) * x0d + v(l21) * ed[:, 0:1] + v(l22) * ed[:, 1:2]
    return torch.cat([zx, zm], dim=1).to(torch.float32)


def self_check():
    """The kernel against docs/psld.md's check values, and against the moment ODE."""
    t = torch.tensor([0.1, 1.0], dtype=torch.float64)
    sxx, sxm, smm = hsm_cov(t)
    want = [(0.2341620, 0.1277986, 0.2163019), (0.9999863, 6.0299e-6, 0.2499973)]
    for i in range(2):
        got = (float(sxx[i]), float(sxm[i]), float(smm[i]))
        for g, w in zip(got, want[i]):
            assert abs(g - w) < 1e-7, (float(t[i]), got, want[i])
    assert abs(M_INV - 4.0) < 1e-12
    # moment ODE dS/dt = F S + S F^T + G G^T (beta constant), RK4 from S0 = diag(0, kappa M)
    F = 0.5 * BETA_MIN * torch.tensor([[-GAMMA, M_INV], [-1.0, -NU]], dtype=torch.float64)
    GG = BETA_MIN * torch.diag(torch.tensor([GAMMA, M * NU], dtype=torch.float64))
    S = torch.diag(torch.tensor([0.0, KAPPA * M], dtype=torch.float64))
    f = lambda s: F @ s + s @ F.T + GG  # noqa: E731
    n = 4000
    h = 0.1 / n
    for _ in range(n):
        k1 = f(S); k2 = f(S + h / 2 * k1); k3 = f(S + h / 2 * k2); k4 = f(S + h * k3)
        S = S + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    mu = torch.matrix_exp(F * 0.1) @ torch.tensor([0.7, 0.0], dtype=torch.float64)  # dmu/dt = F mu
    ax, am = hsm_mean_coeffs(torch.tensor([0.1], dtype=torch.float64))
    assert abs(float(S[0, 0]) + JITTER - float(sxx[0])) < 1e-9 and abs(float(S[0, 1]) - float(sxm[0])) < 1e-9
    assert abs(float(S[1, 1]) + JITTER - float(smm[0])) < 1e-9
    assert abs(0.7 * float(ax[0]) - float(mu[0])) < 1e-9 and abs(0.7 * float(am[0]) - float(mu[1])) < 1e-9
    # Cholesky reproduces the covariance
    l11, l21, l22 = hsm_cholesky(t)
    assert torch.allclose(l11 * l11, sxx) and torch.allclose(l11 * l21, sxm)
    assert torch.allclose(l21 ** 2 + l22 ** 2, smm)
    return dict(t=[0.1, 1.0], sxx=[float(v) for v in sxx], sxm=[float(v) for v in sxm], smm=[float(v) for v in smm])


class PSLDEps(nn.Module):
    """forward(z [B,2,28,28] f32 = (x, m) on channels, t [B] f32 = forward time in [1e-3, 1]) -> eps [B,2,28,28]."""

    def __init__(self, net: UNet):
        super().__init__()
        self.net = net

    def forward(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(z, t.to(torch.float32))


def build_psld(**kw) -> PSLDEps:
    return PSLDEps(UNet(in_ch=IN_CH, **kw))


def psld_loss(model, x0, gen):
    b = x0.shape[0]
    t = EPS_T + (T_MAX - EPS_T) * torch.rand(b, generator=gen, dtype=torch.float64)
    eps = torch.randn((b, IN_CH) + tuple(x0.shape[2:]), generator=gen)
    z = perturb(x0, t, eps)
    pred = model(z, t.to(torch.float32))
    return ((pred - eps) ** 2).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/work/fmnist-work/psld")
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--max-minutes", type=float, default=40.0)
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

    check = self_check()
    print("kernel self-check ok:", check, flush=True)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)

    train = load_idx_images(os.path.join(FMNIST_DIR, "train-images-idx3-ubyte.gz"))
    data = torch.from_numpy(train).float().div_(127.5).sub_(1.0).unsqueeze(1)  # [60000,1,28,28] in [-1,1]
    n_data = data.shape[0]

    model = build_psld(**MODEL_KW)
    ema = build_psld(**MODEL_KW)
    ema.load_state_dict(model.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(args.seed)
    consts = dict(beta=[BETA_MIN, BETA_MAX], gamma=GAMMA, nu=NU, m_inv=M_INV, kappa=KAPPA, T=T_MAX, eps=EPS_T)
    print(f"params={n_params(model)} model_kw={MODEL_KW} in_ch={IN_CH} consts={consts} args={vars(args)}",
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
        loss = psld_loss(model, x0, gen)
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

    # held-out loss of the EMA model on 2048 test images, seeded t/noise
    test = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))[:2048]
    xt = torch.from_numpy(test).float().div_(127.5).sub_(1.0).unsqueeze(1)
    ema.eval()
    g2 = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        test_loss = float(np.mean([psld_loss(ema, xt[i:i + 256], g2).item() for i in range(0, 2048, 256)]))
    print(f"done: steps={step} wall={wall:.0f}s ({wall / 60:.1f} min) EMA test loss={test_loss:.4f}", flush=True)
    with open(os.path.join(args.out, "train_summary.json"), "w") as f:
        json.dump(dict(steps=step, wall_s=wall, params=n_params(model), model_kw=MODEL_KW, in_ch=IN_CH,
                       consts=consts, time_input="forward time t as is", args=vars(args),
                       kernel_check=check, ema_test_loss=test_loss, curve=curve), f, indent=1)


if __name__ == "__main__":
    main()
