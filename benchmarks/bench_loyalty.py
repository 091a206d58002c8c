"""Benchmark LoyaltyProgram.tiers_at on ~1M customers / ~10M transactions.

Run:  python benchmarks/bench_loyalty.py [--customers 1000000] [--repeat 1]

The table is simulated with customer_models.make_transactions (BG/NBD + Gamma-Gamma; purchase
rate raised so a customer makes about ten transactions over two years), plus a ``channel``
column (30% "app", categorical) and 2% refund rows (negative amounts). The script prints, for
each program, the wall time of ``evaluate`` and the peak resident memory while it ran
(sampled every 5 ms with psutil by ``_common.PeakRSS``), against the memory the input table
itself takes.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _common import PeakRSS, parse_size_and_repeat

import customer_models as cm
from customer_models.loyalty import LoyaltyProgram

TIERS = [("Base", 0), ("Silver", 500), ("Gold", 2000), ("Platinum", 5000)]


def make_table(n_customers: int, seed: int = 0) -> pd.DataFrame:
    params = {"r": 1.4, "alpha": 4.0, "a": 0.8, "b": 4.0}
    tx = cm.make_transactions(n_customers, params=params, random_state=seed)
    rng = np.random.default_rng(seed)
    n = len(tx)
    tx["channel"] = pd.Categorical.from_codes(
        (rng.random(n) < 0.3).astype(np.int8), categories=["store", "app"]
    )
    refund = rng.random(n) < 0.02
    tx.loc[refund, "amount"] = -tx.loc[refund, "amount"] * 0.5
    return tx


def main() -> None:
    args = parse_size_and_repeat("customers", 1_000_000, 1)

    t0 = time.perf_counter()
    tx = make_table(args.customers)
    gen = time.perf_counter() - t0
    n_cust = tx["customer_id"].nunique()
    input_mb = tx.memory_usage(deep=True).sum() / 2**20
    print(
        f"input: {len(tx):,} transactions, {n_cust:,} customers, {input_mb:,.0f} MiB "
        f"(simulated in {gen:.1f} s)"
    )
    programs = {
        "calendar year, yearly review, 12-month expiry, app x2": LoyaltyProgram(
            TIERS, window="YS", multipliers={"channel": {"app": 2.0}}, expiry_months=12
        ),
        "rolling 365D, quarterly review, grace 1 + soft landing, expiry": LoyaltyProgram(
            TIERS,
            window="365D",
            review="QS",
            grace_periods=1,
            soft_landing=True,
            multipliers={"channel": {"app": 2.0}},
            expiry_months=12,
        ),
        "rolling 365D, monthly review, qualifying on visits": LoyaltyProgram(
            [("Base", 0), ("Regular", 4), ("VIP", 12)],
            qualifying="visits",
            window="365D",
            review="MS",
        ),
    }
    print()
    print("| program | evaluate (s) | peak RSS during evaluate (MiB above input) |")
    print("|---|---:|---:|")
    as_of = "2025-12-31"
    for name, program in programs.items():
        best = np.inf
        for _ in range(args.repeat):
            with PeakRSS() as mem:
                t0 = time.perf_counter()
                result = program.tiers_at(tx, as_of=as_of)
                best = min(best, time.perf_counter() - t0)
            extra = mem.peak_above_baseline_mb
        print(f"| {name} | {best:.2f} | {extra:,.0f} |")
        tiers = result["tier"].value_counts(sort=False)
        print("|  tiers: " + ", ".join(f"{k} {v:,}" for k, v in tiers.items()) + " | | |")
    shuffled = tx.sample(frac=1.0, random_state=1)
    program = next(iter(programs.values()))
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        program.tiers_at(shuffled, as_of=as_of)
        took = time.perf_counter() - t0
    print(
        f"| calendar year program on the same rows shuffled (adds the sort) | {took:.2f} | "
        f"{mem.peak_above_baseline_mb:,.0f} |"
    )


if __name__ == "__main__":
    main()
