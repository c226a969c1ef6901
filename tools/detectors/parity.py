"""Full-size parity data for DetectorParityIT: detector files, seeded uint8 images, and the Python tools' outputs on
them, in one folder with a manifest.json the IT reads (DIFFSWEEP_DETECTOR_PARITY=FOLDER). Two uses:

1. Stand-ins (the real weights are not needed): `--standins` writes
   - nvidia-standin.pt: nvidia_standin.py's full-size stand-in (pytorch-fid's FID Inception with seeded random
     weights, NVIDIA's interface); reference: EDM's call net(img, return_features=True) and
     net(img, no_output_bias=True);
   - pytorch-fid.pt: build_pytorch_fid.py's detector from a seeded random .pth in pytorch-fid's layout;
     reference: pytorch-fid's own InceptionV3([3]) on uint8 / 255, and its calculate_frechet_distance of two image
     sets (--fid-images of each, more than the 2048 features so that both covariances have full rank);
   - dinov2.pt: build_dinov2.py's detector around dinov2's ViT (--dinov2-arch, vit_large by default) with seeded
     random weights; reference: EDM2's DINOv2Detector on the module itself.
2. The user's own files: `--nvidia inception-2015-12-05.pt|.pkl`, `--pytorch-fid-weights pt_inception-*.pth`
   with `--pytorch-fid-detector built.pt`, `--dinov2-weights dinov2_vitl14_pretrain.pth` with
   `--dinov2-detector built.pt`, and `--images FOLDER` (PNG/JPEG, all of one size) instead of seeded images.

Then, from the repository root: DIFFSWEEP_DETECTOR_PARITY=FOLDER mvn -B -ntp test -Dtest=DetectorParityIT
-Dsurefire.failIfNoSpecifiedTests=false (tools/detectors/check.sh does both steps). The manifest also
records the Python tool's images per second on the same images, batch and threads, which the IT sets beside
diffsweep's.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

import build_dinov2
import build_pytorch_fid
import detcommon
import nvidia_standin
import reference


def seeded_images(seed):
    rng = np.random.default_rng(seed)
    return {"g28": rng.integers(0, 256, (8, 1, 28, 28), dtype=np.uint8),
            "c32": rng.integers(0, 256, (8, 3, 32, 32), dtype=np.uint8),
            "c64": rng.integers(0, 256, (8, 3, 64, 64), dtype=np.uint8)}


def folder_images(folder):
    from PIL import Image
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith((".png", ".jpg", ".jpeg")))
    if not files:
        sys.exit(f"--images {folder}: no PNG or JPEG files")
    arrays = []
    for f in files:
        im = np.asarray(Image.open(os.path.join(folder, f)).convert("RGB"))
        arrays.append(im.transpose(2, 0, 1))
    if len({a.shape for a in arrays}) != 1:
        sys.exit(f"--images {folder}: images of several sizes, expected one size")
    return {"user": np.stack(arrays).astype(np.uint8)}


def bench(fn, images, batch, rounds=3):
    """Images per second of fn on the 3-channel images, median of rounds (after one warm-up batch)."""
    x = reference.rgb(images[:batch])
    with torch.no_grad():
        fn(x)
        rates = []
        for _ in range(rounds):
            t = time.perf_counter()
            fn(x)
            rates.append(len(x) / (time.perf_counter() - t))
    return float(np.median(rates))


def write(out, name, file, images, outputs, stages, terms, extra=None):
    arrays = dict(("images_" + k, v) for k, v in images.items())
    arrays.update(outputs)
    np.savez(os.path.join(out, name + ".npz"), **arrays)
    entry = {"name": name, "file": os.path.basename(file) if os.path.dirname(os.path.abspath(file)) == out else
             os.path.abspath(file), "data": name + ".npz", "sets": list(images), "stages": stages, "terms": terms}
    entry.update(extra or {})
    return entry


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--standins", action="store_true")
    p.add_argument("--pytorch-fid", default=None, help="pytorch-fid checkout (default: installed)")
    p.add_argument("--dinov2", default=None, help="facebookresearch/dinov2 checkout")
    p.add_argument("--edm2", default=None, help="NVlabs/edm2 checkout (its DINOv2Detector)")
    p.add_argument("--torchvision", default=None)
    p.add_argument("--dinov2-arch", default="vit_large")
    p.add_argument("--fid-images", type=int, default=2100)
    p.add_argument("--nvidia", default=None)
    p.add_argument("--nvidia-code", default=None, help="EDM or StyleGAN3 checkout, for a .pkl")
    p.add_argument("--pytorch-fid-weights", default=None)
    p.add_argument("--pytorch-fid-detector", default=None)
    p.add_argument("--dinov2-weights", default=None)
    p.add_argument("--dinov2-detector", default=None)
    p.add_argument("--images", default=None)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--only", default=None, help="comma list of nvidia, pytorch-fid, dinov2")
    a = p.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(a.threads)
    images = folder_images(a.images) if a.images else seeded_images(7)
    only = set(a.only.split(",")) if a.only else {"nvidia", "pytorch-fid", "dinov2"}
    manifest = {"threads": a.threads, "batch": a.batch, "torch": torch.__version__, "detectors": []}
    if (a.standins and only & {"nvidia", "pytorch-fid"}) or a.pytorch_fid_weights:
        detcommon.use_torchvision(a.torchvision)
        detcommon.import_from(a.pytorch_fid, "pytorch_fid", "--pytorch-fid")

    if "nvidia" in only and (a.standins or a.nvidia):
        if a.standins:
            path = os.path.join(out, "nvidia-standin.pt")
            m = nvidia_standin.full(1, a.pytorch_fid, None)
            torch.jit.save(torch.jit.script(m), path)
        else:
            path = a.nvidia
        net = reference.load_nvidia(path, a.nvidia_code)
        outputs = {}
        for k, v in images.items():
            outputs["features_" + k], outputs["probs_nobias_" + k] = reference.nvidia(net, v)
        rate = bench(lambda x: net(x, return_features=True), next(iter(images.values())), a.batch)
        manifest["detectors"].append(write(out, "nvidia", path, images, outputs, 50, 4032,
                                           {"python_images_per_second": rate, "dim": 2048}))
        print("nvidia: python", rate, "images/s")

    if "pytorch-fid" in only and (a.standins or a.pytorch_fid_weights):
        if a.standins:
            weights = os.path.join(out, "pt_inception-seeded.pth")
            torch.save(nvidia_standin.random_fid_state(3), weights)
            path = os.path.join(out, "pytorch-fid.pt")
            build_pytorch_fid.build(weights, path)
        else:
            weights, path = a.pytorch_fid_weights, a.pytorch_fid_detector
        module = reference.pytorch_fid_module(weights)
        outputs = {}
        for k, v in images.items():
            outputs["features_" + k] = reference.pytorch_fid(module, v)
        extra = {"dim": 2048}
        if a.fid_images > 0:
            rng = np.random.default_rng(21)
            fa = rng.integers(0, 256, (a.fid_images, 3, 8, 8), dtype=np.uint8)
            fb = np.clip(rng.integers(0, 256, (a.fid_images, 3, 8, 8)) * 0.8 + 30, 0, 255).astype(np.uint8)
            t = time.perf_counter()
            feats_a, feats_b = reference.pytorch_fid(module, fa), reference.pytorch_fid(module, fb)
            print("pytorch-fid: FID features in", time.perf_counter() - t, "s")
            outputs["fid_a"], outputs["fid_b"] = fa, fb
            outputs["fid_reference"] = np.array([reference.pytorch_fid_distance(feats_a, feats_b)])
            extra["fid"] = True
        rate = bench(lambda x: module(x.to(torch.float32) / 255), next(iter(images.values())), a.batch)
        extra["python_images_per_second"] = rate
        manifest["detectors"].append(write(out, "pytorch-fid", path, images, outputs, 50, 4032, extra))
        print("pytorch-fid: python", rate, "images/s")

    if "dinov2" in only and (a.standins or a.dinov2_weights):
        model = build_dinov2.dinov2_model(a.dinov2, a.dinov2_arch)
        if a.standins:
            detcommon.seeded_(model, 5)
            path = os.path.join(out, "dinov2.pt")
            build_dinov2.build(None, path, a.dinov2, a.dinov2_arch, state=model.state_dict())
        else:
            model.load_state_dict(torch.load(a.dinov2_weights, map_location="cpu", weights_only=True), strict=True)
            path = a.dinov2_detector
        det = reference.edm2_dinov2(model, a.edm2)
        outputs = {}
        for k, v in images.items():
            outputs["features_" + k] = reference.dinov2(det, v)
        rate = bench(lambda x: det(x), next(iter(images.values())), a.batch)
        depth = len(model.blocks)
        manifest["detectors"].append(write(out, "dinov2", path, images, outputs, 4 * depth + 2, 4 * model.embed_dim,
                                           {"python_images_per_second": rate,
                                            "dim": int(outputs["features_" + next(iter(images))].shape[1])}))
        print("dinov2: python", rate, "images/s")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("wrote", os.path.join(out, "manifest.json"))


if __name__ == "__main__":
    main()
