"""The customer summary as one SQL query: purchase periods per customer, then per customer.

The query groups the rows by (customer, period) into runs (rows, net value, smallest value,
first and last instant), marks each run a purchase (every run, or under a netting policy a run
whose net is positive or which has no refund), and aggregates the runs per customer. Only one
row per customer leaves the database; the frame is then built by the in-memory summary's own
code (:mod:`customer_models._summary_frame`), so columns, dtypes and attrs agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from customer_models._reductions import Reduced
from customer_models._time import cutoff_us, period_codes
from customer_models.exceptions import DataValidationError
from customer_models.sql._read import CID, PERIOD, TS, VALUE, Prepared, count_true, ibis_module

__all__ = ["end_of", "no_purchase_error", "per_customer", "reduced_from"]

_NET = ("net_period", "net_customer")


def end_of(prepared: Prepared, value: Any, argument: str = "observation_end") -> tuple[int, int]:
    """Return the cut-off (last microsecond of its period) and its period number."""
    if value is None:
        value = pd.Timestamp(prepared.last_us, unit="us")
    end_us = cutoff_us(value, prepared.freq, argument)
    return end_us, int(period_codes(np.array([end_us]), prepared.freq)[0])


def per_customer(rows: Any, prepared: Prepared, *, buyers_only: bool = True) -> Any:
    """Ibis expression: one row per customer (with a purchase), the facts of :class:`Reduced`."""
    ibis = ibis_module()
    keys = [CID, PERIOD]
    run_stats: dict[str, Any] = {
        "n": rows.count(),
        "t0": rows[TS].min(),
        "t1": rows[TS].max(),
    }
    if prepared.has_value:
        run_stats["net"] = rows[VALUE].sum()
        run_stats["vmin"] = rows[VALUE].min()
    runs = rows.group_by(keys).aggregate(**run_stats)
    netting = prepared.has_value and prepared.refunds in _NET
    buy = (runs.vmin >= 0) | (runs.net > 0) if netting else ibis.literal(True)
    runs = runs.mutate(buy=buy)
    window = ibis.window(group_by=runs[CID])
    runs = runs.mutate(first_p=ibis.ifelse(runs.buy, runs[PERIOD], ibis.null()).min().over(window))
    stats: dict[str, Any] = {
        "n_periods": count_true(runs.buy),
        "first_p": runs.first_p.min(),
        "last_p": ibis.ifelse(runs.buy, runs[PERIOD], ibis.null()).max(),
        "n_tx": runs.n.sum(),
        "first_ts": ibis.ifelse(runs.buy, runs.t0, ibis.null()).min(),
        "last_ts": ibis.ifelse(runs.buy, runs.t1, ibis.null()).max(),
    }
    if prepared.has_value:
        if prepared.refunds == "net_customer":  # every period from the first purchase on
            counted = runs[PERIOD] >= runs.first_p
        else:
            counted = runs.buy
        stats["total"] = ibis.ifelse(counted, runs.net, 0.0).sum()
        stats["first_value"] = ibis.ifelse(runs[PERIOD] == runs.first_p, runs.net, 0.0).sum()
    out = runs.group_by(CID).aggregate(**stats)
    return out.filter(out.n_periods > 0) if buyers_only else out


def _as_us(values: Any) -> np.ndarray:
    stamps = pd.to_datetime(pd.Series(values)).to_numpy()
    return stamps.astype("datetime64[us]").astype(np.int64)


def reduced_from(frame: pd.DataFrame, prepared: Prepared) -> Reduced:
    """Turn the fetched per-customer rows into the in-memory reductions, sorted by customer id."""
    ids = pd.Index(frame[CID])
    order = ids.argsort(kind="stable")
    frame = frame.iloc[order]
    return Reduced(
        uniques=ids[order],
        first_period=frame["first_p"].to_numpy(dtype=np.int64),
        last_period=frame["last_p"].to_numpy(dtype=np.int64),
        n_periods=frame["n_periods"].to_numpy(dtype=np.int64),
        n_transactions=frame["n_tx"].to_numpy(dtype=np.int64),
        first_us=_as_us(frame["first_ts"]),
        last_us=_as_us(frame["last_ts"]),
        total_value=frame["total"].to_numpy(dtype=np.float64) if prepared.has_value else None,
        first_period_value=(
            frame["first_value"].to_numpy(dtype=np.float64) if prepared.has_value else None
        ),
    )


def no_purchase_error(value_col: str | None, n_rows: int) -> DataValidationError:
    """Build the in-memory error raised when every period nets to <= 0 after refunds."""
    return DataValidationError(
        f"no customer has a purchase: every period of {value_col} nets to <= 0 after refunds.",
        column=value_col,
        rule="some period with a positive net value",
        n_rows=n_rows,
    )
