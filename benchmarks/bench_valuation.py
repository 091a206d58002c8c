"""Time customer_models' valuation fits against lifetimes on the same simulated customers.

Usage::

    python benchmarks/bench_valuation.py --sizes 100000 1000000 [--skip-lifetimes-pareto-above N]
        [--skip-lifetimes] [--data-dir DIR]

For each size: one summary (weeks) of ``make_transactions(n)``; BG/NBD, Pareto/NBD and
Gamma-Gamma fitted by both libraries in this process. Prints fit seconds (one run each,
wall clock), the speed-up, the relative difference of the two optima's log-likelihoods
(both evaluated with our kernel, which matches lifetimes' to 1e-6), and the peak resident
memory above the baseline during each fit (sampled in a thread, so it does not slow the
fit). Then times ``probability_alive`` + ``expected_purchases`` on the largest size.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _common import PeakRSS, machine, print_table

import customer_models as cm
from customer_models.valuation import BetaGeoModel, GammaGammaModel, ParetoNBDModel


def summary_weeks(n: int, seed: int, data_dir: str | None = None) -> pd.DataFrame:
    """Customer summary in weeks (frequency, recency, T, monetary_value) of n customers.

    With ``data_dir`` the summary is read from ``data_dir/summary_{n}_{seed}.pkl`` when that
    file exists, and written there otherwise: a run of another version of the library (e.g.
    from a git worktree of an older commit) then fits exactly the same customers.
    """
    path = None if data_dir is None else os.path.join(data_dir, f"summary_{n}_{seed}.pkl")
    if path is not None and os.path.exists(path):
        return pd.read_pickle(path)
    tx = cm.make_transactions(n, random_state=seed)
    summary = cm.rfm_summary(tx, value_col="amount", time_unit="W", observation_end="2025-12-31")
    summary = summary.reset_index(drop=True)
    if path is not None:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)  # a new --data-dir is made
        summary.to_pickle(path)
    return summary


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """Result, wall seconds, CPU seconds (user + system) and peak extra resident MiB of one call.

    The CPU seconds are what a before/after comparison on a shared machine can rely on: wall
    time also counts the waits for a core.
    """
    with PeakRSS() as mem:
        cpu = os.times()
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
        end = os.times()
    cpu_seconds = (end.user - cpu.user) + (end.system - cpu.system)
    return result, seconds, cpu_seconds, mem.peak_above_baseline_mb


def fit_lifetimes(name: str, data: pd.DataFrame) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes

        if name == "Gamma-Gamma":
            return lifetimes.GammaGammaFitter().fit(
                data["frequency"].to_numpy(float), data["monetary_value"].to_numpy(float)
            )
        fitter = {"BG/NBD": lifetimes.BetaGeoFitter, "Pareto/NBD": lifetimes.ParetoNBDFitter}
        arrays = (data[c].to_numpy(float) for c in ("frequency", "recency", "T"))
        return fitter[name]().fit(*arrays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument(
        "--skip-lifetimes-pareto-above",
        type=int,
        default=None,
        help="skip lifetimes' Pareto/NBD fit (about 380 s at 1M) above this many customers",
    )
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--data-dir",
        default=None,
        help="read the summaries from here if saved, else save them (same data across versions)",
    )
    args = parser.parse_args()

    print(machine())
    models = {"BG/NBD": BetaGeoModel, "Pareto/NBD": ParetoNBDModel, "Gamma-Gamma": GammaGammaModel}
    rows = []
    for n in args.sizes:
        data = summary_weeks(n, args.seed, args.data_dir)
        repeat = data[data["frequency"] > 0]
        for name, ours_cls in models.items():
            fit_data = repeat if name == "Gamma-Gamma" else data
            ours, s_ours, cpu_ours, mem_ours = timed(lambda c=ours_cls, d=fit_data: c().fit(d))
            row = {
                "customers": f"{n:,}",
                "model": name,
                "ours_s": f"{s_ours:.3f}",
                "ours_cpu_s": f"{cpu_ours:.3f}",
                "lifetimes_s": "-",
                "speed-up": "-",
                "LL_rel_diff": "-",
                "ours_peak_MiB": f"{mem_ours:.0f}",
                "lifetimes_peak_MiB": "-",
            }
            skip = args.skip_lifetimes or (
                name == "Pareto/NBD"
                and args.skip_lifetimes_pareto_above is not None
                and n > args.skip_lifetimes_pareto_above
            )
            if not skip:
                theirs, s_theirs, _, mem_theirs = timed(
                    lambda m=name, d=fit_data: fit_lifetimes(m, d)
                )
                ll_theirs = ours_cls.from_params(**theirs.params_.to_dict()).log_likelihood(
                    fit_data
                )
                rel = abs(ours.log_likelihood_ - ll_theirs) / abs(ll_theirs)
                row.update(
                    {
                        "lifetimes_s": f"{s_theirs:.2f}",
                        "speed-up": f"{s_theirs / s_ours:.1f}x",
                        "LL_rel_diff": f"{rel:.1e}",
                        "lifetimes_peak_MiB": f"{mem_theirs:.0f}",
                    }
                )
            rows.append(row)
            print(row, flush=True)
    print()
    print_table(rows)

    n = max(args.sizes)
    data = summary_weeks(n, args.seed + 1)
    bgnbd = BetaGeoModel.from_params(r=0.5, alpha=4.0, a=0.8, b=2.5)
    pareto = ParetoNBDModel.from_params(r=0.5, alpha=4.0, s=0.8, beta=10.0)
    print()
    for label, model in (("BG/NBD", bgnbd), ("Pareto/NBD", pareto)):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            alive = model.probability_alive(data)
            expected = model.expected_purchases(data, t=52)
            times.append(time.perf_counter() - start)
        assert np.isfinite(alive).all()
        assert np.isfinite(expected).all()
        print(
            f"scoring {n:,} customers ({label}: probability_alive + expected_purchases(t=52)): "
            f"median of 3 {sorted(times)[1]:.3f} s"
        )


if __name__ == "__main__":
    main()
