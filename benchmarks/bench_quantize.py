"""Speed of the from-scratch quantizers against the reference libraries, timed in one run.

    python benchmarks/bench_quantize.py

Prints a table: our time, the reference's time and the ratio (ours / reference). Times are
medians of a few repeats on random data shaped like the notebooks' (MFCC frames, 39 dims).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_argmin

from course_lib.quantize import kmeans, kmeans_plus_plus, nearest_code, rvq_encode, train_rvq


def median_seconds(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(20_000, 39))
    codebook = rng.normal(size=(256, 39))
    init = kmeans_plus_plus(frames, 64, seed=0)
    codebooks = train_rvq(frames[:4_000], 4, 64, n_iter=10)
    torch_frames, torch_codebook = torch.from_numpy(frames), torch.from_numpy(codebook)

    def torch_rvq():
        residual = torch_frames.clone()
        for book in codebooks:
            book = torch.from_numpy(book)
            residual -= book[torch.cdist(residual, book).argmin(1)]

    rows = [
        ("nearest code, 20k x 256", lambda: nearest_code(frames, codebook),
         "sklearn pairwise_distances_argmin", lambda: pairwise_distances_argmin(frames, codebook)),
        ("nearest code, 20k x 256", lambda: nearest_code(frames, codebook),
         "torch.cdist + argmin", lambda: torch.cdist(torch_frames, torch_codebook).argmin(1)),
        ("k-means k=64, 20 iterations", lambda: kmeans(frames, 64, init=init, n_iter=20),
         "sklearn KMeans (lloyd)", lambda: KMeans(64, init=init, n_init=1, algorithm="lloyd",
                                                  max_iter=20, tol=0).fit(frames)),
        ("RVQ encode, 4 levels x 64", lambda: rvq_encode(frames, codebooks),
         "torch.cdist per level", torch_rvq),
    ]
    print(f"{'ours':<30} {'s':>7}   {'reference':<34} {'s':>7} {'ratio':>6}")
    for name, ours, reference_name, reference in rows:
        ours_s, reference_s = median_seconds(ours), median_seconds(reference)
        print(f"{name:<30} {ours_s:7.3f}   {reference_name:<34} {reference_s:7.3f} "
              f"{ours_s / reference_s:6.2f}")


if __name__ == "__main__":
    main()
