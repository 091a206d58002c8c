"""How stable the k chosen by ``KMeansSegmenter("auto")`` is, and what choosing it costs.

Usage::

    python benchmarks/bench_kmeans_k.py [--customers 100000] [--seeds 20]

On the ``bench_paths.py`` customers (frequency, weeks since the last purchase, spend; ``log1p``
and standard scaling, as the segmenter does), for each seed: a 5,000-customer sample, the
candidate k-means for k = 2..8 (3 restarts each, as ``"auto"`` fits them), then the k with
the best silhouette computed on the first 1,000, 2,000 and all 5,000 customers of the sample,
and the k with the best centroid ("simplified") silhouette on the whole sample (distance to
the own centre against the nearest other centre, a criterion that costs far less). Prints how
often each k wins, and the median time of the candidate fits and of the 5,000-point
silhouettes (one BLAS/OpenMP thread).
"""

from __future__ import annotations

import argparse
import collections
import statistics
import time

import numpy as np
from bench_paths import END, generate
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

import customer_models as cm
from customer_models.segmentation._silhouette import silhouettes

K_RANGE = range(2, 9)
SAMPLE = 5_000


def scaled_features(n: int) -> np.ndarray:
    tx = generate(n).tx
    summary = cm.rfm_summary(tx, value_col="amount", time_unit="W", observation_end=str(END.date()))
    x = np.log1p(
        np.column_stack(
            [summary["frequency"], summary["T"] - summary["recency"], summary["monetary_value"]]
        )
    )
    return (x - x.mean(axis=0)) / x.std(axis=0)


def centroid_silhouette(points: np.ndarray, model: KMeans) -> float:
    d = np.linalg.norm(points[:, None, :] - model.cluster_centers_[None], axis=2)
    rows = np.arange(len(points))
    a = d[rows, model.labels_]
    d[rows, model.labels_] = np.inf
    b = d.min(axis=1)
    return float(np.mean((b - a) / np.maximum(a, b)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    scaled = scaled_features(args.customers)
    wins: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    fit_times, silhouette_times = [], []
    with threadpool_limits(1):
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            sample = scaled[rng.choice(len(scaled), SAMPLE, replace=False)]
            start = time.perf_counter()
            models = [KMeans(k, n_init=3, random_state=seed).fit(sample) for k in K_RANGE]
            fit_times.append(time.perf_counter() - start)
            for m in (1_000, 2_000, SAMPLE):
                labels = [np.unique(f.labels_[:m], return_inverse=True)[1] for f in models]
                start = time.perf_counter()
                scores = silhouettes(sample[:m], labels)
                if m == SAMPLE:
                    silhouette_times.append(time.perf_counter() - start)
                wins[f"silhouette on {m:,}"][K_RANGE[int(np.argmax(scores))]] += 1
            simplified = [centroid_silhouette(sample, f) for f in models]
            wins[f"centroid silhouette on {SAMPLE:,}"][K_RANGE[int(np.argmax(simplified))]] += 1
    print(f"{args.customers:,} customers, {args.seeds} seeded samples of {SAMPLE:,}")
    for criterion, counts in wins.items():
        print(f"  {criterion}: chosen k {dict(sorted(counts.items()))}")
    print(
        f"  7 candidate fits (3 restarts each): {statistics.median(fit_times):.3f} s; "
        f"silhouettes of the 7 on {SAMPLE:,} points: {statistics.median(silhouette_times):.3f} s"
    )


if __name__ == "__main__":
    main()
