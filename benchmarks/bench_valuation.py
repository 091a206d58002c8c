"""Time customer_models' valuation fits against lifetimes on the same simulated customers.

Usage::

    python benchmarks/bench_valuation.py --sizes 100000 1000000 [--skip-lifetimes-pareto]

Prints, per size and model, fit seconds for both libraries, the speed-up, the relative
difference of the log-likelihoods at the two optima, and peak traced memory; then times
probability_alive + expected_purchases on the largest size.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

import customer_models as cm
from customer_models.valuation import BetaGeoModel, ParetoNBDModel


def summary_weeks(n: int, seed: int) -> pd.DataFrame:
    tx = cm.make_transactions(n, random_state=seed)
    days = tx[["customer_id", "date"]].drop_duplicates()
    g = days.groupby("customer_id")["date"]
    first, last, count = g.min(), g.max(), g.size()
    end = pd.Timestamp("2025-12-31")
    out = pd.DataFrame(
        {
            "frequency": (count - 1).to_numpy(np.int64),
            "recency": ((last - first).dt.days / 7.0).to_numpy(),
            "T": ((end - first).dt.days / 7.0).to_numpy(),
        }
    )
    out["monetary_value"] = tx.groupby("customer_id")["amount"].mean().to_numpy()
    return out


def timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--skip-lifetimes-pareto", action="store_true")
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes

    rows = []
    for n in args.sizes:
        data = summary_weeks(n, args.seed)
        x, t_x, T = (data[c].to_numpy(float) for c in ("frequency", "recency", "T"))
        specs = [
            ("BG/NBD", BetaGeoModel, lifetimes.BetaGeoFitter, args.skip_lifetimes),
            (
                "Pareto/NBD",
                ParetoNBDModel,
                lifetimes.ParetoNBDFitter,
                args.skip_lifetimes or args.skip_lifetimes_pareto,
            ),
        ]
        for name, ours_cls, theirs_cls, skip in specs:
            ours, s_ours, mem_ours = timed(lambda c=ours_cls, d=data: c().fit(d))
            ll_ours = ours.log_likelihood_
            s_theirs = ll_theirs = mem_theirs = float("nan")
            if not skip:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    theirs, s_theirs, mem_theirs = timed(
                        lambda c=theirs_cls, a=(x, t_x, T): c().fit(*a)
                    )
                # evaluate lifetimes' optimum with our (verified identical) kernel
                ll_theirs = ours_cls.from_params(**theirs.params_.to_dict()).log_likelihood(data)
            rows.append(
                (
                    n,
                    name,
                    s_ours,
                    s_theirs,
                    s_theirs / s_ours,
                    abs(ll_ours - ll_theirs) / abs(ll_theirs),
                    mem_ours,
                    mem_theirs,
                )
            )
        try:
            from customer_models.valuation import GammaGammaModel
        except ImportError:
            GammaGammaModel = None
        if GammaGammaModel is not None:
            rep = data[data["frequency"] > 0]
            gg, s_ours, mem_ours = timed(lambda rep=rep, g=GammaGammaModel: g().fit(rep))
            s_theirs = mem_theirs = float("nan")
            rel = float("nan")
            if not args.skip_lifetimes:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    th, s_theirs, mem_theirs = timed(
                        lambda rep=rep: lifetimes.GammaGammaFitter().fit(
                            rep["frequency"].to_numpy(), rep["monetary_value"].to_numpy()
                        )
                    )
                ll_th = GammaGammaModel.from_params(**th.params_.to_dict()).log_likelihood(rep)
                rel = abs(gg.log_likelihood_ - ll_th) / abs(ll_th)
            rows.append(
                (n, "Gamma-Gamma", s_ours, s_theirs, s_theirs / s_ours, rel, mem_ours, mem_theirs)
            )

    table = pd.DataFrame(
        rows,
        columns=[
            "customers",
            "model",
            "ours_s",
            "lifetimes_s",
            "speedup",
            "ll_rel_diff",
            "ours_peak_MiB",
            "lifetimes_peak_MiB",
        ],
    )
    with pd.option_context("display.width", 160, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))

    n = max(args.sizes)
    data = summary_weeks(n, args.seed + 1)
    model = BetaGeoModel.from_params(r=0.5, alpha=4.0, a=0.8, b=2.5)
    pareto = ParetoNBDModel.from_params(r=0.5, alpha=4.0, s=0.8, beta=10.0)
    for label, m in (("BG/NBD", model), ("Pareto/NBD", pareto)):
        t0 = time.perf_counter()
        m.probability_alive(data)
        m.expected_purchases(data, t=52)
        print(
            f"scoring {n:,} customers ({label}: probability_alive + expected_purchases): "
            f"{time.perf_counter() - t0:.3f} s"
        )


if __name__ == "__main__":
    main()
