"""Build a leakage-free churn training set (features as of a cutoff, label after it).

The kernel sorts the transactions once by (customer, day) and then, for each cutoff, works on
the rows dated on or before the cutoff only: every feature is a reduction (``bincount``,
``minimum.at``, neighbour differences) over those rows, so no Python loop runs per customer and
no transaction after the cutoff can reach the features.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from customer_models._reductions import customer_codes
from customer_models._time import US_PER_DAY, us_to_datetime
from customer_models._transactions import RefundPolicy, read_transactions
from customer_models._validation import (
    as_pandas,
    check_choice,
    check_no_missing,
    check_rule,
)
from customer_models.exceptions import DataValidationError, ParameterError

__all__ = ["churn_dataset", "churn_features"]


def _horizon_us(value: Any, name: str) -> int:
    """Return a positive duration in µs: numbers are days, else what pd.Timedelta reads."""
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a number of days or a timedelta, got {value!r}.")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if not np.isfinite(value) or value <= 0:
            raise ParameterError(f"{name} must be a positive number of days, got {value!r}.")
        if value > 1e7:
            raise ParameterError(f"{name}={value!r} days is longer than any data can cover.")
        return round(float(value) * US_PER_DAY)
    try:
        delta = pd.Timedelta(value)
    except (ValueError, TypeError) as err:
        raise ParameterError(
            f"{name}={value!r} is not a duration; pass a number of days (e.g. 90) or a "
            "timedelta such as '90D'."
        ) from err
    if pd.isna(delta) or delta.value <= 0:
        raise ParameterError(f"{name} must be a positive duration, got {value!r}.")
    return int(delta.to_timedelta64().astype("timedelta64[us]").astype(np.int64))


def _cutoff_list(cutoff: Any) -> tuple[list[Any], bool]:
    """Return the cutoffs as a list and whether a list (stacked output) was asked for."""
    if cutoff is None or isinstance(
        cutoff, (str, bytes, _dt.date, np.datetime64, pd.Timestamp, pd.Period)
    ):
        return [cutoff], False
    if isinstance(cutoff, (Sequence, pd.Index, pd.Series, np.ndarray)):
        values = list(cutoff)
        if not values:
            raise ParameterError("cutoff is an empty list; give at least one date.")
        return values, True
    return [cutoff], False


def _trend(recent: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """(recent - previous) / (|recent| + |previous|) in [-1, 1]; 0 when both are 0."""
    denominator = np.abs(recent) + np.abs(previous)
    return np.divide(
        recent - previous, denominator, out=np.zeros(recent.size), where=denominator > 0
    )


def _features_at(
    cutoff_us: int,
    *,
    cutoff_day: int,
    horizon_us: int,
    window_us: int,
    n_customers: int,
    codes: np.ndarray,
    us: np.ndarray,
    day: np.ndarray,
    values: np.ndarray | None,
    channels: np.ndarray | None,
    channel_names: list[str],
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Features and label for one cutoff; arrays sorted by (customer code, day).

    ``cutoff_us`` is the last instant of the cut-off day, ``cutoff_day`` its day number.
    """
    keep = us <= cutoff_us
    kc, kus, kday = codes[keep], us[keep], day[keep]
    n_tx = np.bincount(kc, minlength=n_customers)
    present = np.flatnonzero(n_tx > 0)

    first_day = np.full(n_customers, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_day, kc, kday)
    last_day = np.full(n_customers, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_day, kc, kday)

    # Distinct purchase days and the gaps between consecutive ones (rows are sorted by day).
    new_day = np.ones(kc.size, dtype=bool)
    new_day[1:] = (kc[1:] != kc[:-1]) | (kday[1:] != kday[:-1])
    dc, dday = kc[new_day], kday[new_day]
    n_days = np.bincount(dc, minlength=n_customers)
    same = dc[1:] == dc[:-1]
    gap_code = dc[1:][same]
    gaps = (dday[1:] - dday[:-1])[same].astype(np.float64)
    n_gaps = n_days - 1
    gap_sum = np.bincount(gap_code, weights=gaps, minlength=n_customers)
    ipt_mean = np.divide(gap_sum, n_gaps, out=np.full(n_customers, np.nan), where=n_gaps > 0)
    squares = np.bincount(gap_code, weights=(gaps - ipt_mean[gap_code]) ** 2, minlength=n_customers)
    ipt_std = np.sqrt(
        np.divide(squares, n_gaps - 1, out=np.full(n_customers, np.nan), where=n_gaps > 1)
    )

    recent = kus > cutoff_us - window_us
    previous = (kus > cutoff_us - 2 * window_us) & ~recent
    n_recent = np.bincount(kc[recent], minlength=n_customers)
    n_previous = np.bincount(kc[previous], minlength=n_customers)

    recency = (cutoff_day - last_day[present]).astype(np.float64)
    mean_gap = ipt_mean[present]
    columns: dict[str, np.ndarray] = {
        "recency_days": recency,
        "tenure_days": (cutoff_day - first_day[present]).astype(np.float64),
        "n_transactions": n_tx[present],
        "n_purchase_days": n_days[present],
        "ipt_mean_days": mean_gap,
        "ipt_std_days": ipt_std[present],
        "recency_ratio": np.divide(
            recency, mean_gap, out=np.full(present.size, np.nan), where=mean_gap > 0
        ),
        "n_recent": n_recent[present],
        "n_previous": n_previous[present],
        "purchase_trend": _trend(
            n_recent[present].astype(np.float64), n_previous[present].astype(np.float64)
        ),
    }
    if values is not None:
        kv = values[keep]
        total = np.bincount(kc, weights=kv, minlength=n_customers)[present]
        value_recent = np.bincount(kc[recent], weights=kv[recent], minlength=n_customers)
        value_previous = np.bincount(kc[previous], weights=kv[previous], minlength=n_customers)
        columns["monetary_total"] = total
        columns["monetary_mean"] = total / n_tx[present]
        columns["value_recent"] = value_recent[present]
        columns["value_previous"] = value_previous[present]
        columns["spend_trend"] = _trend(value_recent[present], value_previous[present])
    if channels is not None:
        kch = channels[keep]
        n_channels = len(channel_names)
        counts = np.bincount(kc * n_channels + kch, minlength=n_customers * n_channels).reshape(
            n_customers, n_channels
        )[present]
        shares = counts / n_tx[present][:, None]
        for j, name in enumerate(channel_names):
            columns[f"channel_share_{name}"] = shares[:, j]

    label_rows = (us > cutoff_us) & (us <= cutoff_us + horizon_us)
    bought = np.bincount(codes[label_rows], minlength=n_customers)[present] > 0
    return present, columns, (~bought).astype(np.int64)


def _join_attributes(
    X: pd.DataFrame,
    attributes: Any,
    customer_ids: pd.Index,
    on_missing: str,
) -> pd.DataFrame:
    attrs = attributes.to_frame() if isinstance(attributes, pd.Series) else attributes
    attrs = as_pandas(attrs, what="attributes")
    duplicated = attrs.index.duplicated()
    check_rule(
        duplicated,
        attrs.index,
        rule="attributes must have one row per customer (a unique index of customer ids)",
        what="attributes index",
    )
    clash = sorted(set(map(str, attrs.columns)) & set(X.columns))
    if clash:
        raise ParameterError(
            f"attributes columns {clash} have the names of computed features; rename them."
        )
    known = customer_ids.isin(attrs.index)
    if on_missing == "raise" and not known.all():
        n_missing = int((~known).sum())
        hint = (
            f"{n_missing} of {len(known)} customers with a purchase on or before the cutoff "
            "lack attributes. Give every customer a row in `attributes` (indexed by customer "
            "id), or pass on_missing_attributes='nan' to keep them with missing values."
        )
        if not known.any():
            hint += (
                f" No id matched at all: the transactions' ids have dtype "
                f"{customer_ids.dtype}, the attributes index has dtype {attrs.index.dtype}."
            )
        check_rule(
            ~known,
            customer_ids,
            rule="every customer must have a row in attributes",
            what="attributes",
            hint=hint,
        )
    joined = attrs.reindex(customer_ids)
    joined.index = X.index
    return pd.concat([X, joined], axis=1)


def churn_dataset(
    transactions: Any,
    *,
    cutoff: Any,
    horizon: Any,
    attributes: pd.DataFrame | pd.Series | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    channel_col: str | None = None,
    trend_window: Any = None,
    observation_end: Any = None,
    on_missing_attributes: Literal["raise", "nan"] = "raise",
    refunds: RefundPolicy = "error",
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Features as of a cutoff and the label "no purchase in the following horizon".

    For every customer with at least one transaction on or before ``cutoff``, the features are
    computed from those transactions only (the table is filtered to ``date <= cutoff`` before
    any feature is computed), and the label is 1 if the customer makes no purchase in
    ``(cutoff, cutoff + horizon]``. Nothing after the cutoff can change ``X``.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction (pandas, polars or Arrow).
    cutoff : date-like or list of date-likes
        The "as of" day. A cutoff means its whole day: purchases at any time on the cutoff day
        are history, and the label window starts the next day. With a list, one training set
        per cutoff is built and they are stacked, with a ``cutoff`` level (the cutoff day) in
        front of the customer id in the index (the same customer appears once per cutoff at
        which they had purchased).
    horizon : int, float or timedelta-like
        Length of the label window: a number of days, or anything :class:`pandas.Timedelta`
        accepts (``"90D"``, ``pd.Timedelta(weeks=13)``).
    attributes : DataFrame or Series, optional
        Customer attributes indexed by customer id (plan, region, age, ...), joined on the
        customer id. They must describe the customer as known at the cutoff; this function
        cannot check that. Every customer in ``X`` must have a row (see
        ``on_missing_attributes``).
    customer_col, date_col : str
        Customer id and transaction date columns.
    value_col : str, optional
        Transaction value column; adds the spend features.
    channel_col : str, optional
        Sales channel column (web, store, ...); adds the share of each channel. The channel
        columns are the channels seen on or before the latest cutoff, sorted by name.
    trend_window : int or timedelta-like, optional
        Window for the trend features (default: ``horizon``): ``n_recent`` counts
        transactions in ``(cutoff - w, cutoff]``, ``n_previous`` in
        ``(cutoff - 2w, cutoff - w]``.
    observation_end : date-like, optional
        End of the data (default: the last transaction date). ``cutoff + horizon`` must not be
        after it, otherwise customers would be labelled churned only because the data stops.
    on_missing_attributes : {"raise", "nan"}, default "raise"
        What to do when customers lack attributes: raise (the default, the message says how
        many and shows the first ids) or keep them with missing values.
    refunds : {"error", "drop"}, default "error"
        Negative transaction values (refunds): an error, or rows ignored.
    date_format, dayfirst
        How string dates are read, as in :func:`~customer_models.rfm_summary`.

    Returns
    -------
    X : DataFrame
        Indexed by customer id (or ``(cutoff, customer id)`` for a list of cutoffs), with the
        columns below (days are whole calendar days, as in the daily customer summary):

        - ``recency_days``: days from the last purchase to the cutoff (marketing recency, not
          the BTYD ``recency`` of :func:`~customer_models.rfm_summary`);
        - ``tenure_days``: days from the first purchase to the cutoff;
        - ``n_transactions``, ``n_purchase_days``: transactions and distinct purchase days;
        - ``ipt_mean_days``, ``ipt_std_days``: mean and standard deviation (ddof 1) of the gaps
          between consecutive purchase days; NaN when undefined (fewer than two, respectively
          three, purchase days);
        - ``recency_ratio``: ``recency_days / ipt_mean_days``, how many usual gaps the customer
          has been silent (NaN when the mean gap is undefined);
        - ``n_recent``, ``n_previous``, ``purchase_trend``: transactions in the last trend
          window, in the window before, and ``(recent - previous) / (recent + previous)`` (0
          when both are 0);
        - with ``value_col``: ``monetary_total``, ``monetary_mean`` (per transaction),
          ``value_recent``, ``value_previous``, ``spend_trend`` (same formula on values);
        - with ``channel_col``: ``channel_share_<channel>`` for each channel;
        - then the ``attributes`` columns.
    y : Series of int
        Named ``"churned"``, on the index of ``X``: 1 if no purchase in
        ``(cutoff, cutoff + horizon]``, else 0.

    Raises
    ------
    MissingColumnError
        A named column is absent.
    DataValidationError
        Bad transactions (missing ids or dates, bad values), a cutoff before every purchase,
        ``cutoff + horizon`` after ``observation_end``, duplicated attribute ids or customers
        without attributes.
    ParameterError
        A non-positive horizon, duplicated cutoffs, or attribute columns named like features.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.churn import churn_dataset
    >>> tx = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b", "c"],
    ...     "date": pd.to_datetime(["2024-01-01", "2024-01-11", "2024-02-05",
    ...                             "2024-01-20", "2024-03-20", "2024-03-01"]),
    ...     "amount": [10.0, 20.0, 30.0, 5.0, 5.0, 8.0],
    ... })
    >>> X, y = churn_dataset(tx, cutoff="2024-01-31", horizon=30, value_col="amount",
    ...                      observation_end="2024-03-31")
    >>> X[["recency_days", "tenure_days", "n_transactions", "ipt_mean_days"]]
                 recency_days  tenure_days  n_transactions  ipt_mean_days
    customer_id
    a                    20.0         30.0               2           10.0
    b                    11.0         11.0               1            NaN
    >>> y.tolist()  # a bought on Feb 5; b's next purchase (Mar 20) is after the horizon
    [0, 1]
    """
    X, y = _build(
        transactions,
        cutoff=cutoff,
        horizon=horizon,
        attributes=attributes,
        customer_col=customer_col,
        date_col=date_col,
        value_col=value_col,
        channel_col=channel_col,
        trend_window=trend_window,
        observation_end=observation_end,
        on_missing_attributes=on_missing_attributes,
        refunds=refunds,
        date_format=date_format,
        dayfirst=dayfirst,
    )
    assert y is not None
    return X, y


def _build(
    transactions: Any,
    *,
    cutoff: Any,
    horizon: Any,
    attributes: pd.DataFrame | pd.Series | None,
    customer_col: str,
    date_col: str,
    value_col: str | None,
    channel_col: str | None,
    trend_window: Any,
    observation_end: Any,
    on_missing_attributes: str,
    refunds: str,
    date_format: str | None,
    dayfirst: bool | None,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Features at each cutoff, and labels when ``horizon`` is given."""
    check_choice(on_missing_attributes, "on_missing_attributes", ("raise", "nan"))
    if refunds not in ("error", "drop"):
        raise ParameterError(
            f"refunds={refunds!r}: churn features count transactions, so refunds can only be "
            "refused ('error') or ignored ('drop') here."
        )
    log = read_transactions(
        transactions,
        customer_col=customer_col,
        date_col=date_col,
        value_col=value_col,
        date_format=date_format,
        dayfirst=dayfirst,
        refunds=refunds,
        columns=() if channel_col is None else (channel_col,),
    )
    labelled = horizon is not None
    horizon_us = _horizon_us(horizon, "horizon") if labelled else 0
    if trend_window is None and not labelled:
        raise ParameterError(
            "trend_window is required without a horizon: pass the horizon (or trend_window) "
            "the churn model was trained with, e.g. trend_window=90."
        )
    window_us = horizon_us if trend_window is None else _horizon_us(trend_window, "trend_window")
    cutoffs, stacked = _cutoff_list(cutoff)
    cutoff_us = [log.end(c, "D", "cutoff" if labelled else "as_of") for c in cutoffs]
    if len(set(cutoff_us)) != len(cutoff_us):
        raise ParameterError(f"cutoff has duplicated days: {cutoffs}.")
    end_us = log.end(observation_end, "D")
    first_us = int(log.us.min())
    for value, c_us in zip(cutoffs, cutoff_us, strict=True):
        if c_us < first_us:
            raise DataValidationError(
                f"cutoff {value} is before the first transaction ({_show(first_us)}): "
                "no customer has a history to learn from. Choose a later cutoff.",
                column=date_col,
                rule="cutoff >= first transaction date",
                n_rows=len(log),
            )
        if labelled and c_us + horizon_us > end_us:
            raise DataValidationError(
                f"cutoff {value} + horizon ends at {_show(c_us + horizon_us)}, after "
                f"the end of the data ({_show(end_us)}); customers would be labelled "
                "churned only because the data stops. Choose an earlier cutoff, a shorter "
                "horizon, pass observation_end if the data runs longer than its last "
                "transaction, or score today's customers with churn_features().",
                column=date_col,
                rule="cutoff + horizon <= observation_end",
                n_rows=len(log),
            )

    codes, uniques = customer_codes(log.ids)
    n_customers = len(uniques)
    day_all = np.floor_divide(log.us, US_PER_DAY)
    day0 = int(day_all.min())
    day = day_all - day0
    order = np.argsort(codes * (int(day.max()) + 1) + day, kind="stable")
    s_codes, s_us, s_day = codes[order], log.us[order], day[order]
    s_values = log.amounts[order] if log.amounts is not None else None

    s_channels = None
    channel_names: list[str] = []
    if channel_col is not None:
        raw = log.column(channel_col)
        check_no_missing(raw, log.ids, column=channel_col, what="transactions")
        history = log.us <= max(cutoff_us)
        ch_codes, ch_uniques = pd.factorize(raw[history], sort=True)
        channel_names = [str(c) for c in ch_uniques]
        all_codes = np.full(len(raw), -1, dtype=np.int64)
        all_codes[history] = ch_codes
        s_channels = all_codes[order]

    frames: list[pd.DataFrame] = []
    labels: list[np.ndarray] = []
    for c_us in cutoff_us:
        present, columns, label = _features_at(
            c_us,
            cutoff_day=int(np.floor_divide(c_us, US_PER_DAY)) - day0,
            horizon_us=horizon_us,
            window_us=window_us,
            n_customers=n_customers,
            codes=s_codes,
            us=s_us,
            day=s_day,
            values=s_values,
            channels=s_channels,
            channel_names=channel_names,
        )
        ids = pd.Index(uniques[present], name=customer_col)
        if stacked:
            day_start = np.floor_divide(c_us, US_PER_DAY) * US_PER_DAY
            stamps = us_to_datetime(np.full(present.size, day_start), log.tz)
            index: pd.Index = pd.MultiIndex.from_arrays(
                [stamps, ids],
                names=["cutoff", customer_col],
            )
        else:
            index = ids
        frame = pd.DataFrame(columns, index=index)
        if attributes is not None:
            frame = _join_attributes(frame, attributes, ids, on_missing_attributes)
        frames.append(frame)
        labels.append(label)

    X = frames[0] if len(frames) == 1 else pd.concat(frames)
    if not labelled:
        return X, None
    y = pd.Series(np.concatenate(labels), index=X.index, name="churned")
    return X, y


def _show(us: int) -> str:
    return str(us_to_datetime(np.array([us]))[0])


def churn_features(
    transactions: Any,
    *,
    as_of: Any = None,
    trend_window: Any = None,
    attributes: pd.DataFrame | pd.Series | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    channel_col: str | None = None,
    on_missing_attributes: Literal["raise", "nan"] = "raise",
    refunds: RefundPolicy = "error",
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Build the features of :func:`churn_dataset` at ``as_of`` without labels (score today).

    A model trained on ``churn_dataset(..., cutoff=c, horizon=h)`` scores the customers of
    ``churn_features(..., as_of=today, trend_window=h)`` (use the same ``trend_window`` as in
    training, which defaults to the horizon there). Nothing after ``as_of`` is needed.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction (pandas, polars or Arrow).
    as_of : date-like, optional
        The day the features describe (its whole day is history). Default: the day of the last
        transaction.
    trend_window : int or timedelta-like
        Window of the trend features (required): pass the ``horizon`` (or ``trend_window``)
        the model was trained with.
    attributes, customer_col, date_col, value_col, channel_col, on_missing_attributes
        As in :func:`churn_dataset`.
    refunds, date_format, dayfirst
        As in :func:`churn_dataset`.

    Returns
    -------
    DataFrame
        The columns of ``X`` in :func:`churn_dataset`, indexed by customer id.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.churn import churn_features
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "date": ["2024-01-01", "2024-03-30 18:00", "2024-02-10"]})
    >>> churn_features(tx, trend_window=30)[["recency_days", "tenure_days"]]
                 recency_days  tenure_days
    customer_id
    a                     0.0         89.0
    b                    49.0         49.0
    """
    X, _ = _build(
        transactions,
        cutoff=as_of,
        horizon=None,
        attributes=attributes,
        customer_col=customer_col,
        date_col=date_col,
        value_col=value_col,
        channel_col=channel_col,
        trend_window=trend_window,
        observation_end=None,
        on_missing_attributes=on_missing_attributes,
        refunds=refunds,
        date_format=date_format,
        dayfirst=dayfirst,
    )
    return X
