"""Build a leakage-free churn training set (features as of a cutoff, label after it).

The transactions are read and sorted by (customer, day) once (``_history``); then, for each
cutoff, the features are reductions over the rows dated on or before it (``_features``), the
label looks at the purchases in the horizon after it, and the attributes are joined
(``_attributes``). The time arguments are read and checked in ``_cutoffs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from customer_models._polars import polars_out
from customer_models._time import US_PER_DAY, us_to_datetime
from customer_models._transactions import RefundPolicy
from customer_models._validation import check_choice
from customer_models.churn._attributes import join_attributes
from customer_models.churn._cutoffs import check_cutoffs, cutoff_list, duration_us
from customer_models.churn._features import churn_labels, features_at
from customer_models.churn._history import Reading, read_log, sort_history
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from customer_models.churn._cutoffs import CutoffsLike, DurationLike
    from customer_models.typing import DateLike

__all__ = ["churn_dataset", "churn_features"]


@polars_out
def churn_dataset(
    transactions: Any,
    *,
    as_of: CutoffsLike,
    horizon: DurationLike,
    attributes: pd.DataFrame | pd.Series | None = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = None,
    channel_col: str | None = None,
    trend_window: DurationLike | None = None,
    observation_end: DateLike | None = None,
    on_missing_attributes: Literal["raise", "nan"] = "raise",
    refunds: RefundPolicy = "error",
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Features as of a day and the label "no purchase in the following horizon".

    For every customer with at least one transaction on or before ``as_of``, the features are
    computed from those transactions only (the table is filtered to ``date <= as_of`` before
    any feature is computed), and the label is 1 if the customer makes no purchase in
    ``(as_of, as_of + horizon]``. Nothing after ``as_of`` can change ``X``.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction (pandas, polars or Arrow).
    as_of : date-like or list of date-likes
        The day the features are computed at (the cutoff between history and label window). It
        means its whole day: purchases at any time on that day are history, and the label window
        starts the next day. With a list, one training set per day is built and they are
        stacked, with an ``as_of`` level (the day) in front of the customer id in the index
        (the same customer appears once per day at which they had purchased).
    horizon : int, float or timedelta-like
        Length of the label window: a number of days, or anything :class:`pandas.Timedelta`
        accepts (``"90D"``, ``pd.Timedelta(weeks=13)``).
    attributes : DataFrame or Series, optional
        Customer attributes indexed by customer id (plan, region, age, ...), joined on the
        customer id. They must describe the customer as known at ``as_of``; this function
        cannot check that. Every customer in ``X`` must have a row (see
        ``on_missing_attributes``).
    customer_col, date_col : str
        Customer id and transaction date columns.
    value_col : str, optional
        Transaction value column; adds the spend features.
    channel_col : str, optional
        Sales channel column (web, store, ...); adds the share of each channel. The channel
        columns are the channels seen on or before the latest ``as_of``, sorted by name.
    trend_window : int or timedelta-like, optional
        Window for the trend features (default: ``horizon``): ``n_recent`` counts
        transactions in ``(as_of - w, as_of]``, ``n_previous`` in
        ``(as_of - 2w, as_of - w]``.
    observation_end : date-like, optional
        End of the data (default: the last transaction date). ``as_of + horizon`` must not be
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
        Indexed by customer id (or ``(as_of, customer id)`` for a list of days), with the
        columns below (days are whole calendar days, as in the daily customer summary):

        - ``recency_days``: days from the last purchase to ``as_of`` (marketing recency, not
          the BTYD ``recency`` of :func:`~customer_models.rfm_summary`);
        - ``tenure_days``: days from the first purchase to ``as_of``;
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
        ``(as_of, as_of + horizon]``, else 0.

    Raises
    ------
    MissingColumnError
        A named column is absent.
    DataValidationError
        Bad transactions (missing ids or dates, bad values), an ``as_of`` before every purchase,
        ``as_of + horizon`` after ``observation_end``, duplicated attribute ids or customers
        without attributes.
    ParameterError
        A non-positive horizon, duplicated ``as_of`` days, or attribute columns named like features.

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
    >>> X, y = churn_dataset(tx, as_of="2024-01-31", horizon=30, value_col="amount",
    ...                      observation_end="2024-03-31")
    >>> X[["recency_days", "tenure_days", "n_transactions", "ipt_mean_days"]]
                 recency_days  tenure_days  n_transactions  ipt_mean_days
    customer_id
    a                    20.0         30.0               2           10.0
    b                    11.0         11.0               1            NaN
    >>> y.tolist()  # a bought on Feb 5; b's next purchase (Mar 20) is after the horizon
    [0, 1]
    """
    reading = Reading(
        customer_col, date_col, value_col, channel_col, refunds, date_format, dayfirst
    )
    check_choice(on_missing_attributes, "on_missing_attributes", ("raise", "nan"))
    attributed = (attributes, on_missing_attributes)
    X, y = _build(transactions, reading, attributed, as_of, horizon, trend_window, observation_end)
    assert y is not None  # a horizon was given
    return X, y


def _build(
    transactions: Any,
    reading: Reading,
    attributed: tuple[pd.DataFrame | pd.Series | None, str],
    as_of: CutoffsLike,
    horizon: DurationLike | None,
    trend_window: DurationLike | None,
    observation_end: DateLike | None,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Features at each ``as_of`` day, and the labels when a ``horizon`` is given.

    ``attributed`` is ``(attributes, on_missing_attributes)``.
    """
    log = read_log(transactions, reading)
    horizon_us = None if horizon is None else duration_us(horizon, "horizon")
    if trend_window is not None:
        window_us = duration_us(trend_window, "trend_window")
    elif horizon_us is not None:
        window_us = horizon_us
    else:
        raise ParameterError(
            "trend_window is required without a horizon: pass the horizon (or trend_window) "
            "the churn model was trained with, e.g. trend_window=90."
        )
    cutoffs, stacked = cutoff_list(as_of)
    cutoff_us = [log.end(c, "D", "as_of") for c in cutoffs]
    check_cutoffs(log, cutoffs, cutoff_us, horizon_us=horizon_us, observation_end=observation_end)
    history = sort_history(log, reading.channel_col, max(cutoff_us))

    frames: list[pd.DataFrame] = []
    labels: list[np.ndarray] = []
    for c_us in cutoff_us:
        present, columns = features_at(history, c_us, window_us)
        ids = pd.Index(history.ids[present], name=reading.customer_col)
        index = _stacked_index(ids, c_us, log.tz) if stacked else ids
        frame = pd.DataFrame(columns, index=index)
        attributes, on_missing = attributed
        if attributes is not None:
            frame = join_attributes(frame, attributes, ids, on_missing)
        frames.append(frame)
        if horizon_us is not None:
            labels.append(churn_labels(history, c_us, horizon_us, present))
    X = frames[0] if len(frames) == 1 else pd.concat(frames)
    if horizon_us is None:
        return X, None
    return X, pd.Series(np.concatenate(labels), index=X.index, name="churned")


def _stacked_index(ids: pd.Index, cutoff_us: int, tz: Any) -> pd.MultiIndex:
    """``(as_of, customer id)`` for a stacked training set; the ``as_of`` level is its day."""
    day_start = np.floor_divide(cutoff_us, US_PER_DAY) * US_PER_DAY
    stamps = us_to_datetime(np.full(len(ids), day_start), tz)
    return pd.MultiIndex.from_arrays([stamps, ids], names=["as_of", ids.name])


@polars_out
def churn_features(
    transactions: Any,
    *,
    as_of: CutoffsLike = None,
    trend_window: DurationLike | None = None,
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

    A model trained on ``churn_dataset(..., as_of=c, horizon=h)`` scores the customers of
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
    reading = Reading(
        customer_col, date_col, value_col, channel_col, refunds, date_format, dayfirst
    )
    check_choice(on_missing_attributes, "on_missing_attributes", ("raise", "nan"))
    attributed = (attributes, on_missing_attributes)
    return _build(transactions, reading, attributed, as_of, None, trend_window, None)[0]
