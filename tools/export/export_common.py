"""Shared by the export scripts in tools/export/: tracing a wrapped network to TorchScript, saving it with a record
of how it was made, checking the saved file against the original module, and printing the `model:` block.

Nothing here is code from the projects the networks come from; the scripts import those projects' own modules from
the user's checkouts (an argument), so the network that is traced is the original one.
"""

import hashlib
import json
import os
import sys

import torch

EXTRA_FILE = "diffsweep-export.json"  # the export record inside the TorchScript archive (torch.jit.load(_extra_files))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def add_checkout(path, marker):
    """Puts a reference checkout first on sys.path after checking that it holds `marker` (a relative path)."""
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.exists(os.path.join(path, marker)):
        sys.exit(f"error: {path} has no {marker}; expected a checkout of the network's own repository")
    if path not in sys.path:
        sys.path.insert(0, path)
    return path


def trace_and_save(module, example, path, record):
    """Traces `module` on the tuple `example`, saves it with `record` (a dict) inside, loads it back and returns it.

    Tracing, not scripting: the networks' Python (numpy constants, **kwargs, custom autograd functions) is not
    TorchScript, but their forward passes have no data-dependent control flow, so the trace is the network. The
    check below runs the saved file at other batch sizes than the trace's, which would catch a batch size baked in.
    """
    module = module.eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, example, check_trace=False)
    record = dict(record, torch=torch.__version__)
    tmp = path + ".tmp"
    torch.jit.save(traced, tmp, _extra_files={EXTRA_FILE: json.dumps(record, sort_keys=True)})
    os.replace(tmp, path)
    loaded = torch.jit.load(path, map_location="cpu")
    loaded.eval()
    return loaded


def max_difference(a, b):
    """Largest |a − b| and that relative to the largest |a| (both tensors)."""
    a = a.detach().to(torch.float64)
    b = b.detach().to(torch.float64)
    d = float((a - b).abs().max())
    scale = float(a.abs().max())
    return d, d / scale if scale > 0 else float("inf")


def check(original, exported, inputs, label):
    """Runs `original` and `exported` on each input tuple; prints and returns the largest differences."""
    worst_abs, worst_rel = 0.0, 0.0
    with torch.no_grad():
        for args in inputs:
            want = original(*args)
            got = exported(*args)
            if got.shape != want.shape:
                sys.exit(f"error: {label}: exported output shape {tuple(got.shape)}, original {tuple(want.shape)}")
            d, r = max_difference(want, got)
            worst_abs, worst_rel = max(worst_abs, d), max(worst_rel, r)
    batches = ", ".join(str(a[0].shape[0]) for a in inputs)
    print(f"{label}: exported file vs original module on batches of {batches}: "
          f"max |difference| {worst_abs:.3e} (relative to the largest output {worst_rel:.3e})")
    return worst_abs, worst_rel


def model_block(path, shape, output, extra=(), comments=(), top=()):
    """The `model:` block (and any top-level keys, e.g. `process:`) to paste into a diffsweep config, as text.

    `extra` is a list of (key, value-as-YAML) lines under model:, `top` a list of whole top-level lines.
    """
    lines = [f"# exported by torch {torch.__version__} on {os.uname().sysname}, sha256 {sha256(path)}"]
    lines += [f"# {c}" for c in comments]
    lines += ["model:", "  type: djl", f"  path: {os.path.basename(path)}",
              f"  shape: [{', '.join(str(int(s)) for s in shape)}]", f"  output: {output}"]
    lines += [f"  {k}: {v}" for k, v in extra]
    lines += list(top)
    return "\n".join(lines) + "\n"


def write_block(path, block):
    """Writes the block beside the network as NAME.model.yaml and prints it."""
    out = os.path.splitext(path)[0] + ".model.yaml"
    with open(out, "w") as f:
        f.write(block)
    print(f"\nmodel block (also in {out}):\n")
    print(block)
