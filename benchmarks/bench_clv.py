"""CLV speed: customer_models vs lifetimes on a simulated 1M-customer summary.

Both libraries get the same BG/NBD parameters, the same summary (numpy arrays for lifetimes)
and the same spend per customer; the horizon is 12 months with lifetimes' month (4.345 weeks
for a weekly model), discrete monthly discounting at 1% per month.

Run: ``python benchmarks/bench_clv.py [n_customers]`` (default 1,000,000).
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from customer_models import make_transactions, rfm_summary
from customer_models.valuation import BetaGeoModel
from customer_models.valuation._clv import customer_lifetime_value

PARAMS = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}  # weeks, the simulator's defaults


def _timed(func):  # type: ignore[no-untyped-def]
    """Wall time of one call, then peak traced memory of a second call (tracemalloc slows)."""
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


def main(n_customers: int = 1_000_000) -> None:
    tx = make_transactions(n_customers, random_state=0)
    summary = rfm_summary(tx, value_col="amount", freq="D", time_unit="W")
    spend = pd.Series(summary["monetary_value"].to_numpy() + 10.0, index=summary.index)
    model = BetaGeoModel.from_params(time_unit="W", **PARAMS)
    input_mb = summary[["frequency", "recency", "T"]].memory_usage(deep=True).sum() / 2**20

    ours, t_ours, mem_ours = _timed(
        lambda: customer_lifetime_value(
            model, spend, summary, horizon=12, horizon_unit="4.345W", discount_rate=0.01
        )
    )
    rows = [("customer_models", t_ours, mem_ours)]
    try:
        from lifetimes import BetaGeoFitter
        from lifetimes.utils import _customer_lifetime_value
    except ImportError:  # pragma: no cover - the peer is optional
        print("lifetimes not installed: only customer_models timed")
    else:
        bg = BetaGeoFitter()
        bg.params_ = pd.Series(PARAMS)
        bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
        x = summary["frequency"].astype(float)
        t_x = summary["recency"]
        T = summary["T"]
        theirs, t_lt, mem_lt = _timed(
            lambda: _customer_lifetime_value(
                bg, x, t_x, T, spend, time=12, discount_rate=0.01, freq="W"
            )
        )
        diff = float(np.max(np.abs(theirs.to_numpy() - ours.to_numpy())))
        rows.append(("lifetimes 0.11.3", t_lt, mem_lt))
        print(f"max |difference| = {diff:.2e}")
    print(f"{len(summary):,} customers, 12-month horizon, input {input_mb:.0f} MB")
    print("| library | seconds | ratio | peak traced memory (MB) |")
    print("|---|---:|---:|---:|")
    for name, seconds, peak in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / t_ours:.1f} | {peak:.0f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
