"""Time the fits of the NBD and GGompertz/NBD models at 100k and 1M simulated customers.

Usage::

    python benchmarks/bench_new_models.py [--sizes 100000 1000000] [--evaluations]

Customers are simulated from the GGompertz/NBD story (Bemmaor and Glady 2012: Gamma(0.8, 6)
purchase rates per week, Gompertz lifetimes with b = 0.05 and eta ~ Gamma(1.5, 3)), first
purchases on whole days over 80 weeks and the summary in weeks of whole days, as a real log
gives it (so customers share patterns). Each model is fitted once per size in this one
process, and Pareto/NBD on the same data as the in-library reference (CLVTools, the peer with
GGompertz/NBD, is R and cannot run here; lifetimes has neither model). Prints wall seconds,
the peak of traced allocations (tracemalloc, numpy's buffers included), the ratio to the
Pareto/NBD fit, the distinct patterns, the fitted parameters and the convergence verdict.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import machine, print_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from customer_models import with_time_unit
from customer_models.valuation import ParetoNBDModel
from customer_models.valuation._ggompertz_nbd import GGompertzNBDModel
from customer_models.valuation._nbd import NegativeBinomialModel

TRUE = {"r": 0.8, "alpha": 6.0, "b": 0.05, "s": 1.5, "beta": 3.0}


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    """GGompertz/NBD customers, days rounded as a transaction log would give them."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], n)
    eta = rng.gamma(TRUE["s"], 1.0 / TRUE["beta"], n)
    tau = np.log1p(rng.exponential(size=n) / eta) / TRUE["b"]
    T = rng.integers(140, 561, n) / 7.0  # first purchase 20 to 80 weeks before the end
    active = np.minimum(tau, T)
    x = rng.poisson(lam * active)
    t_x = np.where(x > 0, active * rng.uniform(size=n) ** (1.0 / np.maximum(x, 1)), 0.0)
    t_x = np.minimum(np.round(t_x * 7.0) / 7.0, T)
    return with_time_unit(pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": T}), "W")


def fit_once(cls: type, data: pd.DataFrame) -> tuple[float, float, object]:
    tracemalloc.start()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls().fit(data)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, model


def time_evaluations(n: int) -> None:
    """One evaluation on the patterns at the true parameters, each path twice."""
    from unittest import mock

    from customer_models.valuation import _ggompertz_likelihood as lik
    from customer_models.valuation._patterns import compress_patterns

    data = simulate(n)
    patterns = compress_patterns([data[c].to_numpy() for c in ("frequency", "recency", "T")])
    params = np.array(list(TRUE.values()))
    results = {}
    for _ in range(2):
        for path in ("shared tails", "direct"):
            # the direct path is the kernel's own fallback when no tails are shared
            patch = mock.patch.object(lik, "distinct_rows", return_value=None)
            with patch if path == "direct" else contextlib.nullcontext():
                start = time.perf_counter()
                ll, grad = lik.log_likelihood_gradient_kernel(params, *patterns.columns)
                seconds = time.perf_counter() - start
            results[path] = (ll, grad)
            print(f"{n:,} customers, {ll.size:,} patterns, {path}: {seconds:.2f} s")
    (ll_s, g_s), (ll_d, g_d) = results["shared tails"], results["direct"]
    scale = np.abs(g_d).max(axis=0)
    print(
        f"largest relative difference: log-likelihood {np.max(np.abs(ll_s / ll_d - 1)):.1e}, "
        f"gradient {np.max(np.abs(g_s - g_d) / scale):.1e} of its largest per-row value"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--evaluations",
        action="store_true",
        help="time one GGompertz/NBD likelihood-and-gradient evaluation per size instead: "
        "shared tails against the direct integral per pattern",
    )
    args = parser.parse_args()
    print(machine(), "(measured under load: other agents share the machine)")
    if args.evaluations:
        for n in args.sizes:
            time_evaluations(n)
        return
    rows = []
    for n in args.sizes:
        data = simulate(n)
        patterns = len(data.drop_duplicates())
        reference = None
        for cls in (ParetoNBDModel, NegativeBinomialModel, GGompertzNBDModel):
            seconds, peak, model = fit_once(cls, data)
            if cls is ParetoNBDModel:
                reference = seconds
            rows.append(
                {
                    "customers": f"{n:,}",
                    "patterns": f"{patterns:,}",
                    "model": cls.__name__,
                    "fit s": f"{seconds:.2f}",
                    "x Pareto/NBD": f"{seconds / reference:.2f}",
                    "peak MiB": f"{peak:.0f}",
                    "log-lik": f"{model.log_likelihood_:.1f}",
                    "params": " ".join(f"{v:.3g}" for v in model.params_),
                    "converged": model.convergence_.success,
                }
            )
            print_table(rows[-1:])
            sys.stdout.flush()
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
