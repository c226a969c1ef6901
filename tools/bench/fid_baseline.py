"""The pytorch-fid baseline for `diffsweep bench-fid`: statistics and FID of the same features, timed.

Usage: fid_baseline.py FEATURES.npy REF.npz ROUND
Reads FEATURES.npy (n x D float32) and REF.npz (mu, sigma), then times
  load:       np.load of the features (pytorch-fid holds its activations in memory; this is the read)
  statistics: mu = np.mean(x, axis=0); sigma = np.cov(x, rowvar=False)        (pytorch-fid's calculate_activation_statistics)
  fid:        ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr(sqrtm(S1 S2)), scipy.linalg.sqrtm, with pytorch-fid's
              eps offset when the product is singular and its imaginary-part check (calculate_frechet_distance)
and prints the BLAS it runs (threadpoolctl, when installed) and one line:
  "baseline round R: load L s, stats S s, fid F s, value V".
Run it with a python3 whose numpy and scipy are installed, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
(`diffsweep bench-fid` removes them from this process's environment): set, they can pick a slower kernel.
"""
import sys
import time

import numpy as np
from scipy import linalg


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("imaginary component %s" % np.max(np.abs(covmean.imag)))
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (no threadpoolctl)"
    return "; ".join("%s %s %s, %s threads" % (i.get("internal_api"), i.get("version"), i.get("architecture", ""),
                                                i.get("num_threads")) for i in threadpool_info()
                     if i.get("user_api") == "blas") or "none found"


def main():
    features, ref, round_no = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print("baseline blas: %s" % blas(), flush=True)
    r = np.load(ref)
    mu2, sigma2 = r["mu"], r["sigma"]
    t0 = time.perf_counter()
    x = np.load(features)
    t1 = time.perf_counter()
    mu1 = np.mean(x, axis=0)
    sigma1 = np.cov(x, rowvar=False)
    t2 = time.perf_counter()
    value = frechet_distance(mu1, sigma1, mu2, sigma2)
    t3 = time.perf_counter()
    print("baseline round %d: load %.4f s, stats %.4f s, fid %.4f s, value %.17g"
          % (round_no, t1 - t0, t2 - t1, t3 - t2, value), flush=True)


if __name__ == "__main__":
    main()
