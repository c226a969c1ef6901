#!/usr/bin/python3
"""Export the trained EMA denoiser: TorchScript + ONNX + Java test fixture + sample grid + timing.

    nice -n 10 /usr/bin/python3 tools/fmnist/export_denoiser.py \
        --weights /work/fmnist-work/denoiser/ema_state_dict.pt --models models

Writes
  models/fmnist-edm-denoiser.pt            TorchScript (traced): forward(x f32[B,1,28,28], sigma f32[B]) -> D f32[B,1,28,28]
  models/fmnist-edm-denoiser.onnx          ONNX opset 17, inputs "x", "sigma", output "denoised", dynamic batch
  models/fmnist-edm-denoiser.fixture.json  fixed inputs and the TorchScript module's outputs (flat lists + shapes)
  models/fmnist-edm-denoiser.samples.png   64 samples, deterministic Heun, 25 steps = 49 NFE, rho 7, sigma 80..0.002
  <work>/export_info.json                  sha256s, timings, checks (used for the model card)
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from edm_unet import FMNIST_DIR, flat, build_model, heun_sample, load_idx_images, n_params, save_grid, sha256, to_uint8  # noqa
from train_denoiser import MODEL_KW  # noqa: E402




def time_forward(fn, b=256, reps=10):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(b, 1, 28, 28, generator=g)
    s = torch.exp(torch.randn(b, generator=g) * 1.2 - 1.2)
    with torch.no_grad():
        for _ in range(3):
            fn(x, s)
        ts = []
        for _ in range(reps):
            t = time.perf_counter(); fn(x, s); ts.append(time.perf_counter() - t)
    return dict(batch=b, min_s=min(ts), median_s=float(np.median(ts)), all_s=ts, threads=torch.get_num_threads(),
                loadavg_1min=os.getloadavg()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="/work/fmnist-work/denoiser/ema_state_dict.pt")
    ap.add_argument("--models", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../models"))
    ap.add_argument("--work", default="/work/fmnist-work/denoiser")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-samples", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models = os.path.abspath(args.models)
    os.makedirs(models, exist_ok=True)
    pt_path = os.path.join(models, "fmnist-edm-denoiser.pt")
    onnx_path = os.path.join(models, "fmnist-edm-denoiser.onnx")
    fix_path = os.path.join(models, "fmnist-edm-denoiser.fixture.json")
    png_path = os.path.join(models, "fmnist-edm-denoiser.samples.png")
    info = dict(torch_version=torch.__version__, params=None)

    model = build_model(**MODEL_KW)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    info["params"] = n_params(model)

    # ---- TorchScript (trace; the module has no data-dependent control flow)
    g = torch.Generator().manual_seed(11)
    ex_x = torch.randn(4, 1, 28, 28, generator=g)
    ex_s = torch.tensor([0.01, 0.5, 2.0, 80.0])
    with torch.no_grad():
        traced = torch.jit.trace(model, (ex_x, ex_s), check_trace=True)
    traced.save(pt_path)
    ts = torch.jit.load(pt_path)
    ts.eval()
    checks = {}
    with torch.no_grad():
        for b in (1, 3, 4, 17, 256):
            x = torch.randn(b, 1, 28, 28, generator=g) * 2
            s = torch.exp(torch.randn(b, generator=g) * 1.5 - 1.0)
            checks[f"batch{b}_max_abs_diff_vs_eager"] = float((ts(x, s) - model(x, s)).abs().max())
    info["torchscript_checks"] = checks
    print("torchscript checks", checks, flush=True)

    # ---- ONNX
    torch.onnx.export(model, (ex_x, ex_s), onnx_path, opset_version=17, input_names=["x", "sigma"],
                      output_names=["denoised"], dynamic_axes={"x": {0: "batch"}, "sigma": {0: "batch"},
                                                               "denoised": {0: "batch"}},
                      do_constant_folding=True)
    import onnx
    om = onnx.load(onnx_path)
    onnx.checker.check_model(om, full_check=True)
    info["onnx"] = dict(opset=[(o.domain, o.version) for o in om.opset_import][0][1],
                        inputs=[(i.name, i.type.tensor_type.elem_type,
                                 [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim])
                                for i in om.graph.input],
                        outputs=[(o.name, o.type.tensor_type.elem_type,
                                  [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim])
                                 for o in om.graph.output],
                        op_types=sorted({n.op_type for n in om.graph.node}), checker="ok")
    print("onnx", info["onnx"], flush=True)

    # ---- fixture: B=4, sigma=[0.01,0.5,2,80]; items 0,1: real test image + sigma*n; items 2,3: sigma*n
    test = load_idx_images(os.path.join(FMNIST_DIR, "t10k-images-idx3-ubyte.gz"))
    real = torch.from_numpy(test[:2]).float().div(127.5).sub(1.0).unsqueeze(1)
    gf = torch.Generator().manual_seed(2024)
    noise = torch.randn(4, 1, 28, 28, generator=gf)
    sigma = torch.tensor([0.01, 0.5, 2.0, 80.0], dtype=torch.float32)
    x = noise * sigma.view(-1, 1, 1, 1)
    x[:2] += real
    with torch.no_grad():
        out = ts(x, sigma)
    fixture = dict(
        description="fmnist-edm-denoiser.pt outputs on fixed inputs. x[0:2] = Fashion-MNIST t10k images 0,1 "
                    "(u8/127.5-1) + sigma*n, x[2:4] = sigma*n; n ~ N(0,1) from torch.Generator seed 2024. "
                    "Output = TorchScript module, torch " + torch.__version__ + ", CPU float32.",
        model_sha256=sha256(pt_path),
        x_shape=list(x.shape), x=flat(x),
        sigma_shape=list(sigma.shape), sigma=flat(sigma),
        denoised_shape=list(out.shape), denoised=flat(out),
        test_image_indices=[0, 1],
        suggested_tolerance=dict(abs=1e-4, rel=1e-4),
    )
    with open(fix_path, "w") as f:
        json.dump(fixture, f)
    info["fixture_denoised_minmax"] = [float(out.min()), float(out.max())]
    info["fixture_mse_vs_clean"] = [float(((out[i] - real[i]) ** 2).mean()) for i in range(2)]

    # ---- timing, batch 256 (eager and TorchScript)
    info["forward_time_torchscript"] = time_forward(lambda a, b: ts(a, b))
    info["forward_time_eager"] = time_forward(lambda a, b: model(a, b))
    print("timing ts", info["forward_time_torchscript"], flush=True)
    print("timing eager", info["forward_time_eager"], flush=True)

    # ---- 64 samples from the exported TorchScript module
    if not args.skip_samples:
        lat = torch.randn(64, 1, 28, 28, generator=torch.Generator().manual_seed(7))
        t = time.perf_counter()
        s = heun_sample(ts, lat, n_steps=25)
        info["sample_64_heun49_s"] = time.perf_counter() - t
        save_grid(to_uint8(s), png_path, scale=2)
        s18 = heun_sample(ts, lat, n_steps=18)
        save_grid(to_uint8(s18), os.path.join(args.work, "samples_heun35.png"), scale=3)
        save_grid(to_uint8(s), os.path.join(args.work, "samples_heun49_ts.png"), scale=3)
        info["sample_range"] = [float(s.min()), float(s.max())]

    info["sha256"] = {os.path.basename(p): sha256(p) for p in (pt_path, onnx_path, fix_path)
                      if os.path.exists(p)}
    info["sizes"] = {os.path.basename(p): os.path.getsize(p) for p in (pt_path, onnx_path, fix_path, png_path)
                     if os.path.exists(p)}
    os.makedirs(args.work, exist_ok=True)
    with open(os.path.join(args.work, "export_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: info[k] for k in ("params", "sha256", "sizes")}, indent=1))


if __name__ == "__main__":
    main()
