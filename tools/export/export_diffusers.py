#!/usr/bin/env python3
"""Export a diffusers UNet2DModel (a model folder and its scheduler config) to a TorchScript network for diffsweep,
print the `model:` and `process:` blocks for a config, and optionally write diffusers' own σ grids as grid files.

    PYTHONPATH=~/src/diffusers/src python tools/export/export_diffusers.py \
        --pipeline ddpm-cifar10-32 --out cifar-ddpm.pt [--grid euler:10,20 --grid dpmsolver:10]

--pipeline names a folder with unet/ and scheduler/ (as diffusers saves a pipeline); --unet and --scheduler name
the two separately (a model folder with config.json and its weights; a scheduler folder or its
scheduler_config.json). Run diffusers from its source or an installed copy, WITHOUT a broken torchvision on the
path. The file written:

  (x f32[B,C,H,W], t f32[B])                  -> out f32[B,C,H,W]   unconditional
  (x f32[B,C,H,W], t f32[B], labels i64[B])   -> out f32[B,C,H,W]   num_class_embeds = K (class indices)

x is the scaled state diffusers' UNet sees (√ᾱ·x̂ for a VP schedule), t the training step index 0 … K−1, possibly
fractional (diffsweep's `time: ddpm-index`), and out what the scheduler's prediction_type says: ε (`epsilon`),
v (`v_prediction`) or x₀ (`sample`). A network with twice the image channels out (learned variance) keeps the
first C. --grid SCHEDULER:STEPS[,STEPS...] writes NAME.grid-SCHEDULER.csv (`steps,sigma`, diffsweep's `file`
grid) with the σ levels the diffusers scheduler (euler, dpmsolver, deis, ddim) makes from this config for those
step counts; docs/checkpoints.md says where those schedules end and how they differ from diffsweep's grids.
"""

import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_common as ec  # noqa: E402

OUTPUT = {"epsilon": "epsilon", "v_prediction": "v", "sample": "sample"}
SCHEDULERS = {"euler": "EulerDiscreteScheduler", "dpmsolver": "DPMSolverMultistepScheduler",
              "deis": "DEISMultistepScheduler", "ddim": "DDIMScheduler"}


class Network(torch.nn.Module):
    """(x, t[, labels]) -> the UNet's prediction, the first C channels."""

    def __init__(self, unet, channels):
        super().__init__()
        self.unet = unet
        self.channels = channels

    def forward(self, x, t, labels=None):
        return self.unet(x, t, class_labels=labels, return_dict=False)[0][:, : self.channels]


def classes_of(unet):
    cfg = unet.config
    if cfg.class_embed_type not in (None, "timestep") or (cfg.class_embed_type is None and cfg.num_class_embeds is None):
        if cfg.class_embed_type is not None:
            sys.exit(f"error: class_embed_type {cfg.class_embed_type}, expected none (an embedding table) or timestep")
        return 0
    if cfg.num_class_embeds is None:
        sys.exit("error: class_embed_type timestep without num_class_embeds: the number of classes is unknown")
    return int(cfg.num_class_embeds)


def test_inputs(unet, batches=(1, 3, 5), steps=1000, seed=1):
    g = torch.Generator().manual_seed(seed)
    c, r = unet.config.in_channels, unet.config.sample_size
    r = r if isinstance(r, int) else r[0]
    k = classes_of(unet)
    out = []
    for b in batches:
        t = torch.linspace(0, steps - 1, b, dtype=torch.float64).to(torch.float32)
        if b > 1:
            t[1] += 0.37  # a fractional step index, as diffsweep gives between the trained steps
        x = torch.randn(b, c, r, r, generator=g)
        args = (x, t)
        if k:
            args = args + (torch.randint(k, (b,), generator=g, dtype=torch.int64),)
        out.append(args)
    return out


def process_line(sched):
    """The process line: diffusers' beta schedule, its step count, and its table built in float32 as diffusers does."""
    s = sched.get("beta_schedule", "linear")
    k = sched.get("num_train_timesteps", 1000)
    if sched.get("trained_betas") is not None:
        return ["# process: the scheduler lists its betas (trained_betas), which vp-discrete does not take yet"]
    if s == "squaredcos_cap_v2":
        return [f"process: {{name: vp-discrete, beta_schedule: {s}, num_train_timesteps: {k}, table_dtype: float32}}"]
    return [f"process: {{name: vp-discrete, beta_schedule: {s}, beta_start: {sched.get('beta_start', 0.0001)}, "
            f"beta_end: {sched.get('beta_end', 0.02)}, num_train_timesteps: {k}, table_dtype: float32}}"]


def export(unet, sched, out, source=""):
    """Exports `unet` with the scheduler config dict `sched`; returns (loaded, abs, rel, block)."""
    unet = unet.eval().requires_grad_(False).to(torch.float32).cpu()
    pred = sched.get("prediction_type", "epsilon")
    if pred not in OUTPUT:
        sys.exit(f"error: scheduler prediction_type {pred}, expected epsilon, v_prediction or sample")
    c_in, c_out = unet.config.in_channels, unet.config.out_channels
    if c_in not in (1, 3):
        sys.exit(f"error: in_channels {c_in}, expected 1 or 3 (an image model)")
    if c_out not in (c_in, 2 * c_in):
        sys.exit(f"error: out_channels {c_out}, expected {c_in} or {2 * c_in} (learned variance)")
    k = classes_of(unet)
    module = Network(unet, c_in).eval()
    steps = int(sched.get("num_train_timesteps", 1000))
    example = test_inputs(unet, (2,), steps, seed=0)[0]
    record = dict(source=source or "UNet2DModel", kind="diffusers UNet2DModel", output=OUTPUT[pred],
                  num_class_embeds=k, scheduler=sched,
                  inputs=["x", "t (step index, float)"] + (["labels (class index, int64)"] if k else []))
    loaded = ec.trace_and_save(module, example, out, record)
    a, r = ec.check(module, loaded, test_inputs(unet, steps=steps), f"UNet2DModel {os.path.basename(out)}")
    extra = [("time", "ddpm-index")]
    if k:
        extra.append(("labels", f"{{count: {k}, encoding: index}}   # int64 class indices [B]; no null label unless "
                                f"the model was trained with one (null_label: <index>)"))
    res = unet.config.sample_size
    res = res if isinstance(res, int) else res[0]
    comments = [f"diffusers UNet2DModel{' from ' + source if source else ''}, prediction_type {pred}; "
                f"max |exported - original| {a:.2e} (relative {r:.2e})"]
    block = ec.model_block(out, (c_in, res, res), OUTPUT[pred], extra, comments, top=process_line(sched))
    return loaded, a, r, block


def scheduler_sigmas(sched_config, name, steps):
    """The σ levels (x̂ convention: √((1−ᾱ)/ᾱ)) that diffusers' scheduler `name` makes for `steps` steps."""
    import diffusers
    cls = getattr(diffusers, SCHEDULERS[name])
    s = cls.from_config(sched_config)
    s.set_timesteps(steps)
    if hasattr(s, "sigmas"):
        sig = [float(v) for v in s.sigmas]
    else:  # DDIM keeps no sigmas: its levels are those of its timesteps, then 0
        ac = s.alphas_cumprod.to(torch.float64)
        sig = [math.sqrt((1 - float(ac[t])) / float(ac[t])) for t in s.timesteps] + [0.0]
    return sig, [float(t) for t in s.timesteps]


def write_grids(out, sched_config, specs):
    for spec in specs:
        name, _, counts = spec.partition(":")
        if name not in SCHEDULERS or not counts:
            sys.exit(f"error: --grid {spec}, expected SCHEDULER:STEPS[,STEPS...] with SCHEDULER one of "
                     f"{', '.join(SCHEDULERS)}")
        path = os.path.splitext(out)[0] + f".grid-{name}.csv"
        rows = [f"# {SCHEDULERS[name]} levels from the scheduler config ({sched_config.get('timestep_spacing', 'linspace')} "
                "spacing); the model times are diffsweep's, from sigma", "steps,sigma"]
        for n in counts.split(","):
            sig, _ = scheduler_sigmas(sched_config, name, int(n))
            if sig[-1] != 0:
                rows[0] += f"; {name} ends at sigma {sig[-1]:.6g} without a final denoising step: a 0 is appended"
                sig = sig + [0.0]
            rows += [f"{len(sig) - 1},{v!r}" for v in sig]
        with open(path, "w") as f:
            f.write("\n".join(rows) + "\n")
        print(f"wrote {path}")


def read_json(path, name):
    if os.path.isdir(path):
        path = os.path.join(path, name)
    with open(path) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pipeline", help="a saved pipeline folder with unet/ and scheduler/")
    ap.add_argument("--unet", help="the UNet2DModel folder (config.json and weights)")
    ap.add_argument("--scheduler", help="the scheduler folder or its scheduler_config.json")
    ap.add_argument("--out", required=True, help="the TorchScript file to write (.pt)")
    ap.add_argument("--grid", action="append", default=[], help="SCHEDULER:STEPS[,STEPS...] (see above)")
    args = ap.parse_args()
    if args.pipeline:
        args.unet = args.unet or os.path.join(args.pipeline, "unet")
        args.scheduler = args.scheduler or os.path.join(args.pipeline, "scheduler")
    if not args.unet or not args.scheduler:
        sys.exit("error: expected --pipeline DIR, or --unet DIR and --scheduler DIR|JSON")
    if not args.out.endswith(".pt"):
        sys.exit(f"error: --out {args.out}, expected a .pt file")
    from diffusers import UNet2DModel
    sched = read_json(args.scheduler, "scheduler_config.json")
    unet = UNet2DModel.from_pretrained(args.unet)
    _, _, _, block = export(unet, sched, args.out, os.path.basename(os.path.normpath(args.unet)))
    ec.write_block(args.out, block)
    write_grids(args.out, sched, args.grid)


if __name__ == "__main__":
    main()
