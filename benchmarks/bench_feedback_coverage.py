"""Coverage of the feedback intervals and false-positive rate of ``nps_test`` (issue #16, item 6).

Prints, per metric, method and sample size, the worst (lowest) and highest coverage of the
95 % interval over a grid of shares from 0.01 to 0.99, and where it occurs:

* CSAT (a binomial share): exact coverage (sum of binomial probabilities of the outcomes whose
  interval contains p) on p = 0.010, 0.011, ..., 0.990 (981 shares).
* NPS (promoter − detractor share): promoter and detractor shares from
  {0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.98, 0.99} with
  passives = the rest (91 triples, passives 0 to 0.98). Exact (all trinomial outcomes) for
  n <= 300, simulation with ``--reps`` samples (unique outcomes computed once) above.
* CES (mean of a 1-7 scale): 14 answer distributions (two-point 1/7 with 1 %-50 % low answers,
  99 %/95 % top box with the rest at 6, geometric skews, uniform, binomial, bimodal);
  simulation with ``--reps`` samples.
* ``nps_test``: false-positive rate at level 5 % when both samples come from the same triple
  (28 triples from shares {0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99}), for size pairs from
  30 vs 30 to 1000 vs 1000; simulation with ``--reps`` pairs.

With 20,000 replications the Monte Carlo standard error is at most 0.16 % for a coverage near
95 % and 0.16 % for a rate near 5 %.

Run: ``python benchmarks/bench_feedback_coverage.py`` (about 4 minutes on the 2-core sandbox),
``--quick`` for a smaller run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import special, stats

from customer_models.feedback._ces import t_quantile
from customer_models.feedback._intervals import (
    adjusted_t_interval,
    binomial_interval,
    score_interval_at_z,
    z_quantile,
)
from customer_models.feedback._nps import ADJ_N, ADJ_PROMOTERS, nps_interval

CONFIDENCE = 0.95
NPS_SHARES = [0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.98, 0.99]
TEST_SHARES = [0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99]
EXACT_NPS_MAX_N = 300


def triples(shares: list[float]) -> list[tuple[float, float, float]]:
    """(promoter, passive, detractor) shares with promoter + detractor <= 1."""
    return [
        (p, max(round(1.0 - p - d, 10), 0.0), d) for p in shares for d in shares if p + d <= 1.0
    ]


def ces_distributions() -> dict[str, np.ndarray]:
    """Answer distributions on 1..7 (probabilities of 1, ..., 7)."""
    values = np.arange(1, 8)
    out: dict[str, np.ndarray] = {}
    for low in (0.01, 0.05, 0.2, 0.5):
        p = np.zeros(7)
        p[0], p[6] = low, 1.0 - low
        out[f"1|7 with {low:.0%} at 1"] = p
    for six in (0.01, 0.05):
        p = np.zeros(7)
        p[5], p[6] = six, 1.0 - six
        out[f"6|7 with {six:.0%} at 6"] = p
    for ratio in (0.1, 0.3, 0.6):
        p = ratio ** (7.0 - values)
        out[f"geometric skew {ratio}"] = p / p.sum()
    out["uniform"] = np.full(7, 1 / 7)
    out["binomial(6, 1/2) + 1"] = stats.binom.pmf(np.arange(7), 6, 0.5)
    out["bimodal 30/45 at 1/7"] = np.array([0.3, 0.05, 0.05, 0.05, 0.05, 0.05, 0.45])
    return out


def report(label: str, coverage: np.ndarray, where: list[str]) -> None:
    lo, hi = int(np.argmin(coverage)), int(np.argmax(coverage))
    print(
        f"  {label:<34s} min {coverage[lo]:.4f} at {where[lo]:<24s} "
        f"max {coverage[hi]:.4f} at {where[hi]}",
        flush=True,
    )


def csat_table(sizes: list[int]) -> None:
    shares = np.round(np.arange(0.01, 0.99 + 1e-9, 0.001), 6)
    names = [f"p={p:g}" for p in shares]
    print("CSAT: exact coverage over p = 0.010, 0.011, ..., 0.990")
    for method in ("wilson_cc", "wilson", "jeffreys", "clopper_pearson"):
        for n in sizes:
            x = np.arange(n + 1.0)
            low, high = binomial_interval(x, float(n), confidence=CONFIDENCE, method=method)
            pmf = stats.binom.pmf(x[None, :], n, shares[:, None])
            inside = (low[None, :] <= shares[:, None]) & (shares[:, None] <= high[None, :])
            report(f"{method} n={n}", (pmf * inside).sum(axis=1), names)


def _trinomial_log_pmf(pro: np.ndarray, det: np.ndarray, n: int, share: tuple) -> np.ndarray:
    p, q, d = share
    rest = n - pro - det
    return (
        special.gammaln(n + 1.0)
        - special.gammaln(pro + 1.0)
        - special.gammaln(det + 1.0)
        - special.gammaln(rest + 1.0)
        + special.xlogy(pro, p)
        + special.xlogy(det, d)
        + special.xlogy(rest, q)
    )


def nps_coverage(method: str, n: int, grid: list[tuple], reps: int, seed: int) -> np.ndarray:
    out = []
    if n <= EXACT_NPS_MAX_N:
        pro, det = np.meshgrid(np.arange(n + 1.0), np.arange(n + 1.0), indexing="ij")
        keep = pro + det <= n
        pro, det = pro[keep], det[keep]
        _, low, high = nps_interval(pro / n, det / n, n, confidence=CONFIDENCE, method=method)
        for share in grid:
            truth = share[0] - share[2]
            weight = np.exp(_trinomial_log_pmf(pro, det, n, share))
            out.append(float(np.sum(weight * ((low <= truth) & (truth <= high)))))
        return np.array(out)
    rng = np.random.default_rng(seed)
    for share in grid:
        counts = rng.multinomial(n, share, size=reps)
        key, inverse = np.unique(counts[:, 0] * (n + 1) + counts[:, 2], return_inverse=True)
        pro, det = (key // (n + 1)).astype(float), (key % (n + 1)).astype(float)
        _, low, high = nps_interval(pro / n, det / n, n, confidence=CONFIDENCE, method=method)
        truth = share[0] - share[2]
        out.append(float(np.mean(((low <= truth) & (truth <= high))[inverse.ravel()])))
    return np.array(out)


def nps_table(sizes: list[int], reps: int) -> None:
    grid = triples(NPS_SHARES)
    names = [f"({p:g},{q:g},{d:g})" for p, q, d in grid]
    print(f"NPS: coverage over {len(grid)} (promoter, passive, detractor) triples")
    for method in ("score_cc", "score", "adjusted_wald", "wald"):
        for n in sizes:
            report(f"{method} n={n}", nps_coverage(method, n, grid, reps, seed=n), names)


def ces_table(sizes: list[int], reps: int) -> None:
    dists = ces_distributions()
    names, values = list(dists), np.arange(1.0, 8.0)
    print(f"CES: simulated coverage over {len(dists)} answer distributions on 1..7")
    for method in ("adjusted_t", "t"):
        for n in sizes:
            rng = np.random.default_rng(n)
            coverage = []
            for p in dists.values():
                counts = rng.multinomial(n, p, size=reps).astype(float)
                mean = counts @ values / n
                var_ml = np.maximum(counts @ (values**2) / n - mean**2, 0.0)
                if method == "adjusted_t":
                    _, low, high = adjusted_t_interval(
                        mean, var_ml, float(n), scale=(1, 7), confidence=CONFIDENCE
                    )
                else:
                    half = t_quantile(CONFIDENCE, n - 1.0) * np.sqrt(var_ml / (n - 1.0))
                    low, high = mean - half, mean + half
                truth = float(p @ values)
                coverage.append(np.mean((low <= truth + 1e-12) & (truth - 1e-12 <= high)))
            report(f"{method} n={n}", np.array(coverage), names)


def _test_rejects(method: str, a: np.ndarray, b: np.ndarray, na: int, nb: int) -> np.ndarray:
    z = z_quantile(CONFIDENCE)
    theta_a, theta_b = (a[:, 0] - a[:, 2]) / na, (b[:, 0] - b[:, 2]) / nb
    d_hat = theta_a - theta_b
    if method == "mover":
        low_a, high_a = score_interval_at_z(a[:, 0], a[:, 2], float(na), z)
        low_b, high_b = score_interval_at_z(b[:, 0], b[:, 2], float(nb), z)
        low = d_hat - np.hypot(theta_a - low_a, high_b - theta_b)
        high = d_hat + np.hypot(high_a - theta_a, theta_b - low_b)
        return (low > 0) | (high < 0)
    variances, centers = [], []
    for counts, n in ((a, na), (b, nb)):
        if method == "adjusted_wald":
            p = (counts[:, 0] + ADJ_PROMOTERS) / (n + ADJ_N)
            d = (counts[:, 2] + ADJ_PROMOTERS) / (n + ADJ_N)
            size = n + ADJ_N
        else:
            p, d, size = counts[:, 0] / n, counts[:, 2] / n, n
        centers.append(p - d)
        variances.append(np.maximum(p + d - (p - d) ** 2, 0.0) / size)
    diff, se = centers[0] - centers[1], np.sqrt(variances[0] + variances[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, np.abs(diff) > z * se, diff != 0)


def test_table(pairs: list[tuple[int, int]], reps: int) -> None:
    grid = triples(TEST_SHARES)
    names = [f"({p:g},{q:g},{d:g})" for p, q, d in grid]
    print(f"nps_test: false-positive rate at 5 % over {len(grid)} triples (same triple twice)")
    for method in ("mover", "adjusted_wald", "wald"):
        for na, nb in pairs:
            rng = np.random.default_rng(na * 7 + nb)
            rates = []
            for share in grid:
                a = rng.multinomial(na, share, size=reps).astype(float)
                b = rng.multinomial(nb, share, size=reps).astype(float)
                rates.append(np.mean(_test_rejects(method, a, b, na, nb)))
            report(f"{method} {na} vs {nb}", np.array(rates), names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20_000, help="simulation replications")
    parser.add_argument("--quick", action="store_true", help="fewer sizes, 4,000 replications")
    args = parser.parse_args()
    reps = 4_000 if args.quick else args.reps
    sizes = [10, 30, 100, 1000] if args.quick else [10, 20, 30, 50, 100, 300, 1000, 3000, 10000]
    pairs = [(30, 30), (30, 300), (100, 100), (100, 1000), (300, 3000), (1000, 1000)]
    start = time.perf_counter()
    csat_table(sizes)
    nps_table(sizes, reps)
    ces_table([n for n in sizes if n != 50 and n != 300], reps)
    test_table(pairs[:3] if args.quick else pairs, reps)
    print(f"total {time.perf_counter() - start:.0f} s, {reps} replications per simulated point")


if __name__ == "__main__":
    main()
