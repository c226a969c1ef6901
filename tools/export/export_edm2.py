#!/usr/bin/env python3
"""Export NVlabs/edm2 networks (Precond with the EDM2 U-Net), and optionally a guide network for autoguidance, to
TorchScript denoisers for diffsweep, and print the `model:` block for a config.

    python tools/export/export_edm2.py --edm2-repo ~/src/edm2 --pkl edm2-img64-s-1073741-0.075.pkl --out img64-s.pt
    python tools/export/export_edm2.py --edm2-repo ~/src/edm2 --pkl net.pkl --gnet guide.pkl --guidance 1.4 \
        --out net.pt [--combined]

A pickle is what NVlabs/edm2 writes (a dict whose 'ema' entry is the network; --key picks another), or a
post-hoc EMA reconstruction from its reconstruct_phema.py (same layout); its classes are rebuilt from the source
stored in the pickle by edm2's torch_utils.persistence, so the checkout must be importable (--edm2-repo). Each
network becomes

  (x f32[B,C,H,W], sigma f32[B])                    -> D f32[B,C,H,W]   label_dim = 0
  (x f32[B,C,H,W], sigma f32[B], labels f32[B,K])   -> D f32[B,C,H,W]   label_dim = K (one-hot rows)

in float32 (edm2's force_fp32). With --gnet the guide network is written beside it as NAME-gnet.pt, and the block
names both with the guidance weight (edm2's sampler: D = D_guide.lerp(D, guidance)). --combined also writes
NAME-guided.pt, one network that returns that guided D itself, which any diffsweep sampler can use as a plain
denoiser without a guidance key.

Latent-space models (edm2's img512 networks with a VAE encoder entry in the pickle) export the same way, but their
samples are VAE latents of 4 channels; diffsweep's `shape` takes images of 1 or 3 channels, so they are refused.
Ends with the largest difference between each saved file and its original module.
"""

import argparse
import math
import os
import pickle
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_common as ec  # noqa: E402


class Denoiser(torch.nn.Module):
    """(x, sigma[, labels]) -> D: the EDM2 network in float32."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, sigma, labels=None):
        return self.net(x, sigma, labels, force_fp32=True)


class Guided(torch.nn.Module):
    """(x, sigma[, labels]) -> D_guide + guidance·(D − D_guide), as edm2's sampler's lerp."""

    def __init__(self, net, gnet, guidance):
        super().__init__()
        self.net = net
        self.gnet = gnet
        self.guidance = float(guidance)

    def forward(self, x, sigma, labels=None):
        d = self.net(x, sigma, labels, force_fp32=True)
        ref = self.gnet(x, sigma, labels, force_fp32=True)
        return ref.lerp(d, self.guidance)


def check_net(net, what):
    if type(net).__name__ != "Precond":
        sys.exit(f"error: {what}: network class {type(net).__name__}, expected Precond (edm2 training/networks_edm2.py)")
    if net.img_channels not in (1, 3):
        sys.exit(f"error: {what}: {net.img_channels} channels (a latent-space model?), expected 1 or 3: "
                 "diffsweep's shape takes images")
    return net.eval().requires_grad_(False).to(torch.float32).cpu()


def test_inputs(net, batches=(1, 3, 5), seed=1):
    g = torch.Generator().manual_seed(seed)
    c, r = net.img_channels, net.img_resolution
    out = []
    for b in batches:
        sigma = torch.exp(torch.linspace(math.log(0.002), math.log(80.0), b, dtype=torch.float64)).to(torch.float32)
        x = (torch.rand(b, c, r, r, generator=g) * 2 - 1) + sigma.view(-1, 1, 1, 1) * torch.randn(b, c, r, r, generator=g)
        args = (x, sigma)
        if net.label_dim:
            labels = torch.nn.functional.one_hot(torch.randint(net.label_dim, (b,), generator=g), net.label_dim)
            args = args + (labels.to(torch.float32),)
        out.append(args)
    return out


def export_one(module, net, out, record, label):
    example = test_inputs(net, (2,), seed=0)[0]
    loaded = ec.trace_and_save(module, example, out, record)
    worst = ec.check(module, loaded, test_inputs(net), label)
    return loaded, worst


def export(net, out, gnet=None, guidance=1.0, combined=False, source=""):
    """Returns (files: {role: (loaded, abs, rel)}, block)."""
    net = check_net(net, "net")
    files = {}
    rec = dict(source=source or "Precond", kind="edm2 Precond", label_dim=int(net.label_dim), output="denoiser",
               inputs=["x", "sigma"] + (["labels (one-hot float)"] if net.label_dim else []))
    loaded, (a, r) = export_one(Denoiser(net).eval(), net, out, rec, f"edm2 Precond {os.path.basename(out)}")
    files["net"] = (loaded, a, r)
    extra = []
    if net.label_dim:
        extra.append(("labels", f"{{count: {net.label_dim}, encoding: one_hot}}   # one-hot rows [B,K]; the null label is the all-zero row"))
    comments = [f"NVlabs/edm2 Precond{' from ' + source if source else ''}; max |exported - original| {a:.2e} "
                f"(relative {r:.2e})"]
    if gnet is not None:
        gnet = check_net(gnet, "gnet")
        if (gnet.img_channels, gnet.img_resolution, gnet.label_dim) != (net.img_channels, net.img_resolution,
                                                                         net.label_dim):
            sys.exit("error: gnet: its image shape or label_dim differs from the network's, expected the same")
        base = os.path.splitext(out)[0]
        gout = base + "-gnet.pt"
        _, (ga, gr) = export_one(Denoiser(gnet).eval(), gnet, gout, dict(rec, role="guide"),
                                 f"edm2 guide {os.path.basename(gout)}")
        files["gnet"] = (None, ga, gr)
        gshape = f"[{net.img_channels}, {net.img_resolution}, {net.img_resolution}]"
        glabels = f", labels: {{count: {net.label_dim}, encoding: one_hot}}" if net.label_dim else ""
        guide_lines = [f"guide: {{type: djl, path: {os.path.basename(gout)}, shape: {gshape}, output: denoiser"
                       f"{glabels}}}   # autoguidance: D = D_guide + w·(D - D_guide)",
                       f"guidance: [{guidance}]"]
        comments.append(f"guide network {os.path.basename(gout)}: max |exported - original| {ga:.2e} (relative {gr:.2e})")
        if combined:
            cout = base + "-guided.pt"
            gl, (ca, cr) = export_one(Guided(net, gnet, guidance).eval(), net, cout,
                                      dict(rec, role="guided", guidance=float(guidance)),
                                      f"edm2 guided {os.path.basename(cout)}")
            files["guided"] = (gl, ca, cr)
            comments.append(f"or, with guidance {guidance} inside one network: path: {os.path.basename(cout)} "
                            f"(max |exported - original| {ca:.2e}), without guide and guidance keys")
    block = ec.model_block(out, (net.img_channels, net.img_resolution, net.img_resolution), "denoiser", extra,
                           comments=comments,
                           top=["process: {name: edm, sigma_min: 0.002, sigma_max: 80}   # edm2's sampler defaults"]
                           + (guide_lines if gnet is not None else []))
    return files, block


def load(path, key):
    with open(path, "rb") as f:
        data = pickle.load(f)
    if key not in data:
        sys.exit(f"error: {path} has no entry '{key}', expected one of {sorted(data)}")
    return data[key]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edm2-repo", required=True, help="a checkout of NVlabs/edm2 (its dnnlib and torch_utils)")
    ap.add_argument("--pkl", required=True, help="the network pickle (local file)")
    ap.add_argument("--key", default="ema", help="the pickle's entry holding the network (default ema)")
    ap.add_argument("--gnet", help="the guide network's pickle, for autoguidance")
    ap.add_argument("--guidance", type=float, default=1.0, help="the guidance weight (edm2: 1 = no guidance)")
    ap.add_argument("--combined", action="store_true", help="also write NAME-guided.pt with the guidance inside")
    ap.add_argument("--out", required=True, help="the TorchScript file to write (.pt)")
    args = ap.parse_args()
    ec.add_checkout(args.edm2_repo, "training/networks_edm2.py")
    if not args.out.endswith(".pt"):
        sys.exit(f"error: --out {args.out}, expected a .pt file")
    if args.combined and not args.gnet:
        sys.exit("error: --combined needs --gnet, the guide network")
    gnet = load(args.gnet, args.key) if args.gnet else None
    _, block = export(load(args.pkl, args.key), args.out, gnet, args.guidance, args.combined,
                      os.path.basename(args.pkl))
    ec.write_block(args.out, block)


if __name__ == "__main__":
    main()
