"""A stand-in for NVIDIA's `inception-2015-12-05.pt` (which cannot be shipped or fetched here), for testing that
diffsweep calls such a file the way EDM, StyleGAN and clean-fid do.

It has the interface their code relies on, `forward(img, return_features: bool = False, use_fp16: bool = False,
no_output_bias: bool = False)`: img uint8-valued [B, 3, H, W] of any size, resized inside the network to 299 x 299;
with return_features=True the 2048-d pool features, otherwise softmax probabilities over 1008 classes, the output
layer's bias dropped when no_output_bias=True (StyleGAN3's Inception Score). The body is pytorch-fid's FID
Inception architecture (imported from the user's pytorch-fid, see build_pytorch_fid.py) with seeded random
weights; `--tiny` swaps in a small convolutional body of the same interface with D = 64 features (for the small
test fixture). The stand-in's own preprocessing (bilinear resize, (x - 128) / 128) is its own choice; nothing
depends on it matching NVIDIA's, only on diffsweep calling the file as the Python tools do.

    python tools/detectors/nvidia_standin.py --out target/detectors/standin.pt --seed 1 \
        [--tiny | --pytorch-fid CHECKOUT --torchvision WHEEL_OR_DIR]

The file carries no diffsweep metadata, like NVIDIA's: diffsweep must recognise the interface from the file itself.
"""
import argparse

import torch
import torch.nn.functional as F

import detcommon


class StandIn(torch.nn.Module):
    def __init__(self, body, fc):
        super().__init__()
        self.body = body
        self.fc = fc

    def forward(self, img: torch.Tensor, return_features: bool = False, use_fp16: bool = False,
                no_output_bias: bool = False) -> torch.Tensor:
        x = img.to(torch.float32)
        # The resize op itself (F.interpolate compiles every mode's branch, some unknown to older libtorch).
        x = torch.ops.aten.upsample_bilinear2d(x, [299, 299], False, None)
        x = (x - 128) / 128
        features = self.body(x)
        if return_features:
            return features
        logits = features @ self.fc.weight.t()
        if not no_output_bias:
            logits = logits + self.fc.bias
        return F.softmax(logits, dim=1)


class InceptionTrunk(torch.nn.Module):
    """pytorch-fid's Inception3 from its first convolution to the 2048-d average pool."""

    def __init__(self, net):
        super().__init__()
        names = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
                 "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                 "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"]
        self.layers = torch.nn.Sequential(*[getattr(net, n) for n in names])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(self.layers(x), (1, 1)).flatten(1)


def tiny(seed):
    body = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 7, stride=4), torch.nn.ReLU(),
                               torch.nn.Conv2d(8, 16, 3, stride=2), torch.nn.ReLU(),
                               torch.nn.AdaptiveAvgPool2d((1, 1)), torch.nn.Flatten(), torch.nn.Linear(16, 64))
    return detcommon.seeded_(StandIn(body, torch.nn.Linear(64, 1008)), seed).eval()


def full(seed, pytorch_fid_checkout, torchvision):
    detcommon.use_torchvision(torchvision)
    detcommon.import_from(pytorch_fid_checkout, "pytorch_fid", "--pytorch-fid")
    import pytorch_fid.inception as inception
    state = random_fid_state(seed)
    original = inception.load_state_dict_from_url
    inception.load_state_dict_from_url = lambda *a, **k: state
    try:
        net = inception.fid_inception_v3()
    finally:
        inception.load_state_dict_from_url = original
    return StandIn(InceptionTrunk(net), net.fc).eval()


def random_fid_state(seed):
    """A seeded random state dict in the layout of pytorch-fid's FID Inception weights (as the .pth holds it);
    pytorch_fid must be importable (full() or build_pytorch_fid.build arranges that)."""
    import pytorch_fid.inception as inception
    net = inception._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    detcommon.seeded_(net, seed)
    return {k: v.clone() for k, v in net.state_dict().items()}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--pytorch-fid", default=None)
    p.add_argument("--torchvision", default=None)
    a = p.parse_args()
    m = tiny(a.seed) if a.tiny else full(a.seed, a.pytorch_fid, a.torchvision)
    torch.jit.save(torch.jit.script(m), a.out)
    print(f"wrote {a.out} (sha256 {detcommon.sha256(a.out)})")
