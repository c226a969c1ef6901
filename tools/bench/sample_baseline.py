"""The sampling loop a user would write in Python, for `diffsweep bench`: the same TorchScript denoiser, batch,
Euler steps and thread count as diffsweep's loop, timed.

Usage: sample_baseline.py MODEL.pt C H W BATCH NFE THREADS ROUND
The model is called as D(x[B,C,H,W] float32, sigma[B] float32) under torch.inference_mode(); the grid is EDM's
(sigma_min 0.002, sigma_max 80, rho 7, NFE levels then 0). After three warm-up calls it times
  raw:   NFE forward passes on one batch
  euler: x = 80 z; for each level, x += (s_next - s) (x - D(x, s)) / s   (NFE calls, float32 throughout)
and prints one line: "torch round R: torch V, threads T, raw X images·NFE/s, euler Y images·NFE/s".
"""
import sys
import time

import torch


def edm_sigmas(nfe, sigma_min=0.002, sigma_max=80.0, rho=7.0):
    a, b = sigma_max ** (1 / rho), sigma_min ** (1 / rho)
    levels = [(a + i / (nfe - 1) * (b - a)) ** rho for i in range(nfe)]
    levels[0], levels[-1] = sigma_max, sigma_min
    return levels + [0.0]


def main():
    model, c, h, w, batch, nfe, threads, round_no = sys.argv[1], *map(int, sys.argv[2:9])
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    net = torch.jit.load(model, map_location="cpu").eval()
    sigmas = edm_sigmas(nfe)
    gen = torch.Generator().manual_seed(round_no)
    x0 = torch.randn(batch, c, h, w, generator=gen)
    with torch.inference_mode():
        for _ in range(3):  # warm-up: TorchScript's profiling executor optimises the graph after its first calls
            net(x0, torch.full((batch,), 1.0))
        t0 = time.perf_counter()
        for k in range(nfe):
            net(x0, torch.full((batch,), sigmas[k]))
        raw = batch * nfe / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        x = x0 * sigmas[0]
        for k in range(nfe):
            s, s_next = sigmas[k], sigmas[k + 1]
            d = (x - net(x, torch.full((batch,), s))) / s
            x = x + (s_next - s) * d
        euler = batch * nfe / (time.perf_counter() - t0)
    if not torch.isfinite(x).all():
        raise SystemExit("the Euler loop produced non-finite samples")
    print("torch round %d: torch %s, threads %d, raw %.1f images·NFE/s, euler %.1f images·NFE/s"
          % (round_no, torch.__version__, torch.get_num_threads(), raw, euler), flush=True)


if __name__ == "__main__":
    main()
