"""Time Pareto/NBD fits near the low-dropout boundary against the CDNOW-like regime.

Usage::

    python benchmarks/bench_pareto_fit.py [--sizes 20000 200000] [--repeats 2]
        [--lifetimes-sizes 20000]

Customers are simulated from the Pareto/NBD story (continuous time, weeks, T uniform on
27-39 weeks, so nearly every customer is its own pattern): CDNOW-like parameters
(r=0.55, alpha=10.6, s=0.61, beta=11.7) and low dropout (s=2, beta=800, the same purchase
process). The fits run interleaved in this one process (for each repeat: every size, both
regimes), then once more each under ``tracemalloc`` for the peak of traced allocations (numpy
reports its buffers to it). Prints the median wall seconds, the low-dropout / CDNOW-like ratio
per size, the fitted parameters and the convergence verdict; lifetimes' ParetoNBDFitter is
timed on the sizes of ``--lifetimes-sizes`` when it is installed (its log-likelihood at its
optimum is evaluated with our kernel, to compare the optima).
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
import warnings
from typing import Any

import numpy as np
import pandas as pd
from _common import machine, print_table

from customer_models.valuation import ParetoNBDModel

REGIMES = {
    "CDNOW-like": {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7},
    "low dropout": {"r": 0.55, "alpha": 10.6, "s": 2.0, "beta": 800.0},
}


def simulate(n: int, params: dict[str, float], seed: int) -> pd.DataFrame:
    """(frequency, recency, T) of n Pareto/NBD customers, T uniform on 27-39 weeks."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(27.0, 39.0, n)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
    end = np.minimum(rng.exponential(1.0, n) / mu, T)  # exponential lifetime, seen until T
    x = rng.poisson(lam * end)
    t_x = np.where(x > 0, end * rng.uniform(size=n) ** (1.0 / np.maximum(x, 1)), 0.0)
    out = pd.DataFrame({"frequency": x, "recency": t_x, "T": T})
    out.attrs["time_unit"] = "W"
    return out


def fit_ours(data: pd.DataFrame) -> ParetoNBDModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the verdict is printed from convergence_
        model = ParetoNBDModel().fit(data)
    assert isinstance(model, ParetoNBDModel)
    return model


def fit_lifetimes(data: pd.DataFrame) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import ParetoNBDFitter

        arrays = (data[c].to_numpy(float) for c in ("frequency", "recency", "T"))
        return ParetoNBDFitter().fit(*arrays)


def seconds(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_mib(fn: Any) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def has_lifetimes() -> bool:
    try:
        import lifetimes  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--lifetimes-sizes", type=int, nargs="*", default=[20_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    data = {
        (name, n): simulate(n, params, args.seed)
        for name, params in REGIMES.items()
        for n in args.sizes
    }
    with_lifetimes = has_lifetimes()
    jobs: dict[tuple[str, str, int], Any] = {}
    for (name, n), frame in data.items():
        jobs[("ours", name, n)] = lambda f=frame: fit_ours(f)
        if with_lifetimes and n in args.lifetimes_sizes:
            jobs[("lifetimes", name, n)] = lambda f=frame: fit_lifetimes(f)
    times: dict[tuple[str, str, int], list[float]] = {key: [] for key in jobs}
    fitted: dict[tuple[str, str, int], Any] = {}
    for _ in range(args.repeats):  # interleaved: load changes hit every job alike
        for key, job in jobs.items():
            elapsed, fitted[key] = seconds(job)
            times[key].append(elapsed)
            print(key, f"{elapsed:.2f} s", flush=True)
    rows = []
    for (lib, name, n), job in jobs.items():
        median = statistics.median(times[(lib, name, n)])
        base = statistics.median(times[("ours", "CDNOW-like", n)])
        model = fitted[(lib, name, n)]
        params = model.params_ if lib == "ours" else pd.Series(model.params_)
        ll = ParetoNBDModel.from_params(**params.to_dict()).log_likelihood(data[(name, n)])
        verdict = model.convergence_.success if lib == "ours" else "-"
        boundary = ",".join(model.convergence_.at_boundary) if lib == "ours" else "-"
        rows.append(
            {
                "library": lib,
                "regime": name,
                "customers": f"{n:,}",
                "median_s": f"{median:.2f}",
                "vs_ours_CDNOW_like": f"{median / base:.2f}x",
                "peak_MiB": f"{peak_mib(job):.0f}",
                "r, alpha, s, beta": ", ".join(f"{v:.4g}" for v in params),
                "log_lik": f"{ll:.4f}",
                "converged": verdict,
                "at_boundary": boundary or "-",
            }
        )
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
