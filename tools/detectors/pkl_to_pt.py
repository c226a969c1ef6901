"""Converts NVIDIA's `inception-2015-12-05.pkl` (the detector EDM, EDM2 and StyleGAN3 load with pickle.load) into
a TorchScript file diffsweep loads, for users who have the .pkl rather than the .pt.

The .pkl is a Python pickle; Java cannot unpickle Python objects, so it is converted once here:

    python tools/detectors/pkl_to_pt.py --pkl inception-2015-12-05.pkl --code EDM_OR_STYLEGAN3_CHECKOUT \
        --out models/inception-2015-12-05-from-pkl.pt

--code puts an EDM or StyleGAN3 checkout first on sys.path, since the pickle may name their modules (dnnlib,
torch_utils). The object it holds must be (or wrap, as its only TorchScript submodule) a TorchScript module with
NVIDIA's interface, forward(img, return_features, use_fp16, no_output_bias); it is saved with torch.jit.save,
features checked equal on seeded images before and after, and the file carries extra/diffsweep.json naming the
.pkl and its SHA-256 (protocol nvidia-inception), which diffsweep's provenance reports.
"""
import argparse
import os
import pickle
import sys

import numpy as np
import torch

import detcommon


def find_script_module(obj):
    if isinstance(obj, torch.jit.ScriptModule):
        return obj
    if isinstance(obj, torch.nn.Module):
        found = [m for m in obj.modules() if isinstance(m, torch.jit.ScriptModule)]
        if len(found) >= 1:
            return found[0]
    raise SystemExit(f"the pickle holds a {type(obj).__name__}, expected a TorchScript module (or a module wrapping "
                     "one) with forward(img, return_features, use_fp16, no_output_bias)")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pkl", required=True)
    p.add_argument("--code", default=None, help="EDM or StyleGAN3 checkout (dnnlib, torch_utils)")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if a.code:
        sys.path.insert(0, a.code)
    with open(a.pkl, "rb") as f:
        net = find_script_module(pickle.load(f)).eval()
    images = torch.as_tensor(np.random.default_rng(0).integers(0, 256, (3, 3, 40, 40), dtype=np.uint8))
    with torch.no_grad():
        before = net(images, return_features=True)
    meta = {"protocol": "nvidia-inception", "call": "return-features", "dim": int(before.shape[1]),
            "input": "uint8 NCHW, any size", "source": os.path.basename(a.pkl), "source_sha256": detcommon.sha256(a.pkl),
            "built_by": "tools/detectors/pkl_to_pt.py"}
    detcommon.save(net, a.out, meta)
    with torch.no_grad():
        after = torch.jit.load(a.out)(images, return_features=True)
    if not torch.equal(before, after):
        raise SystemExit("the saved file's features differ from the pickled module's")
    print("features equal before and after; dim", meta["dim"])


if __name__ == "__main__":
    main()
