"""Benchmark: transactions -> customer summary, ours against DuckDB, polars, pandas, lifetimes.

The log comes from an independent generator (not ``make_transactions``): purchase times at
second resolution, customers in random row order, integer ids. Every peer computes frequency,
recency, T and monetary_value with daily periods from the same table in one process; each
result is checked against ours before it is timed. Runs are interleaved (ours, peer, ours,
peer ...) so that a busy machine slows all of them alike; the table shows medians.

The floor is what any sort-based summary must do: code the customer ids (hashing), code the
days, pack (customer, day) into an int64 key and sort it.

Run:  python benchmarks/bench_summary.py --sizes 100000 300000 1000000 3000000 10000000
Scaling (issue #12: 10M at most 12x the 1M time), the integrator's command:
      python benchmarks/bench_summary.py --sizes 1000000 10000000 --repeat 5 --skip lifetimes pandas
It prints, for every implementation, the ratio of its median time at the largest size to
the smallest, and the load average before and after (measure on an idle machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from _common import PeakRSS, machine, print_table

from customer_models import rfm_summary

CORE = ["frequency", "recency", "T", "monetary_value"]
US_PER_DAY = 86_400 * 10**6


def independent_log(n_customers: int, seed: int = 0) -> pd.DataFrame:
    """Poisson purchase counts, uniform times over two years at second resolution, shuffled."""
    rng = np.random.default_rng(seed)
    counts = 1 + rng.poisson(rng.gamma(0.6, 6.0, n_customers))
    ids = np.repeat(np.arange(n_customers, dtype=np.int64), counts)
    start = np.datetime64("2022-01-01T00:00:00", "s").astype(np.int64)
    first = start + rng.integers(0, 365 * 86_400, n_customers)
    offsets = rng.integers(0, 365 * 86_400, ids.size)
    offsets[np.r_[0, np.cumsum(counts)[:-1]]] = 0  # the first purchase at `first`
    seconds = np.repeat(first, counts) + offsets
    order = rng.permutation(ids.size)
    return pd.DataFrame(
        {
            "customer_id": ids[order],
            "date": seconds[order].astype("datetime64[s]").astype("datetime64[us]"),
            "amount": rng.gamma(2.0, 20.0, ids.size).round(2)[order],
        }
    )


def check_same(
    result: pd.DataFrame, reference: pd.DataFrame, columns: list[str], name: str, atol: float
) -> None:
    """Refuse a result that disagrees with the reference on any of ``columns`` (its customers)."""
    aligned = result.loc[reference.index]
    for column in columns:
        np.testing.assert_allclose(
            aligned[column].to_numpy(float),
            reference[column].to_numpy(float),
            rtol=1e-9,
            atol=atol,
            err_msg=f"{name} disagrees on {column}",
        )


def ours(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    return rfm_summary(tx, value_col="amount", observation_end=end)[CORE]


def sort_floor(tx: pd.DataFrame, end: pd.Timestamp) -> None:
    """Code the customers (hashing, as for any id type), the days, and sort the packed keys."""
    codes, _ = pd.factorize(tx["customer_id"])
    day = tx["date"].to_numpy().view(np.int64) // US_PER_DAY
    day = day - day.min()
    np.sort(codes.astype(np.int64) * (int(day.max()) + 1) + day)


def plain_pandas(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """The idiomatic pandas groupby a data scientist would write."""
    days = tx.assign(day=tx["date"].dt.floor("D"))
    per_day = days.groupby(["customer_id", "day"], sort=False)["amount"].sum().reset_index()
    per_day = per_day.sort_values(["customer_id", "day"])
    g = per_day.groupby("customer_id")
    first = g["day"].transform("min")
    repeat_value = per_day["amount"].where(per_day["day"] != first, 0.0)
    out = pd.DataFrame(
        {
            "frequency": g.size() - 1,
            "recency": (g["day"].max() - g["day"].min()).dt.days.astype(float),
            "T": (end.floor("D") - g["day"].min()).dt.days.astype(float),
            "repeat_value": repeat_value.groupby(per_day["customer_id"]).sum(),
        }
    )
    out["monetary_value"] = (out["repeat_value"] / out["frequency"]).where(
        out["frequency"] > 0, 0.0
    )
    return out[CORE]


def lifetimes_summary(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(
        tx, "customer_id", "date", monetary_value_col="amount", observation_period_end=end
    )[CORE]


DUCKDB_SQL = """
SELECT customer_id,
       count(*) - 1 AS frequency,
       CAST(date_diff('day', min(day), max(day)) AS DOUBLE) AS recency,
       CAST(date_diff('day', min(day), DATE '{end}') AS DOUBLE) AS T,
       coalesce((sum(v) - arg_min(v, day)) / nullif(count(*) - 1, 0), 0) AS monetary_value
FROM (SELECT customer_id, CAST(date AS DATE) AS day, sum(amount) AS v
      FROM tx WHERE CAST(date AS DATE) <= DATE '{end}' GROUP BY ALL)
GROUP BY customer_id ORDER BY customer_id
"""


def duckdb_summary(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    con.register("tx", tx)
    out = con.execute(DUCKDB_SQL.format(end=end.date())).df().set_index("customer_id")
    con.close()
    return out


def polars_summary(frame: object, end: pd.Timestamp) -> pd.DataFrame:
    """polars' lazy group_by on a native polars frame (converted once, outside the timing)."""
    import polars as pl

    per_day = (
        frame.lazy()
        .group_by("customer_id", pl.col("date").dt.date().alias("day"))
        .agg(pl.col("amount").sum().alias("v"))
    )
    out = (
        per_day.group_by("customer_id")
        .agg(
            (pl.len() - 1).alias("frequency"),
            (pl.col("day").max() - pl.col("day").min())
            .dt.total_days()
            .cast(pl.Float64)
            .alias("recency"),
            (pl.lit(end.date()) - pl.col("day").min()).dt.total_days().cast(pl.Float64).alias("T"),
            (pl.col("v").sum() - pl.col("v").sort_by("day").first()).alias("repeat"),
        )
        .with_columns(
            pl.when(pl.col("frequency") > 0)
            .then(pl.col("repeat") / pl.col("frequency"))
            .otherwise(0.0)
            .alias("monetary_value")
        )
        .sort("customer_id")
        .collect()
    )
    return out.to_pandas().set_index("customer_id")[CORE]


def run_size(
    n: int, repeat: int, skip: list[str]
) -> tuple[list[dict[str, object]], dict[str, float]]:
    tx = independent_log(n)
    end = tx["date"].max()
    input_mb = tx.memory_usage(deep=True).sum() / 2**20
    print(f"\n{n:,} customers, {len(tx):,} transactions, input {input_mb:.0f} MiB")
    import polars as pl

    frame = pl.from_pandas(tx)
    peers: dict[str, Callable[[], object]] = {
        "customer_models.rfm_summary": lambda: ours(tx, end),
        "floor: code + sort (customer, day) keys": lambda: sort_floor(tx, end),
        "polars lazy (native frame)": lambda: polars_summary(frame, end),
        "DuckDB SQL": lambda: duckdb_summary(tx, end),
        "plain pandas groupby": lambda: plain_pandas(tx, end),
        "lifetimes": lambda: lifetimes_summary(tx, end),
    }
    peers = {k: v for k, v in peers.items() if not any(s.lower() in k.lower() for s in skip)}
    reference = ours(tx, end)
    peaks: dict[str, float] = {}
    for name, fn in peers.items():  # check answers, measure peak memory once each
        with PeakRSS() as mem:
            result = fn()
        peaks[name] = mem.peak_above_baseline_mb
        if isinstance(result, pd.DataFrame):
            check_same(result, reference, CORE, name, atol=1e-6)
    times: dict[str, list[float]] = {name: [] for name in peers}
    for _ in range(repeat):  # interleaved
        for name, fn in peers.items():
            if name == "lifetimes" and times[name]:
                continue
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    ours_s = statistics.median(times["customer_models.rfm_summary"])
    rows = []
    for name in peers:
        median = statistics.median(times[name])
        rows.append(
            {
                "customers": f"{n:,}",
                "rows": f"{len(tx):,}",
                "implementation": name,
                "runs": len(times[name]),
                "median s": f"{median:.3f}",
                "vs ours": f"{median / ours_s:.2f}x",
                "peak extra MiB": f"{peaks[name]:.0f}",
                "peak / input": f"{peaks[name] / input_mb:.2f}",
            }
        )
    print_table(rows)
    return rows, {name: statistics.median(times[name]) for name in peers}


def print_scaling(medians: dict[int, dict[str, float]]) -> None:
    """Ratio of each implementation's median at the largest size to the smallest."""
    small, large = min(medians), max(medians)
    if small == large:
        return
    print(f"\nscaling {large:,} / {small:,} customers (issue #12 asks ours <= 12x from 1M to 10M):")
    print_table(
        [
            {
                "implementation": name,
                f"{small:,} s": f"{medians[small][name]:.3f}",
                f"{large:,} s": f"{medians[large][name]:.3f}",
                "ratio": f"{medians[large][name] / medians[small][name]:.1f}x",
            }
            for name in medians[small]
            if name in medians[large]
        ]
    )


def ours_alone(sizes: list[int], repeat: int) -> None:
    """Ours only, the sizes alternating ``repeat`` times: the scaling ratio with its spread.

    Between two runs of this VM the ratio of one run's medians moved from 9.9x to 15x with
    the same code; alternating the sizes in one process many times gives a steadier ratio.
    """
    logs = {n: independent_log(n) for n in sizes}
    times: dict[int, list[float]] = {n: [] for n in sizes}
    for tx in logs.values():  # warm-up, untimed
        ours(tx, tx["date"].max())
    for _ in range(repeat):
        for n, tx in logs.items():
            end = tx["date"].max()
            start = time.perf_counter()
            ours(tx, end)
            times[n].append(time.perf_counter() - start)
    print(f"\nours alone, sizes alternating, {repeat} runs each:")
    rows = []
    for n in sizes:
        q1, q2, q3 = statistics.quantiles(times[n], n=4)
        rows.append({"customers": f"{n:,}", "median s": f"{q2:.3f}", "IQR s": f"{q1:.3f}-{q3:.3f}"})
    print_table(rows)
    small, large = min(sizes), max(sizes)
    ratio = statistics.median(times[large]) / statistics.median(times[small])
    print(f"ratio of medians {large:,} / {small:,}: {ratio:.1f}x")


def _load(load: tuple[float, float, float]) -> str:
    return ", ".join(f"{x:.2f}" for x in load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip", nargs="*", default=["lifetimes"], help="peers to skip")
    parser.add_argument(
        "--alone",
        type=int,
        default=0,
        metavar="N",
        help="then time ours alone, the sizes alternating N times (the scaling ratio)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    load_before = os.getloadavg()
    rows: list[dict[str, object]] = []
    medians: dict[int, dict[str, float]] = {}
    for n in args.sizes:
        size_rows, medians[n] = run_size(n, args.repeat, args.skip)
        rows += size_rows
    print("\nall sizes:")
    print_table(rows)
    print_scaling(medians)
    if args.alone:
        ours_alone(args.sizes, args.alone)
    after = os.getloadavg()
    print(f"load average (1, 5, 15 min) before {_load(load_before)}, after {_load(after)}")


if __name__ == "__main__":
    main()
