"""Behavioural features per customer from a transaction table (vectorized, no per-customer loop)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._reductions import customer_codes
from customer_models._time import US_PER_DAY
from customer_models._transactions import RefundPolicy, read_with
from customer_models._validation import check_no_missing
from customer_models.exceptions import ParameterError

__all__ = ["behavior_features"]

_DAYPARTS = ("night", "morning", "afternoon", "evening")  # [0,6) [6,12) [12,18) [18,24)
_US_PER_DAYPART = 6 * 3_600 * 10**6


def _time_order(codes: np.ndarray, us: np.ndarray, n_customers: int) -> np.ndarray | None:
    """Permutation sorting rows by (customer, time), or None if they already are."""
    if codes.size < 2:
        return None
    same = codes[1:] == codes[:-1]
    if bool(np.all(codes[1:] >= codes[:-1])) and bool(np.all((us[1:] >= us[:-1]) | ~same)):
        return None
    lo = int(us.min())
    span = int(us.max()) - lo + 1
    if span * n_customers < 2**62:  # one int64 key, one sort
        key = codes.astype(np.int64) * span + (us - lo)
        return np.argsort(key, kind="stable")
    # Too wide for one key: rank the distinct times (a sort, faster than np.lexsort).
    times, rank = np.unique(us, return_inverse=True)
    return np.argsort(codes.astype(np.int64) * times.size + rank, kind="stable")


class BehaviorOptions(TypedDict, total=False):
    """The keywords of every engine's ``behavior_features`` (defaults: the in-memory one's)."""

    customer_col: str
    date_col: str
    value_col: str
    channel_col: str | None
    time_of_day: bool | Literal["auto"]
    refunds: RefundPolicy


def check_behavior_options(time_of_day: Any, refunds: Any) -> None:
    """Refuse a ``time_of_day`` or ``refunds`` that behaviour features cannot honour."""
    if time_of_day not in (True, False, "auto"):
        raise ParameterError(f"time_of_day must be True, False or 'auto', got {time_of_day!r}.")
    if refunds not in ("error", "drop"):
        raise ParameterError(
            f"refunds={refunds!r}: behaviour features describe orders row by row, so refunds "
            "can only be refused ('error') or ignored ('drop') here."
        )


def features_from_sums(
    n: np.ndarray,
    total: np.ndarray,
    sum_gap: np.ndarray,
    ss: np.ndarray,
    s_ii: np.ndarray,
    s_iv: np.ndarray,
    weekend: np.ndarray,
) -> dict[str, np.ndarray]:
    """Return the value, rhythm, trend and weekend features from per-customer sums.

    The sums (every engine computes them where its data is): orders ``n``, their ``total``
    value, the sum of the days between consecutive orders and of their squared deviations from
    the customer's mean gap (``ss``), the sums of ``i**2`` and ``i * value`` over the order
    numbers ``i`` (0-based, ties averaged) and the weekend orders.
    """
    m = n - 1.0  # gaps
    with np.errstate(invalid="ignore", divide="ignore"):
        ipt_mean = np.where(m > 0, sum_gap / np.where(m > 0, m, 1.0), np.nan)
        ipt_std = np.where(m > 1, np.sqrt(ss / np.where(m > 1, m - 1.0, 1.0)), np.nan)
        ipt_cv = np.where(ipt_mean > 0, ipt_std / np.where(ipt_mean > 0, ipt_mean, 1.0), np.nan)
    s_i = n * (n - 1.0) / 2.0  # tied numbers are averaged, so the sum is unchanged
    denominator = n * s_ii - s_i * s_i
    safe = denominator > 1e-9 * np.maximum(n * s_ii, 1.0)
    trend = np.zeros(n.size)
    trend[safe] = (n[safe] * s_iv[safe] - s_i[safe] * total[safe]) / denominator[safe]
    return {
        "n_orders": n,
        "total_value": total,
        "aov": total / n,
        "ipt_mean": ipt_mean,
        "ipt_std": ipt_std,
        "ipt_cv": ipt_cv,
        "spend_trend": trend,
        "weekend_share": weekend / n,
    }


@polars_out
def behavior_features(
    transactions: Any,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str = "amount",
    channel_col: str | None = None,
    time_of_day: bool | Literal["auto"] = "auto",
    refunds: RefundPolicy = "error",
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Per-customer behaviour: order value, purchase rhythm, spend trend, timing and channels.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction (polars/Arrow tables are converted).
    customer_col, date_col, value_col : str
        Customer id, transaction time and transaction value columns. Dates are read as in
        :func:`~customer_models.rfm_summary` (any datetime resolution, date objects, ISO or
        one-format strings); timezone-aware times keep their local clock (weekday, hour),
        and dates far from 1970 (a ``9999-12-31`` sentinel) are kept, never wrapped.
    channel_col : str, optional
        A purchase channel column (``"online"``, ``"store"``, ...); adds channel shares.
    time_of_day : bool or "auto", default="auto"
        Add time-of-day shares. ``"auto"`` adds them only when some timestamp has a time
        other than midnight (date-only data would put every order at night).
    refunds : {"error", "drop"}, default "error"
        Negative values (refunds, returns): an error that names the customers, or rows
        ignored (features describe orders).
    date_format, dayfirst
        How string (or integer, ``date_format="%Y%m%d"``) dates are read, as in
        :func:`~customer_models.rfm_summary`; ambiguous day/month orders are an error
        without them.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted), with columns:

        * ``n_orders``, ``total_value``, ``aov`` (average order value);
        * ``ipt_mean``, ``ipt_std``, ``ipt_cv``: mean, sample standard deviation and
          coefficient of variation of the days between consecutive transactions. They are
          NaN by definition when there are too few transactions (fewer than 2 for the mean,
          3 for the std) and ``ipt_cv`` is NaN when ``ipt_mean`` is 0 or NaN;
        * ``spend_trend``: least-squares slope of the order value against the order number
          (currency units per order; 0 with a single order). Transactions with the same
          timestamp share their average order number, so the slope does not depend on
          their row order (0 when all of a customer's transactions are simultaneous);
        * ``weekend_share``: share of orders on Saturday or Sunday (the weekday share is
          ``1 - weekend_share``);
        * ``night_share``, ``morning_share``, ``afternoon_share``, ``evening_share`` (hours
          [0, 6), [6, 12), [12, 18), [18, 24)) with time-of-day data;
        * ``channel_<name>_share`` for each channel with ``channel_col``.

    Notes
    -----
    Transactions are sorted once by (customer, time) (skipped when they already are) and
    every feature is a group sum over
    integer customer codes (``np.bincount``): the spend-trend slope is
    ``(n Σ i v - Σ i Σ v) / (n Σ i² - (Σ i)²)`` with ``i`` the order number. Several
    transactions on the same day count as separate orders (inter-purchase time 0).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-01-31", "2024-01-06"]),
    ...     "amount": [10.0, 20.0, 30.0, 5.0],
    ... })
    >>> f = behavior_features(tx)
    >>> f.loc[1, ["n_orders", "aov", "ipt_mean", "spend_trend"]].tolist()
    [3.0, 20.0, 15.0, 10.0]
    >>> float(f.loc[2, "weekend_share"])  # 2024-01-06 is a Saturday
    1.0
    """
    check_behavior_options(time_of_day, refunds)
    log = read_with(transactions, locals(), columns=() if channel_col is None else (channel_col,))
    assert log.amounts is not None
    codes, uniques = customer_codes(log.ids)
    n_customers = len(uniques)

    order = _time_order(codes, log.us, n_customers)
    if order is None:  # already grouped by customer and in time order
        c, t, v = codes, log.us, log.amounts
    else:
        c, t, v = codes[order], log.us[order], log.amounts[order]

    n = np.bincount(c, minlength=n_customers).astype(np.float64)
    total = np.bincount(c, weights=v, minlength=n_customers)
    starts = np.concatenate(([0], np.cumsum(n, dtype=np.int64)[:-1]))
    # order number within the customer; transactions at the same time share their average
    # number, so the result does not depend on the row order of simultaneous transactions
    new_run = np.ones(c.size, dtype=bool)
    new_run[1:] = (c[1:] != c[:-1]) | (t[1:] != t[:-1])
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.append(run_start, c.size))
    run_id = np.cumsum(new_run) - 1
    i = (run_start - starts[c[run_start]] + (run_len - 1) / 2.0)[run_id]

    same = c[1:] == c[:-1]
    gaps = (np.diff(t)[same]) / US_PER_DAY
    gap_owner = c[1:][same]
    sum_gap = np.bincount(gap_owner, weights=gaps, minlength=n_customers)
    # a customer with gaps has n - 1 >= 1 of them; the others have none to centre
    centred = gaps - (sum_gap / np.maximum(n - 1.0, 1.0))[gap_owner]
    ss = np.bincount(gap_owner, weights=centred * centred, minlength=n_customers)
    s_ii = np.bincount(c, weights=i * i, minlength=n_customers)
    s_iv = np.bincount(c, weights=i * v, minlength=n_customers)

    day = np.floor_divide(t, US_PER_DAY)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    weekend = np.bincount(c, weights=(weekday >= 5).astype(np.float64), minlength=n_customers)

    out = features_from_sums(n, total, sum_gap, ss, s_ii, s_iv, weekend)
    since_midnight = t - day * US_PER_DAY
    if time_of_day is True or (time_of_day == "auto" and bool(np.any(since_midnight != 0))):
        part = since_midnight // _US_PER_DAYPART
        counts = np.bincount(c * 4 + part, minlength=n_customers * 4).reshape(n_customers, 4)
        for k, label in enumerate(_DAYPARTS):
            out[f"{label}_share"] = counts[:, k] / n
    if channel_col is not None:
        channel = log.column(channel_col)
        check_no_missing(channel, log.ids, column=channel_col, what="transactions")
        values = channel.to_numpy()
        ch_codes, ch_names = pd.factorize(values if order is None else values[order], sort=True)
        k_ch = len(ch_names)
        counts = np.bincount(c * k_ch + ch_codes, minlength=n_customers * k_ch).reshape(
            n_customers, k_ch
        )
        for k, label in enumerate(ch_names):
            out[f"channel_{label}_share"] = counts[:, k] / n
    return pd.DataFrame(out, index=uniques.rename(customer_col))
