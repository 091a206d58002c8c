"""The churn features at one cutoff, and the label after it, as reductions over sorted arrays.

Every feature is a reduction (``bincount``, ``minimum.at``, neighbour differences) over the
rows dated on or before the cutoff, so no Python loop runs per customer and no transaction
after the cutoff can reach the features.
"""

from __future__ import annotations

import numpy as np

from customer_models.churn._history import History

__all__ = ["churn_labels", "features_at", "trend"]


def trend(recent: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """(recent - previous) / (|recent| + |previous|) in [-1, 1]; 0 when both are 0.

    Examples
    --------
    >>> trend(np.array([3.0, 0.0, 0.0]), np.array([1.0, 2.0, 0.0]))
    array([ 0.5, -1. ,  0. ])
    """
    denominator = np.abs(recent) + np.abs(previous)
    return np.divide(
        recent - previous, denominator, out=np.zeros(recent.size), where=denominator > 0
    )


def features_at(
    history: History, cutoff_us: int, window_us: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Codes of the customers with a purchase by the cutoff, and their feature columns.

    ``cutoff_us`` is the last instant of the cut-off day; ``window_us`` the trend window.
    """
    n = history.n_customers
    keep = history.us <= cutoff_us
    kc, kus, kday = history.codes[keep], history.us[keep], history.day[keep]
    n_tx = np.bincount(kc, minlength=n)
    present = np.flatnonzero(n_tx > 0)
    cutoff_day = history.day_of(cutoff_us)

    first_day = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_day, kc, kday)
    last_day = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_day, kc, kday)
    n_days, ipt_mean, ipt_std = _gap_stats(kc, kday, n)
    recent = kus > cutoff_us - window_us
    previous = (kus > cutoff_us - 2 * window_us) & ~recent
    n_recent = np.bincount(kc[recent], minlength=n)[present]
    n_previous = np.bincount(kc[previous], minlength=n)[present]

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
        "n_recent": n_recent,
        "n_previous": n_previous,
        "purchase_trend": trend(n_recent.astype(np.float64), n_previous.astype(np.float64)),
    }
    if history.values is not None:
        kv = history.values[keep]
        columns |= _value_columns(kc, kv, recent, previous, n, present, n_tx[present])
    if history.channels is not None:
        counts = _channel_counts(kc, history.channels[keep], len(history.channel_names), n)
        shares = counts[present] / n_tx[present][:, None]
        for j, name in enumerate(history.channel_names):
            columns[f"channel_share_{name}"] = shares[:, j]
    return present, columns


def churn_labels(
    history: History, cutoff_us: int, horizon_us: int, present: np.ndarray
) -> np.ndarray:
    """1 for the ``present`` customers with no purchase in ``(cutoff, cutoff + horizon]``."""
    label_rows = (history.us > cutoff_us) & (history.us <= cutoff_us + horizon_us)
    bought = np.bincount(history.codes[label_rows], minlength=history.n_customers)[present] > 0
    return (~bought).astype(np.int64)


def _gap_stats(kc: np.ndarray, kday: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Distinct purchase days, and mean and std (ddof 1) of the gaps between them.

    Rows are sorted by (customer, day), so the gaps are neighbour differences.
    """
    new_day = np.ones(kc.size, dtype=bool)
    new_day[1:] = (kc[1:] != kc[:-1]) | (kday[1:] != kday[:-1])
    dc, dday = kc[new_day], kday[new_day]
    n_days = np.bincount(dc, minlength=n)
    same = dc[1:] == dc[:-1]
    gap_code = dc[1:][same]
    gaps = (dday[1:] - dday[:-1])[same].astype(np.float64)
    n_gaps = n_days - 1
    gap_sum = np.bincount(gap_code, weights=gaps, minlength=n)
    ipt_mean = np.divide(gap_sum, n_gaps, out=np.full(n, np.nan), where=n_gaps > 0)
    squares = np.bincount(gap_code, weights=(gaps - ipt_mean[gap_code]) ** 2, minlength=n)
    ipt_std = np.sqrt(np.divide(squares, n_gaps - 1, out=np.full(n, np.nan), where=n_gaps > 1))
    return n_days, ipt_mean, ipt_std


def _value_columns(
    kc: np.ndarray,
    kv: np.ndarray,
    recent: np.ndarray,
    previous: np.ndarray,
    n: int,
    present: np.ndarray,
    n_tx: np.ndarray,
) -> dict[str, np.ndarray]:
    """Return the spend features of the ``present`` customers (``n_tx``: their transactions)."""
    total = np.bincount(kc, weights=kv, minlength=n)[present]
    value_recent = np.bincount(kc[recent], weights=kv[recent], minlength=n)[present]
    value_previous = np.bincount(kc[previous], weights=kv[previous], minlength=n)[present]
    return {
        "monetary_total": total,
        "monetary_mean": total / n_tx,
        "value_recent": value_recent,
        "value_previous": value_previous,
        "spend_trend": trend(value_recent, value_previous),
    }


def _channel_counts(kc: np.ndarray, kch: np.ndarray, n_channels: int, n: int) -> np.ndarray:
    """Transactions of each customer in each channel, shape (n, n_channels)."""
    return np.bincount(kc * n_channels + kch, minlength=n * n_channels).reshape(n, n_channels)
