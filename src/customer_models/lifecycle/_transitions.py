"""Flow of customers between lifecycle stages from one date to the next."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from customer_models._validation import as_pandas, require_columns
from customer_models.exceptions import ParameterError
from customer_models.lifecycle._stages import STAGE_DTYPE, STAGES, LifecycleStageClassifier
from customer_models.summary import rfm_summary

__all__ = ["stage_transitions", "stages_at"]


def _dates(dates: Iterable[Any]) -> pd.DatetimeIndex:
    if isinstance(dates, (str, pd.Timestamp)):
        raise ParameterError("dates must be a list of at least two dates, got a single date.")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(list(dates)))
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"dates could not be read as dates ({exc}).") from exc
    if index.hasnans:
        raise ParameterError("dates must not contain missing values.")
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.unique().sort_values()


def stages_at(
    transactions: Any,
    dates: Iterable[Any],
    *,
    classifier: LifecycleStageClassifier | None = None,
    customers: Any = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    freq: str = "D",
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Lifecycle stage of every customer as of each date.

    At each date the customer summary is rebuilt from the transactions up to that date
    (:func:`customer_models.rfm_summary` with ``observation_end=date``), a clone of
    ``classifier`` is fitted on it and predicts the stages, so nothing after a date can
    influence the stages at that date.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction (pandas, polars or Arrow).
    dates : list of date-like
        The dates (sorted and de-duplicated).
    classifier : LifecycleStageClassifier, optional
        The stage rules; default ``LifecycleStageClassifier()``. Only its parameters are
        used (it is cloned and refitted at every date); a valuation ``model`` given for the
        probabilistic mode is used as fitted, not refitted.
    customers : array-like, optional
        Every known customer id. Customers without a purchase by a date are ``prospect`` at
        that date; by default the customers are those who bought by the last date.
    customer_col, date_col : str
        Column names of the customer id and the transaction date.
    freq, time_unit : str
        Passed to :func:`customer_models.rfm_summary` (purchase period and unit of
        ``recency``/``T``).

    Returns
    -------
    pandas.DataFrame
        Index: customer id; one column per date (``Timestamp``), with the ordered categorical
        stage dtype.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.lifecycle import stages_at
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-03-01"])})
    >>> stages_at(tx, ["2024-01-31", "2024-06-30"])
                2024-01-31 2024-06-30
    customer_id
    1                  new    at_risk
    2             prospect    at_risk
    """
    df = as_pandas(transactions, what="transactions")
    require_columns(df, [customer_col, date_col], what="transactions")
    when = _dates(dates)
    if len(when) == 0:
        raise ParameterError("dates must hold at least one date.")
    if classifier is None:
        classifier = LifecycleStageClassifier()
    if not isinstance(classifier, LifecycleStageClassifier):
        raise ParameterError(
            f"classifier must be a LifecycleStageClassifier, got {type(classifier).__name__}."
        )
    tx_dates = pd.to_datetime(df[date_col])
    if tx_dates.dt.tz is not None:
        tx_dates = tx_dates.dt.tz_localize(None)
    seen = df.loc[(tx_dates <= when[-1]).to_numpy(), customer_col].unique()
    universe = pd.Index(seen)
    if customers is not None:
        universe = universe.append(pd.Index(customers).difference(universe, sort=False))
    universe = universe.unique()
    universe.name = customer_col
    first_purchase = tx_dates.min()

    columns: dict[pd.Timestamp, pd.Series] = {}
    for date in when:
        if universe.empty or date < first_purchase:
            codes = np.zeros(len(universe), dtype=np.int8)  # everybody is a prospect
        else:
            summary = rfm_summary(
                df,
                customer_col=customer_col,
                date_col=date_col,
                freq=freq,
                time_unit=time_unit,
                observation_end=date,
            )
            # sklearn's clone would also clone (and so unfit) a valuation model passed as
            # model=; the rules use the fitted model as is, so it is put back.
            fitted = clone(classifier).set_params(model=classifier.model).fit(summary)
            stage = fitted.predict(summary, customers=universe)
            codes = stage.cat.codes.to_numpy()[stage.index.get_indexer(universe)]
        columns[date] = pd.Series(
            pd.Categorical.from_codes(codes, dtype=STAGE_DTYPE), index=universe
        )
    out = pd.DataFrame(columns)
    out.columns.name = None
    return out


def stage_transitions(
    transactions: Any,
    dates: Iterable[Any],
    *,
    classifier: LifecycleStageClassifier | None = None,
    customers: Any = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    freq: str = "D",
    time_unit: str | None = None,
    include_zero: bool = False,
) -> pd.DataFrame:
    """Flow of customers between lifecycle stages from each date to the next.

    The stages at each date come from :func:`stages_at` (the summary as of that date, so
    there is no look-ahead). Customers who had not bought yet at a date count as
    ``prospect`` there, so new customers show up as flows out of ``prospect``.

    Parameters
    ----------
    transactions, dates, classifier, customers, customer_col, date_col, freq, time_unit
        As in :func:`stages_at`; at least two distinct dates are needed.
    include_zero : bool, default False
        Also list (from, to) pairs that no customer took (count 0, share 0).

    Returns
    -------
    pandas.DataFrame
        One row per (consecutive date pair, from_stage, to_stage), columns ``start``,
        ``end`` (the two dates), ``from_stage``, ``to_stage`` (ordered categoricals),
        ``count`` (customers) and ``share`` (``count`` over the customers in ``from_stage``
        at ``start``; the shares out of each stage sum to 1).

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.lifecycle import stage_transitions
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-20", "2024-03-01"])})
    >>> stage_transitions(tx, ["2024-01-31", "2024-06-30"])
           start        end from_stage to_stage  count  share
    0 2024-01-31 2024-06-30   prospect  at_risk      1    1.0
    1 2024-01-31 2024-06-30        new  at_risk      1    1.0
    """
    stages = stages_at(
        transactions,
        dates,
        classifier=classifier,
        customers=customers,
        customer_col=customer_col,
        date_col=date_col,
        freq=freq,
        time_unit=time_unit,
    )
    if stages.shape[1] < 2:
        raise ParameterError("stage_transitions needs at least two distinct dates.")
    k = len(STAGES)
    from_idx, to_idx = np.divmod(np.arange(k * k), k)
    frames = []
    for start, end in zip(stages.columns[:-1], stages.columns[1:], strict=True):
        a = stages[start].cat.codes.to_numpy().astype(np.int64)
        b = stages[end].cat.codes.to_numpy().astype(np.int64)
        counts = np.bincount(a * k + b, minlength=k * k)
        totals = counts.reshape(k, k).sum(axis=1)[from_idx]
        share = np.divide(counts, totals, out=np.zeros(k * k), where=totals > 0)
        frames.append(
            pd.DataFrame(
                {
                    "start": start,
                    "end": end,
                    "from_stage": pd.Categorical.from_codes(from_idx, dtype=STAGE_DTYPE),
                    "to_stage": pd.Categorical.from_codes(to_idx, dtype=STAGE_DTYPE),
                    "count": counts.astype(np.int64),
                    "share": share,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    if not include_zero:
        out = out.loc[out["count"] > 0].reset_index(drop=True)
    return out
