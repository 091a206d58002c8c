"""Flow of customers between lifecycle stages from one date to the next."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from customer_models._polars import polars_out
from customer_models._time import normalize_unit, period_codes, period_start_us, us_to_datetime
from customer_models._transactions import TransactionLog, read_with
from customer_models.exceptions import ParameterError
from customer_models.lifecycle._codes import STAGE_DTYPE, STAGES
from customer_models.lifecycle._stages import LifecycleStageClassifier
from customer_models.summary import rfm_summary

if TYPE_CHECKING:
    from customer_models.typing import DateLike

__all__ = ["stage_transitions", "stages_at"]

_SCALAR_DATES = (str, bytes, _dt.date, np.datetime64, pd.Timestamp, pd.Period)


def _cutoffs(
    as_of: Iterable[DateLike], log: TransactionLog, freq: str
) -> tuple[np.ndarray, np.ndarray]:
    """Each date of ``as_of`` as a cut-off: the last µs of its ``freq`` period, and its start.

    Sorted, one per period (two dates in the same period give the same stages).
    """
    if isinstance(as_of, _SCALAR_DATES) or not isinstance(as_of, Iterable):
        raise ParameterError(
            "as_of must be a list of dates (e.g. ['2024-01-31', '2024-06-30']), got a single "
            f"date ({as_of!r})."
        )
    values = list(as_of)
    if not values:
        raise ParameterError("as_of must hold at least one date.")
    aware = {getattr(v, "tzinfo", None) is not None for v in values if not isinstance(v, str)}
    if len(aware) > 1:
        raise ParameterError(
            "as_of mixes timezone-aware and naive dates; give them all in one time zone "
            "(or all naive, on the data's wall clock)."
        )
    ends = np.array([log.cutoff(v, freq, "as_of") for v in values], dtype=np.int64)
    ends = np.unique(ends)
    starts = period_start_us(period_codes(ends, freq), freq)
    return ends, starts


@polars_out
def stages_at(
    transactions: Any,
    as_of: Iterable[DateLike],
    *,
    classifier: LifecycleStageClassifier | None = None,
    customers: Any = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    freq: str = "D",
    time_unit: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Lifecycle stage of every customer as of each date.

    At each date the customer summary is rebuilt from the transactions up to that date
    (:func:`customer_models.rfm_summary` with ``observation_end=date``), a clone of
    ``classifier`` is fitted on it and assigns the stages, so nothing after a date can
    influence the stages at that date.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction (pandas, polars or Arrow).
    as_of : list of date-like
        The dates the stages are evaluated at (str, datetime, date, numpy datetime64,
        Timestamp or Period). Each is a cut-off: the whole ``freq`` period that contains it is
        observed, so with daily periods ``"2024-01-10"`` counts a purchase made at 15:00 on
        January 10, and ``pd.Period("2024-01", "M")`` means up to January 31. Sorted, one per
        period.
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
    date_format, dayfirst
        How string (or integer) transaction dates are read, as in
        :func:`customer_models.rfm_summary`; an ambiguous day/month order is an error
        without them. Transaction dates are read once, for every date.

    Returns
    -------
    pandas.DataFrame
        Index: customer id; one column per date, labelled by the start of its ``freq``
        period (for daily periods, the day at midnight, as a naive wall-clock ``Timestamp``),
        with the ordered categorical stage dtype.

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
    freq = normalize_unit(freq, "freq")
    if classifier is None:
        classifier = LifecycleStageClassifier()
    if not isinstance(classifier, LifecycleStageClassifier):
        raise ParameterError(
            f"classifier must be a LifecycleStageClassifier, got {type(classifier).__name__}."
        )
    log = read_with(transactions, locals())
    ends, starts = _cutoffs(as_of, log, freq)
    ids = log.ids.reset_index(drop=True)
    seen = ids[log.us <= ends[-1]].unique()
    universe = pd.Index(seen)
    if customers is not None:
        universe = universe.append(pd.Index(customers).difference(universe, sort=False))
    universe = universe.unique()
    universe.name = customer_col
    first_purchase = int(log.us.min())
    # The dates are parsed once; every summary reads this frame of µs wall-clock instants.
    parsed = pd.DataFrame({customer_col: ids, date_col: log.us.view("datetime64[us]")})

    columns: dict[pd.Timestamp, pd.Series] = {}
    for end_us, label in zip(ends, us_to_datetime(starts), strict=True):
        if universe.empty or end_us < first_purchase:
            codes = np.zeros(len(universe), dtype=np.int8)  # everybody is a prospect
        else:
            summary = rfm_summary(
                parsed,
                customer_col=customer_col,
                date_col=date_col,
                freq=freq,
                time_unit=time_unit,
                observation_end=np.datetime64(int(end_us), "us"),
            )
            # sklearn's clone would also clone (and so unfit) a valuation model passed as
            # model=; the rules use the fitted model as is, so it is put back.
            fitted = clone(classifier).set_params(model=classifier.model).fit(summary)
            stage = fitted.assign(summary, customers=universe)
            codes = stage.cat.codes.to_numpy()[stage.index.get_indexer(universe)]
        columns[label] = pd.Series(
            pd.Categorical.from_codes(codes, dtype=STAGE_DTYPE), index=universe
        )
    out = pd.DataFrame(columns)
    out.columns.name = None
    return out


@polars_out
def stage_transitions(
    transactions: Any,
    as_of: Iterable[DateLike],
    *,
    classifier: LifecycleStageClassifier | None = None,
    customers: Any = None,
    customer_col: str = "customer_id",
    date_col: str = "date",
    freq: str = "D",
    time_unit: str | None = None,
    include_zero: bool = False,
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Flow of customers between lifecycle stages from each date to the next.

    The stages at each date come from :func:`stages_at` (the summary as of that date, so
    there is no look-ahead). Customers who had not bought yet at a date count as
    ``prospect`` there, so new customers show up as flows out of ``prospect``.

    Parameters
    ----------
    transactions, as_of, classifier, customers, customer_col, date_col, freq, time_unit
        As in :func:`stages_at`; at least two dates in distinct periods are needed.
    include_zero : bool, default False
        Also list (from, to) pairs that no customer took (count 0, share 0).
    date_format, dayfirst
        As in :func:`stages_at`.

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
    if not isinstance(include_zero, (bool, np.bool_)):
        raise ParameterError(f"include_zero must be True or False, got {include_zero!r}.")
    stages = stages_at(
        transactions,
        as_of,
        classifier=classifier,
        customers=customers,
        customer_col=customer_col,
        date_col=date_col,
        freq=freq,
        time_unit=time_unit,
        date_format=date_format,
        dayfirst=dayfirst,
    )
    if stages.shape[1] < 2:
        raise ParameterError(
            "stage_transitions needs at least two distinct dates (in different "
            f"{freq!r} periods: dates in one period give the same stages)."
        )
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
