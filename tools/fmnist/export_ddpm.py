#!/usr/bin/python3
"""Export the trained EMA DDPM epsilon-model: TorchScript + ONNX + Java test fixture + DDIM sample grid + timing.

    nice -n 10 /usr/bin/python3 tools/fmnist/export_ddpm.py \
        --weights /work/fmnist-work/ddpm/ema_state_dict.pt --models models

Writes
  models/fmnist-ddpm-eps.pt            TorchScript (traced): forward(x f32[B,1,28,28], t f32[B]) -> eps f32[B,1,28,28]
                                       x = sqrt(abar) * x_hat (the usual DDPM x_k), t = DDPM step index k-1 (float)
  models/fmnist-ddpm-eps.onnx          ONNX opset 17, inputs "x", "t", output "eps", dynamic batch
  models/fmnist-ddpm-eps.fixture.json  fixed inputs and the TorchScript module's outputs (flat lists + shapes)
  models/fmnist-ddpm-eps.samples.png   64 samples, deterministic DDIM (eta = 0), 50 steps = 50 NFE
  <work>/export_info.json              sha256s, timings, checks (used for the model card)
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
from train_ddpm import K, MODEL_KW, build_ddpm, ddpm_alphas_cumprod  # noqa: E402




def abar_at_index(t: torch.Tensor) -> torch.Tensor:
    """abar at (fractional) DDPM index t in [-1, 999]: SPEC section 1, linear interpolation of [1, abar_1..abar_K]
    at tau = (t + 1) / 1000 (index -1 = clean data, abar = 1). float64."""
    table = torch.cat([torch.ones(1, dtype=torch.float64), ddpm_alphas_cumprod()])  # table[k] = abar_k
    u = (t.to(torch.float64) + 1.0).clamp(0, K)
    lo = u.floor().long().clamp(max=K - 1)
    w = u - lo.to(torch.float64)
    return table[lo] * (1 - w) + table[lo + 1] * w


@torch.no_grad()
def ddim_sample(model, latents: torch.Tensor, n_steps: int = 50) -> torch.Tensor:
    """Deterministic DDIM (eta = 0) on indices 999, 999-d, ..., then to the clean data (abar = 1); NFE = n_steps.
    Arithmetic in float64, model calls in float32. Returns x_0 (no clipping)."""
    idx = torch.linspace(K - 1, 0, n_steps + 1, dtype=torch.float64)[:-1].round()  # 999 ... > 0
    idx = torch.cat([idx, torch.tensor([-1.0], dtype=torch.float64)])  # last: clean
    ab = abar_at_index(idx)
    x = latents.to(torch.float64)
    b = x.shape[0]
    for i in range(n_steps):
        eps = model(x.float(), torch.full((b,), float(idx[i]))).to(torch.float64)
        x0 = (x - (1 - ab[i]).sqrt() * eps) / ab[i].sqrt()
        x = ab[i + 1].sqrt() * x0 + (1 - ab[i + 1]).sqrt() * eps
    return x


def time_forward(fn, b=256, reps=10):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(b, 1, 28, 28, generator=g)
    t = torch.rand(b, generator=g) * 999
    with torch.no_grad():
        for _ in range(3):
            fn(x, t)
        ts = []
        for _ in range(reps):
            s = time.perf_counter(); fn(x, t); ts.append(time.perf_counter() - s)
    return dict(batch=b, min_s=min(ts), median_s=float(np.median(ts)), all_s=ts, threads=torch.get_num_threads(),
                loadavg_1min=os.getloadavg()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="/work/fmnist-work/ddpm/ema_state_dict.pt")
    ap.add_argument("--models", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../models"))
    ap.add_argument("--work", default="/work/fmnist-work/ddpm")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-samples", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models = os.path.abspath(args.models)
    os.makedirs(models, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    pt_path = os.path.join(models, "fmnist-ddpm-eps.pt")
    onnx_path = os.path.join(models, "fmnist-ddpm-eps.onnx")
    fix_path = os.path.join(models, "fmnist-ddpm-eps.fixture.json")
    png_path = os.path.join(models, "fmnist-ddpm-eps.samples.png")
    info = dict(torch_version=torch.__version__, params=None)

    model = build_ddpm(**MODEL_KW)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    info["params"] = n_params(model)

    # ---- TorchScript (trace; no data-dependent control flow)
    g = torch.Generator().manual_seed(11)
    ex_x = torch.randn(4, 1, 28, 28, generator=g)
    ex_t = torch.tensor([0.0, 99.5, 500.0, 999.0])
    with torch.no_grad():
        traced = torch.jit.trace(model, (ex_x, ex_t), check_trace=True)
    traced.save(pt_path)
    ts = torch.jit.load(pt_path)
    ts.eval()
    checks = {}
    with torch.no_grad():
        for b in (1, 3, 4, 17, 256):
            x = torch.randn(b, 1, 28, 28, generator=g)
            t = torch.rand(b, generator=g) * 999
            checks[f"batch{b}_max_abs_diff_vs_eager"] = float((ts(x, t) - model(x, t)).abs().max())
    info["torchscript_checks"] = checks
    print("torchscript checks", checks, flush=True)

    # ---- ONNX
    torch.onnx.export(model, (ex_x, ex_t), onnx_path, opset_version=17, input_names=["x", "t"],
                      output_names=["eps"], dynamic_axes={"x": {0: "batch"}, "t": {0: "batch"}, "eps": {0: "batch"}},
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

    # ---- fixture: B=4, t=[0, 99.5, 500, 999]; x[i] = sqrt(abar(t_i)) * x0_i + sqrt(1-abar(t_i)) * n_i
    #      with x0_0, x0_1 = test images 0,1 and x0_2 = x0_3 = 0; n ~ N(0,1) from generator seed 2024
    test = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))
    real = torch.from_numpy(test[:2]).float().div(127.5).sub(1.0).unsqueeze(1)
    x0 = torch.zeros(4, 1, 28, 28)
    x0[:2] = real
    gf = torch.Generator().manual_seed(2024)
    noise = torch.randn(4, 1, 28, 28, generator=gf)
    t = torch.tensor([0.0, 99.5, 500.0, 999.0], dtype=torch.float32)
    ab = abar_at_index(t).view(-1, 1, 1, 1)
    x = (ab.sqrt() * x0.double() + (1 - ab).sqrt() * noise.double()).float()
    with torch.no_grad():
        out = ts(x, t)
    fixture = dict(
        description="fmnist-ddpm-eps.pt outputs on fixed inputs. t = DDPM step index (k-1), float. "
                    "x[i] = sqrt(abar(t_i))*x0_i + sqrt(1-abar(t_i))*n_i with abar(t) = linear interpolation of "
                    "[1, abar_1..abar_1000] at k = t+1 (beta linear 1e-4..0.02), computed in float64, cast to float32; "
                    "x0_0, x0_1 = Fashion-MNIST t10k images 0,1 (u8/127.5-1), x0_2 = x0_3 = 0; "
                    "n ~ N(0,1) from torch.Generator seed 2024. Output = TorchScript module, torch "
                    + torch.__version__ + ", CPU float32.",
        model_sha256=sha256(pt_path),
        x_shape=list(x.shape), x=flat(x),
        t_shape=list(t.shape), t=flat(t),
        eps_shape=list(out.shape), eps=flat(out),
        abar=[float(v) for v in ab.view(-1)],
        noise_shape=list(noise.shape), noise=flat(noise),
        test_image_indices=[0, 1],
        suggested_tolerance=dict(abs=1e-4, rel=1e-4),
    )
    with open(fix_path, "w") as f:
        json.dump(fixture, f)
    info["fixture_eps_minmax"] = [float(out.min()), float(out.max())]
    info["fixture_eps_mse_vs_true_noise"] = [float(((out[i] - noise[i]) ** 2).mean()) for i in range(4)]
    abf = ab.float()
    d = (x - (1 - abf).sqrt() * out) / abf.sqrt()
    info["fixture_D_mse_vs_clean"] = [float(((d[i] - x0[i]) ** 2).mean()) for i in range(2)]
    print("fixture", {k: info[k] for k in ("fixture_eps_mse_vs_true_noise", "fixture_D_mse_vs_clean")}, flush=True)

    # ---- timing, batch 256
    info["forward_time_torchscript"] = time_forward(lambda a, b: ts(a, b))
    info["forward_time_eager"] = time_forward(lambda a, b: model(a, b))
    print("timing ts", info["forward_time_torchscript"], flush=True)
    print("timing eager", info["forward_time_eager"], flush=True)

    # ---- 64 samples from the exported TorchScript module, DDIM eta=0
    if not args.skip_samples:
        lat = torch.randn(64, 1, 28, 28, generator=torch.Generator().manual_seed(7))
        s0 = time.perf_counter()
        s = ddim_sample(ts, lat, n_steps=50)
        info["sample_64_ddim50_s"] = time.perf_counter() - s0
        save_grid(to_uint8(s), png_path, scale=2)
        save_grid(to_uint8(s), os.path.join(args.work, "samples_ddim50_ts.png"), scale=3)
        s10 = ddim_sample(ts, lat, n_steps=10)
        save_grid(to_uint8(s10), os.path.join(args.work, "samples_ddim10.png"), scale=3)
        s200 = ddim_sample(ts, lat, n_steps=200)
        save_grid(to_uint8(s200), os.path.join(args.work, "samples_ddim200.png"), scale=3)
        info["sample_range_ddim50"] = [float(s.min()), float(s.max())]
        info["sample_mean_u8_ddim50"] = float(to_uint8(s).astype(np.float64).mean())
        info["sample_rms_diff_ddim50_vs_ddim200"] = float(((s - s200) ** 2).mean().sqrt())
        info["sample_rms_diff_ddim10_vs_ddim200"] = float(((s10 - s200) ** 2).mean().sqrt())
        print("samples", {k: v for k, v in info.items() if k.startswith("sample")}, flush=True)

    info["sha256"] = {os.path.basename(p): sha256(p) for p in (pt_path, onnx_path, fix_path, png_path)
                      if os.path.exists(p)}
    info["sizes"] = {os.path.basename(p): os.path.getsize(p) for p in (pt_path, onnx_path, fix_path, png_path)
                     if os.path.exists(p)}
    with open(os.path.join(args.work, "export_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: info[k] for k in ("params", "sha256", "sizes")}, indent=1))


if __name__ == "__main__":
    main()
