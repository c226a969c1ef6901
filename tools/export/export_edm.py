#!/usr/bin/env python3
"""Export a network pickle of NVlabs/edm (EDMPrecond, VPPrecond, VEPrecond or iDDPMPrecond; class-conditional or
not) to a TorchScript denoiser for diffsweep, and print the `model:` block for a config.

    python tools/export/export_edm.py --edm-repo ~/src/edm --pkl edm-cifar10-32x32-cond-vp.pkl --out cifar-cond.pt

The pickle is what NVlabs/edm's train.py writes (a dict whose 'ema' entry is the network; --key picks another
entry). Its classes are rebuilt from the source stored in the pickle by EDM's torch_utils.persistence, so the
checkout must be importable (--edm-repo puts it on sys.path). The file written:

  (x f32[B,C,H,W], sigma f32[B])                        -> D f32[B,C,H,W]   unconditional
  (x f32[B,C,H,W], sigma f32[B], labels f32[B,K])       -> D f32[B,C,H,W]   label_dim = K > 0 (one-hot rows)

D is the network's own output, preconditioning included (`output: denoiser`), run in float32 (EDM's force_fp32).

EDM's self-attention weights are a custom autograd function (AttentionOp) that TorchScript cannot save. Before
tracing, every torch.autograd.Function the network's modules refer to is replaced, in those modules' globals and
only for the export, by a stand-in whose apply() calls the function's own forward() (its arithmetic, without the
backward bookkeeping). The script shows that this leaves the outputs unchanged (difference 0 in eager mode), then
that the saved file gives the original module's outputs, and ends with the largest difference.
Needs torch (the version that saves the file is recorded in it and in the block) and numpy.
"""

import argparse
import math
import os
import pickle
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_common as ec  # noqa: E402

KINDS = ("EDMPrecond", "VPPrecond", "VEPrecond", "iDDPMPrecond")


class _NoContext:
    """The ctx a custom autograd function's forward() gets; nothing is saved for a backward pass."""

    def save_for_backward(self, *tensors):
        pass

    def mark_non_differentiable(self, *tensors):
        pass


class ForwardOnly:
    """Stands in for a torch.autograd.Function: apply(*args) is the function's own forward(ctx, *args)."""

    def __init__(self, function):
        self.function = function

    def apply(self, *args):
        return self.function.forward(_NoContext(), *args)


class forward_only_autograd_functions:
    """Context manager: in the globals of every module class of `net`, each torch.autograd.Function subclass is
    replaced by ForwardOnly(it) on entry and put back on exit. Returns the names replaced."""

    def __init__(self, net):
        self.net = net
        self.saved = []

    def __enter__(self):
        seen = set()
        for m in self.net.modules():
            g = getattr(type(m).forward, "__globals__", None)
            if g is None or id(g) in seen:
                continue
            seen.add(id(g))
            for name, obj in list(g.items()):
                if isinstance(obj, type) and issubclass(obj, torch.autograd.Function):
                    self.saved.append((g, name, obj))
                    g[name] = ForwardOnly(obj)
        return sorted({name for _, name, _ in self.saved})

    def __exit__(self, *exc):
        for g, name, obj in reversed(self.saved):
            g[name] = obj
        self.saved = []
        return False


class Denoiser(torch.nn.Module):
    """(x, sigma[, labels]) -> D: the EDM network in float32, labels as float one-hot rows."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, sigma, labels=None):
        return self.net(x, sigma, labels, force_fp32=True)


def kind_of(net):
    name = type(net).__name__
    if name not in KINDS:
        sys.exit(f"error: network class {name}, expected one of {', '.join(KINDS)} (NVlabs/edm training/networks.py)")
    return name


def test_inputs(net, batches=(1, 3, 5), seed=1):
    """Inputs for the checks: x = y + sigma·n with sigma log-spread over the network's range, one-hot labels."""
    g = torch.Generator().manual_seed(seed)
    c, r = net.img_channels, net.img_resolution
    lo, hi = sigma_range(net)
    out = []
    for b in batches:
        sigma = torch.exp(torch.linspace(math.log(lo), math.log(hi), b, dtype=torch.float64)).to(torch.float32)
        x = (torch.rand(b, c, r, r, generator=g) * 2 - 1) + sigma.view(-1, 1, 1, 1) * torch.randn(b, c, r, r, generator=g)
        args = (x, sigma)
        if net.label_dim:
            labels = torch.nn.functional.one_hot(torch.randint(net.label_dim, (b,), generator=g), net.label_dim)
            args = args + (labels.to(torch.float32),)
        out.append(args)
    return out


def sigma_range(net):
    """The noise range the network was trained for (EDM's sampler defaults for EDMPrecond)."""
    kind = type(net).__name__
    if kind == "EDMPrecond":
        return 0.002, 80.0
    return float(net.sigma_min), float(net.sigma_max)


def process_line(net):
    kind = type(net).__name__
    if kind == "VPPrecond":
        return (f"process: {{name: vp, beta_d: {net.beta_d}, beta_min: {net.beta_min}, eps_t: 0.001}}"
                f"   # EDM's VP sampler range (the network was trained down to t = {net.epsilon_t})")
    lo, hi = sigma_range(net)
    note = {"EDMPrecond": "EDM's sampler defaults",
            "VEPrecond": "the network's sigma_min/sigma_max",
            "iDDPMPrecond": "u[M-1] .. u[0]; EDM's sampler also rounds each level to the nearest u[j], diffsweep does not"}[kind]
    return f"process: {{name: edm, sigma_min: {lo:.9g}, sigma_max: {hi:.9g}}}   # {note}"


def export(net, out, source="", check_batches=(1, 3, 5)):
    """Exports `net` (an EDM preconditioned network) to `out`; returns (loaded TorchScript, abs, rel, block)."""
    kind = kind_of(net)
    net = net.eval().requires_grad_(False).to(torch.float32).cpu()
    wrapped = Denoiser(net).eval()
    inputs = test_inputs(net, check_batches)
    with torch.no_grad():
        before = [wrapped(*a) for a in inputs]
    with forward_only_autograd_functions(net) as replaced:
        with torch.no_grad():
            after = [wrapped(*a) for a in inputs]
        unchanged = max(ec.max_difference(b, a)[0] for b, a in zip(before, after))
        print(f"{kind}: replaced {replaced or 'no'} autograd function(s) by their forward(); "
              f"eager outputs changed by at most {unchanged:.3e}")
        if unchanged != 0:
            sys.exit("error: replacing the autograd functions changed the outputs")
        example = test_inputs(net, (2,), seed=0)[0]
        record = dict(source=source or kind, kind=kind, label_dim=int(net.label_dim),
                      inputs=["x", "sigma"] + (["labels (one-hot float)"] if net.label_dim else []),
                      output="denoiser")
        loaded = ec.trace_and_save(wrapped, example, out, record)
    # the check runs the original module (its own AttentionOp back in place) against the saved file
    worst_abs, worst_rel = ec.check(wrapped, loaded, inputs, f"{kind} {os.path.basename(out)}")
    extra = []
    if net.label_dim:
        extra.append(("labels", f"{{count: {net.label_dim}, encoding: one_hot}}   # one-hot rows [B,K]; the null label is the all-zero row"))
    block = ec.model_block(out, (net.img_channels, net.img_resolution, net.img_resolution), "denoiser", extra,
                           comments=[f"NVlabs/edm {kind}{' from ' + source if source else ''}; "
                                     f"max |exported - original| {worst_abs:.2e} (relative {worst_rel:.2e})"],
                           top=[process_line(net)])
    return loaded, worst_abs, worst_rel, block


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edm-repo", required=True, help="a checkout of NVlabs/edm (its dnnlib and torch_utils)")
    ap.add_argument("--pkl", required=True, help="the network pickle (local file)")
    ap.add_argument("--key", default="ema", help="the pickle's entry holding the network (default ema)")
    ap.add_argument("--out", required=True, help="the TorchScript file to write (.pt)")
    args = ap.parse_args()
    ec.add_checkout(args.edm_repo, "torch_utils/persistence.py")
    if not args.out.endswith(".pt"):
        sys.exit(f"error: --out {args.out}, expected a .pt file")
    with open(args.pkl, "rb") as f:
        data = pickle.load(f)
    if args.key not in data:
        sys.exit(f"error: {args.pkl} has no entry '{args.key}', expected one of {sorted(data)}")
    _, _, _, block = export(data[args.key], args.out, source=os.path.basename(args.pkl))
    ec.write_block(args.out, block)


if __name__ == "__main__":
    main()
