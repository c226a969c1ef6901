"""Shared pieces of the detector builders in tools/detectors/ (Python is used only to build and check detectors;
the pipeline runs them through DJL).

torchvision: pytorch-fid imports torchvision's pure-Python Inception3. Where `import torchvision` works, nothing is
needed. Where the only torchvision at hand is a build whose compiled ops do not load beside the installed torch
(e.g. a CUDA wheel beside a CPU torch), give `--torchvision PATH`, a torchvision wheel (.whl) or an installed
`torchvision` package folder: it is copied into a temporary folder with its compiled extension `_C.so` renamed away
and `_meta_registrations.py` emptied (the registrations of compiled ops), and put first on sys.path. The Python
parts torchvision.models.inception needs load from that copy.

Metadata: every TorchScript file these tools write carries `extra/diffsweep.json` (torch.jit.save's
`_extra_files`), which diffsweep reads: the protocol the preprocessing follows, the call convention, the feature
dimension, and the name and SHA-256 of the weight file it was built from.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile

METADATA = "diffsweep.json"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def use_torchvision(path):
    """Makes `import torchvision` work: as installed when path is None, else from a stubbed copy of path."""
    if path is None:
        import torchvision  # noqa: F401  (fails here with the library's own message)
        return
    root = tempfile.mkdtemp(prefix="tvstub-")
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            z.extractall(root)
    else:
        src = path.rstrip("/")
        if os.path.basename(src) != "torchvision":
            src = os.path.join(src, "torchvision")
        if not os.path.isdir(src):
            sys.exit(f"--torchvision {path}: no torchvision package folder there, expected a .whl or the folder "
                     "holding torchvision/")
        shutil.copytree(src, os.path.join(root, "torchvision"))
    pkg = os.path.join(root, "torchvision")
    if not os.path.isdir(pkg):
        sys.exit(f"--torchvision {path}: no torchvision/ inside, expected a torchvision wheel")
    for name in os.listdir(pkg):
        if name.startswith("_C.") and (name.endswith(".so") or name.endswith(".pyd")):
            os.rename(os.path.join(pkg, name), os.path.join(pkg, name + ".disabled"))
    meta = os.path.join(pkg, "_meta_registrations.py")
    if os.path.exists(meta):
        open(meta, "w").close()
    sys.path.insert(0, root)
    import torchvision  # noqa: F401


def import_from(checkout, package, what):
    """Imports `package` from a source checkout (its src/ layout or flat), or as installed when checkout is None."""
    if checkout is not None:
        for sub in ("src", ""):
            candidate = os.path.join(checkout, sub)
            if os.path.isdir(os.path.join(candidate, package)):
                sys.path.insert(0, candidate)
                break
        else:
            sys.exit(f"{what} {checkout}: no {package}/ package there (nor under src/)")
    import importlib
    return importlib.import_module(package)


def save(module, out, meta):
    """torch.jit.save with the metadata as extra/diffsweep.json; prints the file's SHA-256."""
    import torch
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    torch.jit.save(module, out, _extra_files={METADATA: json.dumps(meta, sort_keys=True)})
    digest = sha256(out)
    print(f"wrote {out} (sha256 {digest})")
    return digest


def seeded_(module, seed, scale=None):
    """Overwrites every parameter and buffer with seeded draws (weights ~ N(0, 1/fan_in), BN stats positive)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in sorted(list(module.named_parameters()) + list(module.named_buffers())):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) * 0.5 + 0.75)
            elif name.endswith("running_mean") or name.endswith("bias"):
                t.copy_(torch.randn(t.shape, generator=g) * 0.05)
            elif t.dim() >= 2:
                fan_in = t[0].numel()
                t.copy_(torch.randn(t.shape, generator=g) * ((scale or 1.0) / fan_in) ** 0.5)
            else:
                t.copy_(1.0 + 0.1 * torch.randn(t.shape, generator=g))
    return module
