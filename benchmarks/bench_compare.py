"""How often does compare_models rank the true model first? (issue 19 item 2).

Simulates calibration (T uniform on 26-39 weeks) and a 39-week holdout from each model's own
generative process (BG/NBD, MBG/NBD, Pareto/NBD), fits all three candidates with
``compare_models`` and counts how often the generating model has the best (lowest) holdout
log score. Prints one row per generating model: replications, customers, share ranked first,
and the mean margin (log score of the best wrong candidate minus the true model's).

    python benchmarks/bench_compare.py              # 20 replications x 2,000 customers
    python benchmarks/bench_compare.py 5 1000       # quicker
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

from customer_models.evaluation._compare import compare_models
from customer_models.exceptions import ConvergenceWarning
from customer_models.valuation import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

#: Generating parameters (weeks): purchase rate Gamma(0.5, 4), dropout as each model has it.
TRUE = {
    "BetaGeoModel": ("bgnbd", {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}),
    "ModifiedBetaGeoModel": ("mbgnbd", {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}),
    "ParetoNBDModel": ("pareto", {"r": 0.5, "alpha": 4.0, "s": 1.5, "beta": 20.0}),
}


def simulate_holdout(
    n: int, params: dict[str, float], model: str, *, t_holdout: float = 39.0, seed: int = 0
) -> pd.DataFrame:
    """Calibration summary and holdout counts from the model's story (continuous time)."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(26.0, 39.0, n)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    end = T + t_holdout
    if model == "pareto":
        mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
        tau = rng.exponential(1.0, n) / mu
        span = np.minimum(tau, T)
        x = rng.poisson(lam * span).astype(np.float64)
        t_x = np.where(x > 0, span * rng.uniform(size=n) ** (1.0 / np.maximum(x, 1)), 0.0)
        x_hold = rng.poisson(lam * np.clip(np.minimum(tau, end) - T, 0.0, None))
    else:
        p = rng.beta(params["a"], params["b"], n)
        x, t_x, x_hold = np.zeros(n), np.zeros(n), np.zeros(n)
        alive = np.ones(n, dtype=bool) if model == "bgnbd" else rng.uniform(size=n) >= p
        active = np.flatnonzero(alive)
        clock = np.zeros(active.size)
        while active.size:
            clock = clock + rng.exponential(1.0, active.size) / lam[active]
            bought = clock < end[active]
            calib = bought & (clock < T[active])
            x[active[calib]] += 1
            t_x[active[calib]] = clock[calib]
            x_hold[active[bought & ~calib]] += 1
            keep = bought & (rng.uniform(size=active.size) >= p[active])
            active, clock = active[keep], clock[keep]
    out = pd.DataFrame(
        {
            "frequency": x.astype(np.int64),
            "recency": t_x,
            "T": T,
            "frequency_holdout": np.asarray(x_hold, dtype=np.int64),
            "duration_holdout": np.full(n, t_holdout),
        }
    )
    out.attrs["time_unit"] = "W"
    return out


def main(argv: list[str]) -> None:
    reps = int(argv[0]) if argv else 20
    n = int(argv[1]) if len(argv) > 1 else 2000
    candidates = [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel]
    print(
        f"{'generating model':<22}{'reps':>5}{'customers':>10}{'first':>8}{'share':>8}"
        f"{'margin':>10}{'seconds':>9}"
    )
    for true_name, (process, params) in TRUE.items():
        first, margins = 0, []
        start = time.perf_counter()
        for rep in range(reps):
            data = simulate_holdout(n, params, process, seed=1000 + rep)
            with warnings.catch_warnings():
                # a wrong candidate often fits to a ridge; the table records it
                warnings.simplefilter("ignore", ConvergenceWarning)
                table = compare_models(candidates, data).table
            scores = table["holdout_log_score"]
            first += int(table.index[0] == true_name)
            wrong = scores.drop([true_name, "baseline (same rate)"])
            margins.append(float(wrong.min() - scores[true_name]))
        seconds = time.perf_counter() - start
        print(
            f"{true_name:<22}{reps:>5}{n:>10}{first:>8}{first / reps:>8.2f}"
            f"{np.mean(margins):>10.4f}{seconds:>9.1f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
