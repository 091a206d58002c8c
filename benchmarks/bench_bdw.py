"""Benchmark: BdW fit vs sBG fit at 100k and 1M simulated customers, one process.

Run: ``python benchmarks/bench_bdw.py``. Prints fit times, the BdW/sBG ratio and the peak
traced memory of each fit (tracemalloc). Data: durations simulated from BdW(0.8, 2.0, 0.7)
and observed for 12 periods (the fit compresses identical rows into weighted patterns, so
most of the time is that compression). pymc-marketing's BdW is not installed here: not run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _common import traced

from customer_models.valuation._bdw import BetaDiscreteWeibullModel
from customer_models.valuation._sbg import ShiftedBetaGeoModel


def simulate(n: int, a: float, b: float, c: float, horizon: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    theta = rng.beta(a, b, size=n)
    x = np.log(rng.uniform(size=n)) / np.log1p(-theta)
    life = np.maximum(np.ceil(x ** (1.0 / c)), 1.0)
    churned = life <= horizon
    return pd.DataFrame(
        {
            "duration": np.where(churned, life, horizon).astype(np.int64),
            "churned": churned.astype(np.int64),
        }
    )


def timed(cls: type, data: pd.DataFrame) -> tuple[float, float, object]:
    return traced(lambda: cls().fit(data))


def main() -> None:
    print("| customers | BdW fit s | sBG fit s | ratio | BdW peak MiB | sBG peak MiB | input MiB |")
    print("|---|---|---|---|---|---|---|")
    for n in (100_000, 1_000_000):
        data = simulate(n, 0.8, 2.0, 0.7, 12, seed=n)
        t_b, m_b, bdw = timed(BetaDiscreteWeibullModel, data)
        t_s, m_s, _ = timed(ShiftedBetaGeoModel, data)
        est = np.asarray(bdw.params_)  # type: ignore[attr-defined]
        assert np.allclose(est, [0.8, 2.0, 0.7], rtol=0.15), est  # recovers the truth
        size = data.memory_usage(deep=True).sum() / 2**20
        row = [f"{n:,}", f"{t_b:.3f}", f"{t_s:.3f}", f"{t_b / t_s:.2f}"]
        row += [f"{m_b:.1f}", f"{m_s:.1f}", f"{size:.1f}"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
