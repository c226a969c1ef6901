"""Small EDM-preconditioned U-Net for 28x28 Fashion-MNIST (shared by train/export scripts).

D(x; sigma) = c_skip(sigma) * x + c_out(sigma) * F(c_in(sigma) * x, c_noise(sigma)),  sigma_data = 0.5,
c_skip = sd^2/(s^2+sd^2), c_out = s*sd/sqrt(s^2+sd^2), c_in = 1/sqrt(s^2+sd^2), c_noise = ln(s)/4
(Karras et al. 2022, Table 1; /work/shared/SPEC.md section 1).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SIGMA_DATA = 0.5


def groups_for(ch: int) -> int:
    return 8 if ch % 8 == 0 else 1


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups_for(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)  # scale and shift (adaptive GroupNorm, as in DDPM++/EDM)
        self.norm2 = nn.GroupNorm(groups_for(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        ss = self.emb(emb).unsqueeze(-1).unsqueeze(-1)
        scale, shift = ss.chunk(2, dim=1)
        h = self.norm2(h) * (1.0 + scale) + shift
        h = self.conv2(F.silu(h))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    def __init__(self, ch: int, heads: int = 2):
        super().__init__()
        self.heads = heads
        self.head_dim = ch // heads
        self.sqrt_d = math.sqrt(ch // heads)
        self.norm = nn.GroupNorm(groups_for(ch), ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        qkv = self.qkv(self.norm(x)).reshape(b * self.heads, 3, self.head_dim, h * w)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]  # [bh, d, n]
        attn = torch.softmax(torch.bmm(q.transpose(1, 2), k) / self.sqrt_d, dim=-1)  # [bh, n, n]
        out = torch.bmm(v, attn.transpose(1, 2))  # [bh, d, n]
        return x + self.proj(out.reshape(b, c, h, w))


class UNet(nn.Module):
    """F(x_in, c_noise): 28x28 -> 14x14 -> 7x7 and back, one ResBlock per level on each side."""

    def __init__(self, in_ch: int = 1, chs=(32, 64, 64), emb_dim: int = 128,
                 attn_at_bottom: bool = True, n_freq: int = 32, label_dim: int = 0):
        super().__init__()
        self.n_freq = n_freq
        self.label_dim = label_dim
        chs = list(chs)
        self.emb_mlp = nn.Sequential(nn.Linear(2 * n_freq, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim), nn.SiLU())
        # class conditioning as in EDM's SongUNet: a bias-free linear map of the one-hot label added to the noise
        # embedding; an all-zero one-hot (label dropout) is the unconditional branch
        if label_dim > 0:
            self.map_label = nn.Linear(label_dim, emb_dim, bias=False)
        self.conv_in = nn.Conv2d(in_ch, chs[0], 3, padding=1)
        # encoder
        self.enc0 = ResBlock(chs[0], chs[0], emb_dim)                 # 28
        self.down1 = nn.Conv2d(chs[0], chs[1], 3, stride=2, padding=1)  # 28 -> 14
        self.enc1 = ResBlock(chs[1], chs[1], emb_dim)                 # 14
        self.down2 = nn.Conv2d(chs[1], chs[2], 3, stride=2, padding=1)  # 14 -> 7
        self.enc2 = ResBlock(chs[2], chs[2], emb_dim)                 # 7
        # middle
        self.mid1 = ResBlock(chs[2], chs[2], emb_dim)
        self.attn = SelfAttention(chs[2]) if attn_at_bottom else nn.Identity()
        self.mid2 = ResBlock(chs[2], chs[2], emb_dim)
        # decoder (skip concatenation)
        self.dec2 = ResBlock(2 * chs[2], chs[2], emb_dim)             # 7
        self.up1 = nn.Conv2d(chs[2], chs[1], 3, padding=1)            # after nearest x2 -> 14
        self.dec1 = ResBlock(2 * chs[1], chs[1], emb_dim)             # 14
        self.up0 = nn.Conv2d(chs[1], chs[0], 3, padding=1)            # after nearest x2 -> 28
        self.dec0 = ResBlock(2 * chs[0], chs[0], emb_dim)             # 28
        self.norm_out = nn.GroupNorm(groups_for(chs[0]), chs[0])
        self.conv_out = nn.Conv2d(chs[0], in_ch, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)
        # fixed log-spaced frequencies for the sinusoidal embedding of c_noise (range ~[-2.6, 1.1])
        freqs = torch.exp(torch.linspace(0.0, math.log(200.0), n_freq))
        self.register_buffer("freqs", freqs)

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor, class_labels=None) -> torch.Tensor:
        arg = c_noise.unsqueeze(1) * self.freqs.unsqueeze(0)
        emb = self.emb_mlp(torch.cat([torch.cos(arg), torch.sin(arg)], dim=1))
        if class_labels is not None:
            emb = emb + F.silu(self.map_label(class_labels * math.sqrt(self.label_dim)))
        h0 = self.enc0(self.conv_in(x), emb)
        h1 = self.enc1(self.down1(h0), emb)
        h2 = self.enc2(self.down2(h1), emb)
        h = self.mid2(self.attn(self.mid1(h2, emb)), emb)
        h = self.dec2(torch.cat([h, h2], dim=1), emb)
        h = self.up1(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.dec1(torch.cat([h, h1], dim=1), emb)
        h = self.up0(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.dec0(torch.cat([h, h0], dim=1), emb)
        return self.conv_out(F.silu(self.norm_out(h)))


class EDMDenoiser(nn.Module):
    """forward(x [B,C,28,28] float32, sigma [B] float32) -> D(x; sigma) [B,C,28,28]; preconditioning inside."""

    def __init__(self, net: UNet, sigma_data: float = SIGMA_DATA):
        super().__init__()
        self.net = net
        self.sigma_data = sigma_data

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        sd = self.sigma_data
        s = sigma.to(torch.float32).reshape(-1, 1, 1, 1)
        s2 = s * s + sd * sd
        c_skip = (sd * sd) / s2
        c_out = s * sd / torch.sqrt(s2)
        c_in = 1.0 / torch.sqrt(s2)
        c_noise = torch.log(sigma.to(torch.float32)) / 4.0
        f = self.net(c_in * x, c_noise)
        return c_skip * x + c_out * f


class EDMCondDenoiser(EDMDenoiser):
    """forward(x, sigma, class_labels [B,K] one-hot float32) -> D(x; sigma, label); all-zero labels: unconditional."""

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, class_labels: torch.Tensor) -> torch.Tensor:
        sd = self.sigma_data
        s = sigma.to(torch.float32).reshape(-1, 1, 1, 1)
        s2 = s * s + sd * sd
        c_noise = torch.log(sigma.to(torch.float32)) / 4.0
        f = self.net((1.0 / torch.sqrt(s2)) * x, c_noise, class_labels.to(torch.float32))
        return (sd * sd) / s2 * x + s * sd / torch.sqrt(s2) * f


def build_model(**kw) -> EDMDenoiser:
    if kw.get("label_dim", 0) > 0:
        return EDMCondDenoiser(UNet(**kw))
    return EDMDenoiser(UNet(**kw))


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# ---------------------------------------------------------------- data

def load_idx_images(path: str) -> np.ndarray:
    import gzip
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, h, w = np.frombuffer(data[:16], dtype=">i4")
    assert magic == 2051, magic
    return np.frombuffer(data[16:], dtype=np.uint8).reshape(n, h, w).copy()


def load_idx_labels(path: str) -> np.ndarray:
    import gzip
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = np.frombuffer(data[:8], dtype=">i4")
    assert magic == 2049, magic
    return np.frombuffer(data[8:], dtype=np.uint8).copy()


FMNIST_DIR = "/usr/share/datasets/fashion-mnist"


# ---------------------------------------------------------------- sampling (EDM Algorithm 1, deterministic Heun)

def edm_sigmas(n_steps: int, sigma_min: float = 0.002, sigma_max: float = 80.0, rho: float = 7.0) -> torch.Tensor:
    i = torch.arange(n_steps, dtype=torch.float64)
    s = (sigma_max ** (1 / rho) + i / (n_steps - 1) * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([s, torch.zeros(1, dtype=torch.float64)])


@torch.no_grad()
def heun_sample(model: nn.Module, latents: torch.Tensor, n_steps: int = 18, **kw) -> torch.Tensor:
    """Deterministic Heun sampler (EDM Alg. 1, S_churn = 0): NFE = 2*n_steps - 1. latents ~ N(0, I)."""
    t = edm_sigmas(n_steps, **kw)
    x = latents.to(torch.float64) * t[0]
    b = x.shape[0]
    for i in range(n_steps):
        tc, tn = t[i], t[i + 1]
        d = (x - model(x.float(), torch.full((b,), float(tc))).to(torch.float64)) / tc
        xn = x + (tn - tc) * d
        if i < n_steps - 1:
            d2 = (xn - model(xn.float(), torch.full((b,), float(tn))).to(torch.float64)) / tn
            xn = x + (tn - tc) * (0.5 * d + 0.5 * d2)
        x = xn
    return x


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """SPEC section 6: round(x*127.5 + 128) clipped to [0, 255]."""
    return torch.clamp(torch.round(x * 127.5 + 128.0), 0, 255).to(torch.uint8).cpu().numpy()


def save_grid(u8: np.ndarray, path: str, nrow: int = 8, scale: int = 3, pad: int = 2) -> None:
    """u8: [N,1,H,W] uint8 -> PNG grid (PIL)."""
    from PIL import Image
    n, _, h, w = u8.shape
    ncol = (n + nrow - 1) // nrow
    grid = np.full((ncol * (h + pad) + pad, nrow * (w + pad) + pad), 64, dtype=np.uint8)
    for k in range(n):
        r, c = divmod(k, nrow)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = u8[k, 0]
    img = Image.fromarray(grid, mode="L")
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    img.save(path)


def sha256(path):
    """SHA-256 of a file, hex (written into model cards and fixtures)."""
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def flat(t):
    """A tensor as a flat list of float32 values, for the JSON fixtures the Java tests read."""
    return [float(v) for v in t.detach().cpu().numpy().astype(np.float32).reshape(-1)]


def ema_update(ema, model, step, max_decay):
    """One EMA step of the exported weights: decay min(max_decay, (1+step)/(10+step)); buffers copied."""
    decay = min(max_decay, (1 + step) / (10 + step))
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
        for be, bm in zip(ema.buffers(), model.buffers()):
            be.copy_(bm)
