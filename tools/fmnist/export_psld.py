#!/usr/bin/python3
"""Export the trained EMA PSLD epsilon-model: TorchScript + ONNX + Java test fixture + sample grid + timing.

    nice -n 10 /usr/bin/python3 tools/fmnist/export_psld.py \
        --weights /work/fmnist-work/psld/ema_state_dict.pt --models models

Writes
  models/fmnist-psld-eps.pt            TorchScript (traced): forward(z f32[B,2,28,28], t f32[B]) -> eps f32[B,2,28,28]
                                       z = (x, m) on channels (x channel 0, m channel 1), t = forward time in [1e-3, 1]
  models/fmnist-psld-eps.onnx          ONNX opset 17, inputs "z", "t", output "eps", dynamic batch
  models/fmnist-psld-eps.fixture.json  fixed inputs and the TorchScript module's outputs (flat lists + shapes)
  models/fmnist-psld-eps.samples.png   64 samples, Euler-Maruyama on the reverse SDE, 200 uniform steps + 1 denoising
                                       step (201 NFE)
  <work>/samples_*.png                 comparison grids (EM and SSCS at 50 steps, SSCS at 200), not committed
  <work>/export_info.json              sha256s, timings, checks (used for the model card)

The samplers follow docs/psld.md (reverse SDE in reverse time tau = T - t, score s = -L^-T eps,
SSCS with the exact Ornstein-Uhlenbeck half steps). Arithmetic in float64, model calls in float32.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edm_unet import FMNIST_DIR, flat, load_idx_images, n_params, save_grid, sha256, to_uint8  # noqa: E402
from train_psld import (BETA_MAX, BETA_MIN, EPS_T, GAMMA, IN_CH, JITTER, KAPPA, M, M_INV, MODEL_KW, NU,  # noqa: E402
                        T_MAX, beta_int, build_psld, hsm_cholesky, hsm_cov, hsm_mean_coeffs, perturb, self_check)

C_SUM = NU + GAMMA


def beta_at(t: float) -> float:
    return BETA_MIN + t * (BETA_MAX - BETA_MIN)


def score_from_eps(eps: torch.Tensor, t: float) -> torch.Tensor:
    """s = -L^-T eps with the HSM kernel at forward time t (docs/psld.md). float64 in and out."""
    sxx, sxm, smm = (float(v) for v in hsm_cov(torch.tensor([t], dtype=torch.float64)))
    det = sxx * smm - sxm * sxm
    ex, em = eps[:, 0:1], eps[:, 1:2]
    sx = -ex / sxx ** 0.5 + sxm / (sxx ** 0.5 * det ** 0.5) * em
    sm = -(sxx / det) ** 0.5 * em
    return torch.cat([sx, sm], dim=1)


def model_score(model, z: torch.Tensor, t: float) -> torch.Tensor:
    eps = model(z.float(), torch.full((z.shape[0],), t, dtype=torch.float32)).to(torch.float64)
    return score_from_eps(eps, t)


def reverse_drift(z: torch.Tensor, s: torch.Tensor, t: float) -> torch.Tensor:
    """Reverse-SDE drift in tau at forward time t (SDE form, full score)."""
    b = beta_at(t)
    x, m = z[:, 0:1], z[:, 1:2]
    fx = 0.5 * b * (GAMMA * x - M_INV * m) + b * GAMMA * s[:, 0:1]
    fm = 0.5 * b * (x + NU * m) + b * M * NU * s[:, 1:2]
    return torch.cat([fx, fm], dim=1)


def ou_step(z: torch.Tensor, tau: float, delta: float, gen) -> torch.Tensor:
    """Exact OU part of SSCS over reverse times [tau, tau + delta] (docs/psld.md), with fresh noise."""
    mean, (sxx, sxm, smm) = ou_moments(z, tau, delta)
    l11 = sxx ** 0.5
    l21 = sxm / l11
    l22 = (smm - l21 * l21) ** 0.5
    xi = torch.randn(z.shape, generator=gen, dtype=torch.float64)
    nx = l11 * xi[:, 0:1]
    nm = l21 * xi[:, 0:1] + l22 * xi[:, 1:2]
    return mean + torch.cat([nx, nm], dim=1)


def ou_moments(z: torch.Tensor, tau: float, delta: float):
    t_hi, t_lo = T_MAX - tau, T_MAX - tau - delta
    tt = torch.tensor([t_hi, t_lo], dtype=torch.float64)
    bb = beta_int(tt)
    db = float(bb[0] - bb[1])
    e4 = np.exp(-C_SUM * db / 4.0)
    x, m = z[:, 0:1], z[:, 1:2]
    mx = e4 * ((1.0 + (NU - GAMMA) * db / 4.0) * x - (M_INV * db / 2.0) * m)
    mm = e4 * ((db / 2.0) * x + (1.0 + (GAMMA - NU) * db / 4.0) * m)
    e2 = np.exp(-C_SUM * db / 2.0)
    em1 = np.expm1(C_SUM * db / 2.0)
    sxx = e2 * (em1 + (GAMMA - NU) * db / 2.0 - M_INV * db * db / 2.0) + JITTER
    sxm = e2 * (GAMMA - NU) * db * db / 4.0
    smm = e2 * (M * em1 + M * (NU - GAMMA) * db / 2.0 - db * db / 2.0) + JITTER
    return torch.cat([mx, mm], dim=1), (sxx, sxm, smm)


def ou_self_check():
    """docs/psld.md's SSCS check: beta 8, Gamma 0.02, nu 4.02, delta 0.05 from tau = 0, start (0.5, -0.2)."""
    z = torch.tensor([0.5, -0.2], dtype=torch.float64).view(1, 2, 1, 1)
    mean, cov = ou_moments(z, 0.0, 0.05)
    got = [float(mean[0, 0]), float(mean[0, 1])] + list(cov)
    want = [0.5741739443, -0.0133528824, 0.0550128140, -0.0713197876, 0.1920526726]
    assert max(abs(g - w) for g, w in zip(got, want)) < 1e-9, (got, want)
    return dict(mean=got[:2], cov=got[2:])


def prior(n: int, gen) -> torch.Tensor:
    """x ~ N(0, I), m ~ N(0, M I) (float64)."""
    z = torch.randn((n, IN_CH, 28, 28), generator=gen, dtype=torch.float64)
    z[:, 1:2] *= M ** 0.5
    return z


def tau_grid(n: int) -> np.ndarray:
    return (T_MAX - EPS_T) * np.arange(n + 1) / n  # uniform in reverse time, 0 .. T - eps


@torch.no_grad()
def sample_em(model, z: torch.Tensor, n_steps: int, gen) -> torch.Tensor:
    """Euler-Maruyama on the reverse SDE, n uniform steps, then one drift-only step of size eps at forward time
    eps (NFE = n + 1). Returns z (x is channel 0)."""
    taus = tau_grid(n_steps)
    for k in range(n_steps):
        h = taus[k + 1] - taus[k]
        t = T_MAX - taus[k]
        b = beta_at(t)
        f = reverse_drift(z, model_score(model, z, t), t)
        g = torch.tensor([(b * GAMMA) ** 0.5, (b * M * NU) ** 0.5], dtype=torch.float64).view(1, 2, 1, 1)
        z = z + h * f + g * h ** 0.5 * torch.randn(z.shape, generator=gen, dtype=torch.float64)
    return z + EPS_T * reverse_drift(z, model_score(model, z, EPS_T), EPS_T)


@torch.no_grad()
def sample_sscs(model, z: torch.Tensor, n_steps: int, gen) -> torch.Tensor:
    """SSCS (docs/psld.md): O_{h/2}; one call at forward time T - tau_k; score update of x and m; O_{h/2}.
    Then the same drift-only denoising step as EM (NFE = n + 1)."""
    taus = tau_grid(n_steps)
    for k in range(n_steps):
        h = taus[k + 1] - taus[k]
        t = T_MAX - taus[k]
        b = beta_at(t)
        z = ou_step(z, taus[k], h / 2, gen)
        s = model_score(model, z, t)
        x = z[:, 0:1] + h * b * GAMMA * (s[:, 0:1] + z[:, 0:1])
        m = z[:, 1:2] + h * b * M * NU * (s[:, 1:2] + M_INV * z[:, 1:2])
        z = ou_step(torch.cat([x, m], dim=1), taus[k] + h / 2, h / 2, gen)
    return z + EPS_T * reverse_drift(z, model_score(model, z, EPS_T), EPS_T)


def time_forward(fn, b=256, reps=10):
    g = torch.Generator().manual_seed(5)
    z = torch.randn(b, IN_CH, 28, 28, generator=g)
    t = EPS_T + torch.rand(b, generator=g) * (T_MAX - EPS_T)
    with torch.no_grad():
        for _ in range(3):
            fn(z, t)
        ts = []
        for _ in range(reps):
            s = time.perf_counter(); fn(z, t); ts.append(time.perf_counter() - s)
    return dict(batch=b, min_s=min(ts), median_s=float(np.median(ts)), all_s=ts, threads=torch.get_num_threads(),
                loadavg_1min=os.getloadavg()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="/work/fmnist-work/psld/ema_state_dict.pt")
    ap.add_argument("--models", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../models"))
    ap.add_argument("--work", default="/work/fmnist-work/psld")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-samples", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models = os.path.abspath(args.models)
    os.makedirs(models, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    pt_path = os.path.join(models, "fmnist-psld-eps.pt")
    onnx_path = os.path.join(models, "fmnist-psld-eps.onnx")
    fix_path = os.path.join(models, "fmnist-psld-eps.fixture.json")
    png_path = os.path.join(models, "fmnist-psld-eps.samples.png")
    info = dict(torch_version=torch.__version__, params=None,
                consts=dict(beta=[BETA_MIN, BETA_MAX], gamma=GAMMA, nu=NU, m_inv=M_INV, kappa=KAPPA, T=T_MAX,
                            eps=EPS_T),
                kernel_check=self_check(), sscs_ou_check=ou_self_check())
    print("self-checks ok", info["kernel_check"], info["sscs_ou_check"], flush=True)
    summ = os.path.join(os.path.dirname(os.path.abspath(args.weights)), "train_summary.json")
    if os.path.exists(summ):
        with open(summ) as f:
            s = json.load(f)
        info["train"] = dict(steps=s["steps"], wall_s=s["wall_s"], ema_test_loss=s["ema_test_loss"],
                             final_loss=s["curve"][-1] if s["curve"] else None)
    info["weights_sha256"] = sha256(args.weights)

    model = build_psld(**MODEL_KW)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    info["params"] = n_params(model)

    # ---- TorchScript (trace; no data-dependent control flow)
    g = torch.Generator().manual_seed(11)
    ex_z = torch.randn(4, IN_CH, 28, 28, generator=g)
    ex_t = torch.tensor([0.001, 0.1, 0.5, 1.0])
    with torch.no_grad():
        traced = torch.jit.trace(model, (ex_z, ex_t), check_trace=True)
    traced.save(pt_path)
    ts = torch.jit.load(pt_path)
    ts.eval()
    checks = {}
    with torch.no_grad():
        for b in (1, 3, 4, 17, 256):
            z = torch.randn(b, IN_CH, 28, 28, generator=g)
            t = EPS_T + torch.rand(b, generator=g) * (T_MAX - EPS_T)
            checks[f"batch{b}_max_abs_diff_vs_eager"] = float((ts(z, t) - model(z, t)).abs().max())
    info["torchscript_checks"] = checks
    print("torchscript checks", checks, flush=True)
    if any(v != 0.0 for v in checks.values()):
        print("WARNING: TorchScript differs from eager mode", flush=True)

    # ---- ONNX
    torch.onnx.export(model, (ex_z, ex_t), onnx_path, opset_version=17, input_names=["z", "t"],
                      output_names=["eps"], dynamic_axes={"z": {0: "batch"}, "t": {0: "batch"}, "eps": {0: "batch"}},
                      do_constant_folding=True)
    import onnx
    om = onnx.load(onnx_path)
    onnx.checker.check_model(om, full_check=True)
    info["onnx"] = dict(opset=[(o.domain, o.version) for o in om.opset_import][0][1], ir_version=om.ir_version,
                        inputs=[(i.name, i.type.tensor_type.elem_type,
                                 [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim])
                                for i in om.graph.input],
                        outputs=[(o.name, o.type.tensor_type.elem_type,
                                  [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim])
                                 for o in om.graph.output],
                        op_types=sorted({n.op_type for n in om.graph.node}), checker="ok")
    print("onnx", info["onnx"], flush=True)

    # ---- fixture: B=4, t=[0.001, 0.1, 0.5, 1]; z[i] = mu_t(x0_i, m_0 = 0) + L_t n_i (HSM kernel)
    #      with x0_0, x0_1 = test images 0,1 and x0_2 = x0_3 = 0; n ~ N(0,1) [4,2,28,28] from generator seed 2024
    test = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))
    real = torch.from_numpy(test[:2]).float().div(127.5).sub(1.0).unsqueeze(1)
    x0 = torch.zeros(4, 1, 28, 28)
    x0[:2] = real
    gf = torch.Generator().manual_seed(2024)
    noise = torch.randn(4, IN_CH, 28, 28, generator=gf)
    t = torch.tensor([0.001, 0.1, 0.5, 1.0], dtype=torch.float32)
    t64 = t.to(torch.float64)  # the float32 times, widened: the kernel is evaluated at exactly the times fed in
    z = perturb(x0, t64, noise)
    with torch.no_grad():
        out = ts(z, t)
    sxx, sxm, smm = hsm_cov(t64)
    ax, am = hsm_mean_coeffs(t64)
    l11, l21, l22 = hsm_cholesky(t64)
    fixture = dict(
        description="fmnist-psld-eps.pt outputs on fixed inputs. PSLD (SPEC section 8), beta = 8, Gamma = 0.02, "
                    "nu = 4.02, M^-1 = 4, kappa = 0.04; z = (x, m) stacked on channels (x channel 0, m channel 1); "
                    "t = forward time, float32. z[i] = mu_t(x0_i, m_0 = 0) + L_t n_i with the HSM kernel "
                    "(Sxx0 = 0, Smm0 = kappa*M, +1e-9 on Sxx and Smm), L_t the lower Cholesky factor of "
                    "[[Sxx, Sxm], [Sxm, Smm]] per pixel: z_x = ax*x0 + l11*n_x, z_m = am*x0 + l21*n_x + l22*n_m; "
                    "computed in float64 at the float32 times, cast to float32; x0_0, x0_1 = Fashion-MNIST t10k "
                    "images 0,1 (u8/127.5-1), x0_2 = x0_3 = 0; n ~ N(0,1) of shape [4,2,28,28] from "
                    "torch.Generator seed 2024. Output eps = TorchScript module, torch " + torch.__version__
                    + ", CPU float32. Kernel values per t: mean_coeff_x = ax, mean_coeff_m = am, sxx, sxm, smm, "
                    "l11, l21, l22.",
        model_sha256=sha256(pt_path),
        z_shape=list(z.shape), z=flat(z),
        t_shape=list(t.shape), t=flat(t),
        eps_shape=list(out.shape), eps=flat(out),
        mean_coeff_x=[float(v) for v in ax], mean_coeff_m=[float(v) for v in am],
        sxx=[float(v) for v in sxx], sxm=[float(v) for v in sxm], smm=[float(v) for v in smm],
        l11=[float(v) for v in l11], l21=[float(v) for v in l21], l22=[float(v) for v in l22],
        noise_shape=list(noise.shape), noise=flat(noise),
        test_image_indices=[0, 1],
        suggested_tolerance=dict(abs=1e-4, rel=1e-4),
    )
    with open(fix_path, "w") as f:
        json.dump(fixture, f)
    info["fixture_eps_minmax"] = [float(out.min()), float(out.max())]
    info["fixture_eps_mse_vs_true_noise"] = [float(((out[i] - noise[i]) ** 2).mean()) for i in range(4)]
    info["fixture_eps_x_mse_vs_true_noise"] = [float(((out[i, 0] - noise[i, 0]) ** 2).mean()) for i in range(4)]
    info["fixture_eps_m_mse_vs_true_noise"] = [float(((out[i, 1] - noise[i, 1]) ** 2).mean()) for i in range(4)]
    # x_0 estimate from the predicted eps: mu_x = z_x - l11*eps_x = ax*x0
    x0_hat = (z[:, 0:1].double() - l11.view(-1, 1, 1, 1) * out[:, 0:1].double()) / ax.view(-1, 1, 1, 1)
    info["fixture_x0hat_mse_vs_clean"] = [float(((x0_hat[i] - x0[i].double()) ** 2).mean()) for i in range(2)]
    print("fixture", {k: info[k] for k in info if k.startswith("fixture")}, flush=True)

    # ---- timing, batch 256
    info["forward_time_torchscript"] = time_forward(lambda a, b: ts(a, b))
    info["forward_time_eager"] = time_forward(lambda a, b: model(a, b))
    print("timing ts", info["forward_time_torchscript"], flush=True)
    print("timing eager", info["forward_time_eager"], flush=True)

    # ---- 64 samples from the exported TorchScript module
    if not args.skip_samples:
        runs = [("em", 200, png_path, 7), ("em", 50, None, 7), ("sscs", 50, None, 7), ("sscs", 200, None, 7)]
        fns = dict(em=sample_em, sscs=sample_sscs)
        test_u8 = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))
        info["test_mean_u8"] = float(to_uint8(torch.from_numpy(test_u8).double().div(127.5).sub(1.0))
                                     .astype(np.float64).mean())
        for name, n, path, seed in runs:
            gen = torch.Generator().manual_seed(seed)
            z0 = prior(64, gen)
            s0 = time.perf_counter()
            zs = fns[name](ts, z0, n, gen)
            key = f"{name}{n}"
            info[f"sample_64_{key}_s"] = time.perf_counter() - s0
            x = zs[:, 0:1]
            u8 = to_uint8(x)
            if path is not None:
                save_grid(u8, path, scale=2)
            save_grid(u8, os.path.join(args.work, f"samples_{key}.png"), scale=3)
            info[f"sample_range_{key}"] = [float(x.min()), float(x.max())]
            info[f"sample_m_range_{key}"] = [float(zs[:, 1].min()), float(zs[:, 1].max())]
            info[f"sample_mean_u8_{key}"] = float(u8.astype(np.float64).mean())
            print(key, {k: v for k, v in info.items() if k.startswith("sample") and k.endswith(key)}, flush=True)

    info["sha256"] = {os.path.basename(p): sha256(p) for p in (pt_path, onnx_path, fix_path, png_path)
                      if os.path.exists(p)}
    info["sizes"] = {os.path.basename(p): os.path.getsize(p) for p in (pt_path, onnx_path, fix_path, png_path)
                     if os.path.exists(p)}
    with open(os.path.join(args.work, "export_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: info[k] for k in ("params", "sha256", "sizes")}, indent=1))


if __name__ == "__main__":
    main()
