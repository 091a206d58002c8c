"""Benchmark: transactions -> customer summary, ours against lifetimes, pandas, DuckDB, polars.

All peers compute frequency, recency, T and monetary_value (daily periods) from the same
simulated table in one process; each result is checked against ours before it is timed.

Run:  python benchmarks/bench_summary.py --customers 1000000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import machine, measure, print_table

from customer_models import make_transactions, rfm_summary

CORE = ["frequency", "recency", "T", "monetary_value"]


def ours(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    return rfm_summary(tx, value_col="amount", observation_end=end)[CORE]


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
            "T": (end - g["day"].min()).dt.days.astype(float),
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
      FROM tx WHERE date <= TIMESTAMP '{end}' GROUP BY ALL)
GROUP BY customer_id ORDER BY customer_id
"""


def duckdb_summary(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    con.register("tx", tx)
    out = con.execute(DUCKDB_SQL.format(end=end.date())).df().set_index("customer_id")
    con.close()
    return out


def polars_summary(tx: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    import polars as pl

    frame = pl.from_pandas(tx)
    per_day = frame.group_by("customer_id", pl.col("date").dt.date().alias("day")).agg(
        pl.col("amount").sum().alias("v")
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
    )
    return out.to_pandas().set_index("customer_id")[CORE]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], help="peers to skip, e.g. lifetimes")
    args = parser.parse_args()

    start = time.perf_counter()
    tx = make_transactions(args.customers, random_state=0)
    end = tx["date"].max()
    input_mb = tx.memory_usage(deep=True).sum() / 2**20
    print(f"machine: {machine()}")
    print(
        f"data: {args.customers:,} customers, {len(tx):,} transactions, input {input_mb:.0f} MiB "
        f"(simulated in {time.perf_counter() - start:.1f} s)\n"
    )

    peers = {
        "customer_models.rfm_summary": ours,
        "plain pandas groupby": plain_pandas,
        "DuckDB SQL": duckdb_summary,
        "polars": polars_summary,
        "lifetimes": lifetimes_summary,
    }
    reference = None
    rows = []
    ours_time = None
    for name, fn in peers.items():
        if any(s.lower() in name.lower() for s in args.skip):
            continue
        repeat = 1 if name == "lifetimes" else args.repeat
        seconds, peak_mb, result = measure(lambda fn=fn: fn(tx, end), repeat=repeat)
        if reference is None:
            reference, ours_time = result, seconds
        else:
            aligned = result.loc[reference.index]
            for column in CORE:
                np.testing.assert_allclose(
                    aligned[column].to_numpy(float),
                    reference[column].to_numpy(float),
                    rtol=1e-9,
                    atol=1e-6,
                    err_msg=f"{name} disagrees on {column}",
                )
        rows.append(
            {
                "implementation": name,
                "runs": repeat,
                "median seconds": f"{seconds:.2f}",
                "vs ours": f"{seconds / ours_time:.1f}x",
                "peak extra MiB": f"{peak_mb:.0f}",
                "peak / input": f"{peak_mb / input_mb:.2f}",
            }
        )
    print_table(rows)


if __name__ == "__main__":
    main()
