"""Benchmark: the customer summary inside the database (customer_models.sql) against its floor.

Three ways to the same summary (daily periods, ``value_col``, a fixed ``observation_end``) of a
table that lives in a database:

- ``customer_models.sql``: :func:`customer_models.sql.rfm_summary` on an Ibis table (the
  validation query plus the summary query; one row per customer is fetched);
- ``hand-written SQL``: one query written for this engine by hand that computes the same
  columns (the floor for the engine: a GROUP BY per customer and day, then per customer) and is
  fetched the same way (Arrow, then pandas);
- ``pull + in memory``: fetch the whole table into pandas, then
  :func:`customer_models.rfm_summary`.

The same three ways to :func:`customer_models.sql.calibration_holdout_split` (calibration to
2023-03-31, holdout to 2023-06-30) follow as the ``split:`` rows.

Every result is checked against the in-memory summary before it is timed; runs are interleaved
so that a loaded machine slows them alike; the table shows medians. The log is
``bench_summary.independent_log`` (second-resolution times, integer ids, random row order).
DuckDB is an in-memory database in this process; PostgreSQL (``--postgres URL``) is a server.

Run:  python benchmarks/bench_sql.py --customers 1000000 [--postgres postgresql://...]
      [--postgres-customers 100000] [--no-duckdb] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
from _common import machine, print_table
from bench_summary import check_same, independent_log

import customer_models as cm
import customer_models.sql as cms

COLUMNS = ["frequency", "recency", "T", "monetary_value", "n_transactions", "total_value"]
HOLDOUT_COLUMNS = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]

#: The same summary written by hand (DuckDB and PostgreSQL both run it): days as dates.
HAND_SQL = """
WITH runs AS (
  SELECT customer_id, CAST(date AS DATE) AS day, count(*) AS n, sum(amount) AS v,
         min(date) AS t0, max(date) AS t1
  FROM {table} WHERE CAST(date AS DATE) <= DATE '{end}'
  GROUP BY customer_id, CAST(date AS DATE)
), firsts AS (
  SELECT customer_id, min(day) AS first_day FROM runs GROUP BY customer_id
)
SELECT r.customer_id,
       count(*) - 1 AS frequency,
       CAST(max(day) - min(day) AS DOUBLE PRECISION) AS recency,
       CAST(DATE '{end}' - min(day) AS DOUBLE PRECISION) AS "T",
       coalesce((sum(v) - sum(CASE WHEN day = first_day THEN v ELSE 0 END))
                / nullif(count(*) - 1, 0), 0) AS monetary_value,
       min(t0) AS first_purchase, max(t1) AS last_purchase,
       sum(n) AS n_transactions, sum(v) AS total_value
FROM runs r JOIN firsts f ON r.customer_id = f.customer_id
GROUP BY r.customer_id
"""


#: The calibration/holdout split by hand: the summary above at the calibration end, plus the
#: distinct purchase days and the value per holdout day of each calibration customer.
HAND_SPLIT_SQL = """
WITH cal AS ({summary}), hold AS (
  SELECT customer_id, count(DISTINCT CAST(date AS DATE)) AS f, sum(amount) AS v
  FROM {table}
  WHERE CAST(date AS DATE) > DATE '{cal_end}' AND CAST(date AS DATE) <= DATE '{end}'
  GROUP BY customer_id
)
SELECT cal.*, coalesce(hold.f, 0) AS frequency_holdout,
       coalesce(hold.v / hold.f, 0) AS monetary_value_holdout,
       CAST(DATE '{end}' - DATE '{cal_end}' AS DOUBLE PRECISION) AS duration_holdout
FROM cal LEFT JOIN hold ON cal.customer_id = hold.customer_id
"""


def _check(result: pd.DataFrame, reference: pd.DataFrame, name: str) -> None:
    columns = COLUMNS + [c for c in HOLDOUT_COLUMNS if c in reference.columns]
    check_same(result, reference, columns, name, atol=1e-9)


def _run_sql(con: Any, sql: str) -> pd.DataFrame:
    if con.name == "duckdb":  # the DuckDB connection under Ibis, Arrow out
        frame = con.con.sql(sql).to_arrow_table().to_pandas()
    else:  # psycopg cursor
        cursor = con.raw_sql(sql)
        names = [d.name for d in cursor.description]
        frame = pd.DataFrame(cursor.fetchall(), columns=names)
        cursor.close()
    return frame.set_index("customer_id")


def paths(con: Any, table: Any, name: str, end: pd.Timestamp) -> dict[str, Callable[[], Any]]:
    sql = HAND_SQL.format(table=name, end=end.date())
    return {
        "customer_models.sql": lambda: cms.rfm_summary(
            table, value_col="amount", observation_end=end
        ),
        "hand-written SQL": lambda: _run_sql(con, sql),
        "pull + in memory": lambda: cm.rfm_summary(
            table.to_pyarrow().to_pandas(), value_col="amount", observation_end=end
        ),
    }


def split_paths(
    con: Any, table: Any, name: str, cal_end: pd.Timestamp, end: pd.Timestamp
) -> dict[str, Callable[[], Any]]:
    summary = HAND_SQL.format(table=name, end=cal_end.date())
    sql = HAND_SPLIT_SQL.format(summary=summary, table=name, cal_end=cal_end.date(), end=end.date())
    kwargs = {"value_col": "amount", "calibration_end": cal_end, "observation_end": end}
    return {
        "split: customer_models.sql": lambda: cms.calibration_holdout_split(table, **kwargs),
        "split: hand-written SQL": lambda: _run_sql(con, sql),
        "split: pull + in memory": lambda: cm.calibration_holdout_split(
            table.to_pyarrow().to_pandas(), **kwargs
        ),
    }


def _timed(
    runs: dict[str, Callable[[], Any]], reference: pd.DataFrame, engine: str, repeat: int
) -> dict[str, list[float]]:
    for label, fn in runs.items():  # every answer checked before timing
        _check(fn(), reference, f"{engine}: {label}")
    times: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(repeat):
        for label, fn in runs.items():
            start = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - start)
    return times


def bench(engine: str, con: Any, tx: pd.DataFrame, repeat: int) -> list[dict[str, Any]]:
    end, cal_end = pd.Timestamp("2023-06-30"), pd.Timestamp("2023-03-31")
    name = "bench_tx"
    start = time.perf_counter()
    table = con.create_table(name, pa.Table.from_pandas(tx, preserve_index=False), overwrite=True)
    load = time.perf_counter() - start
    reference = cm.rfm_summary(tx, value_col="amount", observation_end=end)
    split_reference = cm.calibration_holdout_split(
        tx, value_col="amount", calibration_end=cal_end, observation_end=end
    )
    rows = []
    for runs, ref, floor_label in (
        (paths(con, table, name, end), reference, "hand-written SQL"),
        (split_paths(con, table, name, cal_end, end), split_reference, "split: hand-written SQL"),
    ):
        times = _timed(runs, ref, engine, repeat)
        floor = statistics.median(times[floor_label])
        rows += [
            {
                "engine": engine,
                "customers": f"{len(ref):,}",
                "rows": f"{len(tx):,}",
                "path": label,
                "median s": f"{statistics.median(t):.2f}",
                "vs hand SQL": f"{statistics.median(t) / floor:.2f}x",
                "load s (untimed)": f"{load:.1f}",
            }
            for label, t in times.items()
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="postgresql:// URL of a server")
    parser.add_argument("--postgres-customers", type=int, default=None)
    parser.add_argument("--no-duckdb", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    # Ibis 12 calls APIs that DuckDB 2 and pandas 3 deprecate: their warnings, not ours.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message="The 'future.infer_string' option")
    print(machine())
    tx = independent_log(args.customers)
    rows = (
        []
        if args.no_duckdb
        else bench("DuckDB (in process)", ibis.duckdb.connect(), tx, args.repeat)
    )
    if args.postgres:
        n = args.postgres_customers or args.customers
        small = tx if n == args.customers else independent_log(n)
        rows += bench(
            "PostgreSQL 15 (local server)", ibis.connect(args.postgres), small, args.repeat
        )
    print_table(rows)


if __name__ == "__main__":
    main()
