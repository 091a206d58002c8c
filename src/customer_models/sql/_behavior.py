"""Behaviour features of a database table: one window query, one row per customer fetched.

The database computes each customer's sums (orders, value, gaps between consecutive orders
and their centred squares, order-number moments for the spend trend, weekend, time-of-day and
channel counts); the features are then formed from those sums with the formulas of
:func:`customer_models.behavior_features`, so both paths give the same numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._summary_options import same_keywords
from customer_models._transactions import PARSING_OPTIONS
from customer_models._validation._messages import N_EXAMPLES
from customer_models._validation._rules import refuse_rows
from customer_models.exceptions import ParameterError
from customer_models.segmentation import _behavior as _memory
from customer_models.segmentation._behavior import (
    _DAYPARTS,
    BehaviorOptions,
    check_behavior_options,
    features_from_sums,
)
from customer_models.sql._read import CID, TS, VALUE, _missing, ibis_module, prepare

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["behavior_features"]

_US_PER_DAY = 86_400 * 10**6
_US_PER_DAYPART = _US_PER_DAY // 4
#: More distinct channels than this is a column of ids, not of channels.
_MAX_CHANNELS = 200


def _channels(rows: Any, channel_col: str, customer_col: str) -> list[Any]:
    """Return the sorted distinct channels; refuse missing ones (naming customers), too many."""
    column = rows[channel_col]
    n_missing = int(rows.filter(_missing(column)).count().to_pyarrow().as_py())
    if n_missing:
        ids = rows.filter(_missing(column)).select(CID).limit(N_EXAMPLES).to_pyarrow()
        refuse_rows(
            n_missing,
            int(rows.count().to_pyarrow().as_py()),
            [v.as_py() for v in ids.column(0)],
            rule=f"{channel_col} must not be missing",
            column=channel_col,
            what="transactions",
        )
    names = rows.select(column).distinct().limit(_MAX_CHANNELS + 1).to_pyarrow().column(0)
    values = sorted(v.as_py() for v in names)
    if len(values) > _MAX_CHANNELS:
        raise ParameterError(
            f"channel_col {channel_col!r} has more than {_MAX_CHANNELS} distinct values: one "
            "share column each would be too many; is it an id column?"
        )
    return values


@same_keywords(_memory.behavior_features, first="table", drop=PARSING_OPTIONS)
def behavior_features(table: Any, **options: Unpack[BehaviorOptions]) -> pd.DataFrame:
    """Per-customer behaviour features of a database table, computed in the database.

    The same frame as :func:`customer_models.behavior_features` on the same rows (columns,
    sorted customer index, values to 1e-9): order value, inter-purchase times, the spend
    trend (tied timestamps share their average order number), weekend, time-of-day and
    channel shares.

    Parameters
    ----------
    table : ibis.expr.types.Table
        One row per transaction, dates as timestamps without time zone or dates.
    customer_col, date_col, value_col, channel_col, time_of_day, refunds
        As in :func:`customer_models.behavior_features` (``refunds`` "error" or "drop").

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted).

    Examples
    --------
    >>> import pandas as pd
    >>> import customer_models.sql as cms
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-31", "2024-01-06"]),
    ...     "amount": [10.0, 20.0, 30.0, 5.0],
    ... })
    >>> f = cms.behavior_features(cms.memtable(tx))
    >>> f.loc[1, ["n_orders", "aov", "ipt_mean", "spend_trend"]].tolist()
    [3.0, 20.0, 15.0, 10.0]
    """
    customer_col, channel_col = options["customer_col"], options["channel_col"]
    time_of_day, refunds = options["time_of_day"], options["refunds"]
    check_behavior_options(time_of_day, refunds)
    prepared = prepare(
        table,
        customer_col=customer_col,
        date_col=options["date_col"],
        value_col=options["value_col"],
        freq="D",
        time_unit=None,
        refunds=refunds,
        extra=() if channel_col is None else (channel_col,),
    )
    ibis = ibis_module()
    rows = prepared.table
    channels = [] if channel_col is None else _channels(rows, channel_col, customer_col)
    ts = rows[TS]
    since_midnight = ts.delta(ts.truncate("D"), unit="microsecond").cast("int64")
    previous = ts.lag().over(group_by=CID, order_by=TS)
    gap = ts.delta(previous, unit="microsecond").cast("float64") / float(_US_PER_DAY)
    ties = rows[CID].count().over(group_by=[CID, TS])
    rank = ibis.rank().over(group_by=CID, order_by=TS)  # 0-based, ties share the lowest
    step = rows.mutate(
        _gap=gap,
        _i=rank.cast("float64") + (ties.cast("float64") - 1.0) / 2.0,
        _weekend=ibis.ifelse(ts.day_of_week.index() >= 5, 1, 0),  # no bool casts in SQL
        _part=since_midnight // _US_PER_DAYPART,
        _timed=ibis.ifelse(since_midnight != 0, 1, 0),
    )
    centred = step.mutate(_dev=step._gap - step._gap.mean().over(group_by=CID))
    sums: dict[str, Any] = {
        "n": centred.count(),
        "total": centred[VALUE].sum(),
        "sum_gap": centred._gap.sum(),
        "ss": (centred._dev * centred._dev).sum(),
        "s_ii": (centred._i * centred._i).sum(),
        "s_iv": (centred._i * centred[VALUE]).sum(),
        "weekend": centred._weekend.sum(),
        "timed": centred._timed.max(),
    }
    for k, label in enumerate(_DAYPARTS):
        sums[f"part_{label}"] = ibis.ifelse(centred._part == k, 1, 0).sum()
    for k, name in enumerate(channels):
        sums[f"channel_{k}"] = ibis.ifelse(centred[channel_col] == name, 1, 0).sum()
    fetched = centred.group_by(CID).aggregate(**sums).to_pyarrow().to_pandas()
    fetched = fetched.sort_values(CID, kind="stable").reset_index(drop=True)
    out = _features(fetched, time_of_day, channels)
    index = pd.Index(fetched[CID].to_numpy(), name=customer_col)
    return pd.DataFrame(out, index=index)


def _features(f: pd.DataFrame, time_of_day: bool | str, channels: list[Any]) -> dict[str, Any]:
    """Return the features from the per-customer sums, with the in-memory formulas."""
    n = f["n"].to_numpy(dtype=np.float64)
    out: dict[str, Any] = features_from_sums(
        n,
        f["total"].to_numpy(dtype=np.float64),
        f["sum_gap"].fillna(0.0).to_numpy(dtype=np.float64),
        f["ss"].fillna(0.0).to_numpy(dtype=np.float64),
        f["s_ii"].to_numpy(dtype=np.float64),
        f["s_iv"].to_numpy(dtype=np.float64),
        f["weekend"].to_numpy(dtype=np.float64),
    )
    if time_of_day is True or (time_of_day == "auto" and bool(f["timed"].max() > 0)):
        for label in _DAYPARTS:
            out[f"{label}_share"] = f[f"part_{label}"].to_numpy(dtype=np.float64) / n
    for k, name in enumerate(channels):
        out[f"channel_{name}_share"] = f[f"channel_{k}"].to_numpy(dtype=np.float64) / n
    return out
