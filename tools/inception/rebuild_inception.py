#!/usr/bin/python3
"""Rebuild the nsfwjs@4.4.0 InceptionV3 (a Keras 2.2.4 model converted to a tfjs layers model) in PyTorch,
up to its global average pool (2048 features), and export it as a TorchScript feature detector.

    /usr/bin/python3 rebuild_inception.py --model /work/inception-work/tfjs_model \
        --out target/models/inception-nsfwjs.pt

--model is the directory written by extract_nsfwjs_model.mjs (model.json + binary weight shards).

The network is built from model.json's Keras layer graph (not hand-written), so the wiring, kernel sizes,
strides and paddings are exactly those of the file. Layers used by the feature path: Conv2D (no bias,
linear), BatchNormalization (epsilon 1e-3, center only), Activation relu, MaxPooling2D 3x3/2 'valid',
AveragePooling2D 3x3/1 'same' (TF excludes the padding from the average -> count_include_pad=False),
Concatenate on the channel axis, AveragePooling2D 8x8/8 'valid' + Flatten (= global average pool at 299).
Keras 'same' padding is reproduced exactly (asymmetric, more at the bottom/right, with F.pad) where it is
not symmetric; in this model every 'same' layer has stride 1 and an odd kernel, so it is symmetric.

Weights: uint8-quantised per tensor in the manifest, value = q*scale + min (computed in float64 and
rounded to float32, as tfjs does). Conv kernels HWIO -> OIHW. By default every BatchNormalization is folded
into the preceding convolution (scale = 1/sqrt(var + eps) in float64) -> conv with bias + relu.

Exported signature (SPEC §6 detector): forward(images: uint8 [B,3,H,W]) -> float32 [B,2048]:
  x = images / 255 (the model expects [0,1] input: nsfwjs's infer() divides by 255, there is no [-1,1]
  scaling); if (H, W) != (299, 299): bilinear resize to 299x299, align_corners=False, no antialias;
  a 1-channel input is repeated to 3 channels.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SIZE = 299
FEATURE_LAYER = "flatten_1"


# ----------------------------------------------------------------------------- weights
def load_weights(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        mj = json.load(f)
    weights = {}
    for group in mj["weightsManifest"]:
        data = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        off = 0
        for spec in group["weights"]:
            n = int(np.prod(spec["shape"])) if spec["shape"] else 1
            q = spec.get("quantization")
            if q is None:
                assert spec["dtype"] == "float32", spec
                arr = np.frombuffer(data, dtype="<f4", count=n, offset=off).copy()
                off += 4 * n
            elif q["dtype"] == "uint8":
                raw = np.frombuffer(data, dtype=np.uint8, count=n, offset=off)
                arr = (raw.astype(np.float64) * q["scale"] + q["min"]).astype(np.float32)
                off += n
            else:
                raise ValueError("unsupported quantisation %s for %s" % (q, spec["name"]))
            weights[spec["name"]] = arr.reshape(spec["shape"])
        if off != len(data):
            raise ValueError("weight group has %d bytes, manifest describes %d" % (len(data), off))
    return mj, weights


# ----------------------------------------------------------------------------- Keras padding
def same_pads(size, k, s, d=1):
    """Keras/TF 'same': total = max((ceil(n/s)-1)*s + (k-1)*d + 1 - n, 0); before = total//2."""
    eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


def symmetric_same(k, s, d=1):
    """'same' padding that does not depend on the input size and is symmetric: stride 1, odd extent."""
    eff = (k - 1) * d + 1
    return s == 1 and eff % 2 == 1


# ----------------------------------------------------------------------------- layers (NCHW)
class Conv(nn.Module):
    def __init__(self, cfg, kernel_hwio, bias, bn, fold_bn):
        super().__init__()
        k = tuple(cfg["kernel_size"])
        self.stride = tuple(cfg["strides"])
        self.dilation = tuple(cfg["dilation_rate"])
        self.padding_mode = cfg["padding"]
        if cfg["activation"] not in ("linear",):
            raise ValueError("conv activation %s not supported" % cfg["activation"])
        w = torch.from_numpy(np.ascontiguousarray(kernel_hwio.transpose(3, 2, 0, 1)))  # HWIO -> OIHW
        b = torch.from_numpy(bias) if bias is not None else None
        self.bn = None
        if bn is not None and fold_bn:
            scale, shift = bn.scale_shift64()
            w64 = w.double() * torch.from_numpy(scale).view(-1, 1, 1, 1)
            b64 = torch.from_numpy(shift) + (b.double() * torch.from_numpy(scale) if b is not None else 0)
            w, b = w64.float(), b64.float()
        elif bn is not None:
            self.bn = bn
        self.weight = nn.Parameter(w, requires_grad=False)
        self.bias = nn.Parameter(b, requires_grad=False) if b is not None else None
        self.k = k
        self.sym = [0, 0]
        self.explicit = self.padding_mode == "same" and not all(
            symmetric_same(k[i], self.stride[i], self.dilation[i]) for i in range(2))
        if self.padding_mode == "same" and not self.explicit:
            self.sym = [((k[i] - 1) * self.dilation[i]) // 2 for i in range(2)]
        elif self.padding_mode not in ("same", "valid"):
            raise ValueError(self.padding_mode)

    def forward(self, x):
        if self.explicit:  # asymmetric Keras 'same' (more padding at the bottom/right)
            pt, pb = same_pads(x.shape[2], self.k[0], self.stride[0], self.dilation[0])
            pl, pr = same_pads(x.shape[3], self.k[1], self.stride[1], self.dilation[1])
            x = F.pad(x, (pl, pr, pt, pb))
        y = F.conv2d(x, self.weight, self.bias, self.stride, self.sym, self.dilation)
        return self.bn(y) if self.bn is not None else y


class BatchNorm(nn.Module):
    def __init__(self, cfg, name, weights):
        super().__init__()
        if cfg["axis"] not in (3, -1):
            raise ValueError("BN axis %s" % cfg["axis"])
        self.eps = float(cfg["epsilon"])
        mean = weights[name + "/moving_mean"]
        var = weights[name + "/moving_variance"]
        gamma = weights[name + "/gamma"] if cfg.get("scale", True) else np.ones_like(mean)
        beta = weights[name + "/beta"] if cfg.get("center", True) else np.zeros_like(mean)
        self._arrays = (mean, var, gamma, beta)
        for n, a in zip(("mean", "var", "gamma", "beta"), self._arrays):
            self.register_buffer(n, torch.from_numpy(np.ascontiguousarray(a)))

    def scale_shift64(self):
        mean, var, gamma, beta = (a.astype(np.float64) for a in self._arrays)
        scale = gamma / np.sqrt(var + self.eps)
        return scale, beta - mean * scale

    def forward(self, x):
        return F.batch_norm(x, self.mean, self.var, self.gamma, self.beta, False, 0.0, self.eps)


class Relu(nn.Module):
    def forward(self, x):
        return F.relu(x)


class Pool(nn.Module):
    def __init__(self, cfg, kind):
        super().__init__()
        self.kind = kind
        self.k = tuple(cfg["pool_size"])
        self.s = tuple(cfg["strides"] or cfg["pool_size"])
        self.mode = cfg["padding"]
        if self.mode == "same" and not all(symmetric_same(self.k[i], self.s[i]) for i in range(2)):
            # Not needed by InceptionV3; TF's average would also need a per-position count here.
            raise ValueError("asymmetric 'same' pooling not supported")
        self.p = [(self.k[i] - 1) // 2 for i in range(2)] if self.mode == "same" else [0, 0]

    def forward(self, x):
        if self.kind == "max":
            return F.max_pool2d(x, self.k, self.s, self.p)
        # TF's 'same' average pool divides by the number of real (unpadded) inputs.
        return F.avg_pool2d(x, self.k, self.s, self.p, count_include_pad=False)


class Concat(nn.Module):
    def forward(self, xs):
        return torch.cat(xs, 1)


class Flatten(nn.Module):
    def forward(self, x):  # Keras flattens NHWC
        return x.permute(0, 2, 3, 1).flatten(1)


class KerasGraph(nn.Module):
    """Executes the Keras functional graph from model.json up to `output` (NCHW float in [0,1])."""

    def __init__(self, model_json, weights, output=FEATURE_LAYER, fold_bn=True):
        super().__init__()
        cfg = model_json["modelTopology"]["model_config"]
        if cfg["class_name"] != "Model":
            raise ValueError("expected a functional Model, got %s" % cfg["class_name"])
        layers = {l["name"]: l for l in cfg["config"]["layers"]}
        inputs = {n: [i[0] for i in l["inbound_nodes"][0]] if l["inbound_nodes"] else []
                  for n, l in layers.items()}
        # topological order of the ancestors of `output`
        order, seen = [], set()

        def visit(n):
            if n in seen:
                return
            seen.add(n)
            for p in inputs[n]:
                visit(p)
            order.append(n)

        visit(output)
        consumers = {}
        for n in order:
            for p in inputs[n]:
                consumers.setdefault(p, []).append(n)

        self.mods = nn.ModuleDict()
        self.plan = []  # (name, module key or None, input names)
        folded = {}
        used = set()
        for n in order:
            l = layers[n]
            c, cls = l["config"], l["class_name"]
            if cls == "InputLayer":
                shape = c["batch_input_shape"]
                if shape[1:] != [SIZE, SIZE, 3]:
                    raise ValueError("input shape %s" % shape)
                self.input_name = n
                continue
            if cls == "Conv2D":
                bn = None
                cons = consumers.get(n, [])
                if len(cons) == 1 and layers[cons[0]]["class_name"] == "BatchNormalization":
                    bn = BatchNorm(layers[cons[0]]["config"], cons[0], weights)
                    folded[cons[0]] = n
                kern = weights[n + "/kernel"]
                bias = weights.get(n + "/bias") if c["use_bias"] else None
                used.update(k for k in (n + "/kernel", n + "/bias") if k in weights)
                if bn is not None:
                    used.update(cons[0] + "/" + s for s in ("moving_mean", "moving_variance", "gamma", "beta"))
                mod = Conv(c, kern, bias, bn, fold_bn)
            elif cls == "BatchNormalization":
                if n in folded:  # executed by its conv: alias the output
                    self.plan.append((n, None, [folded[n]]))
                    continue
                mod = BatchNorm(c, n, weights)
                used.update(n + "/" + s for s in ("moving_mean", "moving_variance", "gamma", "beta"))
            elif cls == "Activation":
                if c["activation"] != "relu":
                    raise ValueError("activation %s" % c["activation"])
                mod = Relu()
            elif cls in ("MaxPooling2D", "AveragePooling2D"):
                if c.get("data_format", "channels_last") != "channels_last":
                    raise ValueError("data_format")
                mod = Pool(c, "max" if cls == "MaxPooling2D" else "avg")
            elif cls == "Concatenate":
                if c["axis"] not in (3, -1):
                    raise ValueError("concat axis %s" % c["axis"])
                mod = Concat()
            elif cls == "Flatten":
                mod = Flatten()
            else:
                raise ValueError("layer %s (%s) not supported" % (n, cls))
            self.mods[n] = mod
            self.plan.append((n, n, inputs[n]))
        self.output = output
        self.unused = sorted(set(weights) - used)
        self.layer_counts = {}
        for n in order:
            k = layers[n]["class_name"]
            self.layer_counts[k] = self.layer_counts.get(k, 0) + 1

    def forward(self, x):
        vals = {self.input_name: x}
        for name, key, ins in self.plan:
            if key is None:
                vals[name] = vals[ins[0]]
            elif len(ins) == 1 and not isinstance(self.mods[key], Concat):
                vals[name] = self.mods[key](vals[ins[0]])
            else:
                vals[name] = self.mods[key]([vals[i] for i in ins])
        return vals[self.output]


class InceptionDetector(nn.Module):
    """uint8 [B,3,H,W] -> float32 [B,2048] pool3 features of the nsfwjs InceptionV3."""

    def __init__(self, core):
        super().__init__()
        self.core = core

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dtype != torch.uint8:
            raise ValueError("expected uint8 images [B,3,H,W]")
        x = images.to(torch.float32) / 255.0
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[2] != 299 or x.shape[3] != 299:
            x = F.interpolate(x, size=[299, 299], mode="bilinear", align_corners=False, antialias=False)
        return self.core(x)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="/work/inception-work/tfjs_model",
                    help="directory with model.json + weight shards (extract_nsfwjs_model.mjs)")
    ap.add_argument("--out", default="target/models/inception-nsfwjs.pt")
    ap.add_argument("--no-fold-bn", action="store_true", help="keep BatchNorm as separate ops")
    args = ap.parse_args()
    torch.set_grad_enabled(False)

    mj, weights = load_weights(args.model)
    core = KerasGraph(mj, weights, fold_bn=not args.no_fold_bn).eval()
    print("layers on the feature path:", json.dumps(core.layer_counts, sort_keys=True))
    print("weights not used (the dense top): %s" % ", ".join(core.unused))
    if any(not u.startswith("dense_") for u in core.unused):
        sys.exit("unexpected unused weights")

    example = torch.rand(2, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(0))
    traced = torch.jit.trace(core, example, check_trace=False)
    ref = core(example)
    got = traced(example)
    if ref.shape != (2, 2048) or not torch.equal(ref, got):
        sys.exit("traced core differs from eager: %s" % (got - ref).abs().max())
    det = torch.jit.script(InceptionDetector(traced))

    out = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    meta = {
        "name": "InceptionV3 (nsfwjs)",
        "source": "npm nsfwjs@4.4.0 dist/models/inception_v3 (Keras 2.2.4 InceptionV3, ImageNet weights, "
                  "top blocks fine-tuned for NSFW classification; uint8-quantised weights)",
        "model_json_sha256": sha256(os.path.join(args.model, "model.json")),
        "features": "flatten_1 = 8x8 average pool of mixed10 (global average pool), 2048-d",
        "input": "uint8 [B,3,H,W] (or [B,1,H,W]); /255; bilinear resize to 299x299 (align_corners=False, "
                 "no antialias) when H,W != 299; no [-1,1] scaling",
        "bn_folded": not args.no_fold_bn,
        "torch": torch.__version__,
    }
    torch.jit.save(det, out, _extra_files={"meta.json": json.dumps(meta, indent=1)})

    loaded = torch.jit.load(out)
    u8 = (example * 255).round().to(torch.uint8)
    a = loaded(u8)
    b = core(u8.float() / 255.0)
    if not torch.allclose(a, b, rtol=0, atol=0):
        sys.exit("saved module differs from eager")
    small = loaded(u8[:, :, :64, :80])
    assert small.shape == (2, 2048)
    print("wrote %s (%d bytes)" % (out, os.path.getsize(out)))
    print("sha256 %s" % sha256(out))


if __name__ == "__main__":
    main()
