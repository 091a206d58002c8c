"""Scale out on Dask: the same vectorized kernels, run on each partition of a cluster.

Requires the ``dask`` extra (``pip install "customer_models[dask]"``); importing
``customer_models`` never imports Dask, only this module does.

What runs where:

- :func:`rfm_summary` and :func:`calibration_holdout_split` shuffle the transactions by customer
  (so every customer's rows sit in one partition), then run the in-memory kernel on each
  partition. The result stays a Dask DataFrame, indexed by customer id (sorted within each
  partition, not across partitions).
- :func:`fit_model` groups the distributed summary by the model's input columns in the cluster;
  only the small table of distinct patterns and their counts reaches the fitting process.
- :func:`map_customers` applies any fitted model, segmenter or classifier method to every
  partition with ``map_partitions``; the result stays distributed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models import summary as _summary
from customer_models._distributed import NOT_DISTRIBUTED, import_extra, model_columns, period_end
from customer_models._summary_options import SplitOptions, SummaryOptions, same_keywords
from customer_models._validation import require_columns
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["calibration_holdout_split", "fit_model", "map_customers", "rfm_summary"]


def _dd() -> Any:
    return import_extra("dask.dataframe", "dask", "Dask")


def _check_collection(transactions: Any, what: str) -> None:
    dd = _dd()
    if not isinstance(transactions, dd.DataFrame):
        raise ParameterError(
            f"{what} must be a dask.dataframe.DataFrame; for pandas, polars or Arrow tables use "
            f"customer_models.{what.split()[0]} directly."
        )


def _date_zone(transactions: Any, date_col: str) -> Any:
    """Return the date column's time zone; refuse string dates (they cannot be compared)."""
    require_columns(transactions._meta, [date_col], what="transactions")
    dtype = transactions._meta[date_col].dtype
    if not pd.api.types.is_datetime64_any_dtype(dtype):
        raise ParameterError(
            f"transactions column {date_col!r} has dtype {dtype}; on Dask the dates must be "
            f"datetimes: convert them first, e.g. dd.to_datetime(df[{date_col!r}], "
            "format=...)."
        )
    return getattr(dtype, "tz", None)


def _observation_end(
    transactions: Any, date_col: str, observation_end: Any, freq: str
) -> tuple[Any, Any]:
    """Return ``observation_end`` (default: the last date) and the last instant of its period."""
    _date_zone(transactions, date_col)
    end = observation_end
    if end is None:
        end = pd.Timestamp(transactions[date_col].max().compute())
    return end, _period_end(transactions, date_col, end, freq, "observation_end")


def _period_end(transactions: Any, date_col: str, value: Any, freq: str, argument: str) -> Any:
    """Return the last instant of the cut-off's period, comparable with the date column."""
    return period_end(value, freq, argument, _date_zone(transactions, date_col))


def _with_customer_column(transactions: Any, customer_col: str) -> Any:
    """Return the transactions with the customer id as a column (moved out of the index)."""
    if customer_col not in transactions.columns and transactions.index.name == customer_col:
        return transactions.reset_index()
    require_columns(transactions._meta, [customer_col], what="transactions")
    return transactions


def _by_customer(transactions: Any, customer_col: str, npartitions: int | None) -> Any:
    """Every customer's rows in one partition, with the customer id as a column.

    A frame indexed by customer id with known divisions (``set_index``, or Parquet read with
    ``calculate_divisions=True``) already has that property: no shuffle then, unless
    ``npartitions`` asks for a different partitioning.
    """
    if (
        npartitions is None
        and transactions.index.name == customer_col
        and customer_col not in transactions.columns
        and transactions.known_divisions
    ):
        return transactions.reset_index()
    frame = _with_customer_column(transactions, customer_col)
    return frame.shuffle(on=customer_col, npartitions=npartitions)


def _partition_kernel(
    kernel: Callable[..., pd.DataFrame], meta: pd.DataFrame
) -> Callable[..., pd.DataFrame]:
    """Wrap an in-memory kernel so that empty partitions give an empty, typed frame."""

    def run(part: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
        if len(part) == 0:
            return meta
        # Every partition carries the summary's unit (attrs), so that models scoring a
        # partition (map_customers) know it, and concatenated results keep it.
        return kernel(part, **kwargs)

    return run


def _first_rows(frame: Any, n: int) -> pd.DataFrame:
    """Return the first ``n`` rows, computing only the first partition unless it is empty.

    ``head(n, npartitions=-1)`` would compute every partition of a lazy collection (read every
    file, or run a whole shuffle) just to describe the output.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Insufficient elements for `head`"
        sample = frame.head(n, npartitions=1)
        if len(sample) == 0 and frame.npartitions > 1:
            sample = frame.head(n, npartitions=-1)
    return sample


def _meta_from_sample(
    transactions: Any, kernel: Callable[..., pd.DataFrame], kwargs: dict[str, Any]
) -> pd.DataFrame:
    sample = _first_rows(transactions, 50)
    if len(sample) == 0:
        raise ParameterError("transactions is empty: at least one row is needed.")
    out = kernel(sample, **kwargs)
    return out.iloc[:0].copy()


@same_keywords(_summary.rfm_summary, drop=NOT_DISTRIBUTED)
def rfm_summary(
    transactions: Any, *, npartitions: int | None = None, **options: Unpack[SummaryOptions]
) -> Any:
    """Summarise a Dask DataFrame of transactions per customer, computed in the cluster.

    Same arguments and columns as :func:`customer_models.rfm_summary`, plus ``npartitions``
    (partitions after the shuffle by customer; default: as the input). ``observation_end``
    defaults to the last date in the data (one extra pass over the dates). Transactions
    indexed by ``customer_col`` with known divisions (after ``set_index``, or from Parquet read
    with ``calculate_divisions=True``) are already grouped by customer and are not shuffled.

    Returns
    -------
    dask.dataframe.DataFrame
        Indexed by customer id. The time unit is ``time_unit`` (default ``freq``); the Dask
        frame has no ``attrs``, so pass ``time_unit=`` to models fitted on it with
        :func:`fit_model`. Each partition does carry the unit in its ``attrs``, so models
        applied with :func:`map_customers` check it.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import customer_models as cm
    >>> from customer_models import dask as cmd
    >>> tx = cm.load_cdnow_transactions(sample=True)
    >>> summary = cmd.rfm_summary(dd.from_pandas(tx, npartitions=4), value_col="amount",
    ...                           time_unit="W", observation_end="1997-09-30")
    >>> result = summary.compute().sort_index()
    >>> expected = cm.rfm_summary(tx, value_col="amount", time_unit="W",
    ...                           observation_end="1997-09-30")
    >>> bool((result["frequency"] == expected["frequency"]).all())
    True
    """
    _check_collection(transactions, "rfm_summary input")
    customer_col, date_col = options["customer_col"], options["date_col"]
    end, end_cut = _observation_end(
        transactions, date_col, options["observation_end"], options["freq"]
    )
    kwargs = {**options, "observation_end": end}
    shuffled = _by_customer(transactions, customer_col, npartitions)
    meta = _meta_from_sample(
        _with_customer_column(transactions, customer_col), _summary.rfm_summary, kwargs
    )
    # Customers whose every purchase is after observation_end drop out of their partition.
    before_end = shuffled[shuffled[date_col] <= end_cut]
    return before_end.map_partitions(
        _partition_kernel(_summary.rfm_summary, meta), meta=meta, **kwargs
    )


@same_keywords(_summary.calibration_holdout_split, drop=NOT_DISTRIBUTED)
def calibration_holdout_split(
    transactions: Any, *, npartitions: int | None = None, **options: Unpack[SplitOptions]
) -> Any:
    """Split a Dask DataFrame into calibration summary and holdout outcomes, in the cluster.

    Same arguments and columns as :func:`customer_models.calibration_holdout_split`, plus
    ``npartitions``; like :func:`rfm_summary`, no shuffle for transactions indexed by
    ``customer_col`` with known divisions.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from customer_models import dask as cmd, load_cdnow_transactions
    >>> tx = dd.from_pandas(load_cdnow_transactions(sample=True), npartitions=3)
    >>> split = cmd.calibration_holdout_split(
    ...     tx, calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W")
    >>> int(split["frequency_holdout"].sum().compute())
    1882
    """
    _check_collection(transactions, "calibration_holdout_split input")
    customer_col, date_col, freq = options["customer_col"], options["date_col"], options["freq"]
    end, end_cut = _observation_end(transactions, date_col, options["observation_end"], freq)
    calibration_end = options["calibration_end"]
    cal_cut = _period_end(transactions, date_col, calibration_end, freq, "calibration_end")
    first = pd.Timestamp(transactions[date_col].min().compute())
    if not first <= cal_cut < end_cut:
        # Raise the in-memory function's error on a tiny frame that has the same bounds.
        probe = pd.DataFrame({customer_col: [0, 0], date_col: [first, end]})
        _summary.calibration_holdout_split(
            probe,
            calibration_end=calibration_end,
            observation_end=end,
            customer_col=customer_col,
            date_col=date_col,
            freq=freq,
        )
    kwargs = {**options, "observation_end": end}
    shuffled = _by_customer(transactions, customer_col, npartitions)
    # Meta from one real row moved to the first date, so it is a calibration customer.
    probe = _first_rows(_with_customer_column(transactions, customer_col), 1)
    probe[date_col] = first
    meta = _summary.calibration_holdout_split(probe, **kwargs).iloc[:0]

    # A partition whose customers all start after calibration_end has nobody to summarise.
    def split_partition(part: pd.DataFrame, **kw: Any) -> pd.DataFrame:
        if len(part) == 0 or not (part[date_col] <= cal_cut).any():
            return meta
        return _summary.calibration_holdout_split(part, **kw)

    within = shuffled[shuffled[date_col] <= end_cut]
    return within.map_partitions(split_partition, meta=meta, **kwargs)


def fit_model(
    model: Any,
    summary: Any,
    *,
    columns: Sequence[str] | None = None,
) -> Any:
    """Fit a valuation model on a distributed customer summary through its weighted patterns.

    The summary is grouped by the model's input columns in the cluster; only the distinct
    patterns and their counts are collected and passed to ``model.fit(..., sample_weight=...)``.
    The fitted model is the same as fitting on the whole summary in memory. A covariate model
    (e.g. :class:`customer_models.valuation.BetaGeoCovariateModel`) has its covariate columns
    in the pattern key: categorical covariates keep the table small, a continuous one makes
    about every customer a pattern (see the scaling guide). Missing values are not dropped by
    the grouping: ``model.fit`` refuses them, naming the column.

    Parameters
    ----------
    model : valuation model
        An unfitted model, e.g. :class:`customer_models.BetaGeoModel` (give it
        ``time_unit=``: Dask frames carry no ``attrs``).
    summary : dask.dataframe.DataFrame
        The distributed customer summary.
    columns : sequence of str, optional
        The model's input columns (default: the model's ``required_columns``, then its
        covariate columns).

    Returns
    -------
    model
        The fitted model (``model.fit`` returns it).
    """
    _check_collection(summary, "fit_model summary")
    columns = model_columns(model, columns)
    require_columns(summary._meta, columns, what="summary")
    # dropna=False: a missing value reaches model.fit, which names it (never dropped silently)
    patterns = summary[columns].groupby(columns, dropna=False).size().compute()
    # The counts stay out of the table: a summary column may be called "weight".
    table = patterns.index.to_frame(index=False)
    return model.fit(table, sample_weight=patterns.to_numpy(dtype=np.float64))


def _output_meta(summary: Any, func: Callable[[pd.DataFrame], Any]) -> Any:
    from dask.dataframe.utils import meta_nonempty

    stand_in = meta_nonempty(summary._meta)
    stand_in.attrs = dict(summary._meta.attrs)  # the summary's unit, for models to check
    try:
        result = func(stand_in)
    except Exception:  # e.g. a check the fake rows fail: describe the output from real rows
        result = func(_first_rows(summary, 20))
    return result.iloc[:0]


def map_customers(
    summary: Any,
    func: Callable[[pd.DataFrame], pd.Series | pd.DataFrame],
    *,
    meta: Any = None,
) -> Any:
    """Apply a per-customer function (e.g. ``model.probability_alive``) to every partition.

    Parameters
    ----------
    summary : dask.dataframe.DataFrame
        The distributed customer summary (or any per-customer table).
    func : callable
        Takes a pandas DataFrame of customers, returns a Series or DataFrame on its index: a
        bound method of a fitted model (``model.probability_alive``), of a fitted segmenter
        (``segmenter.predict``), or a ``functools.partial``.
    meta : optional
        Dask's description of the output. Default: ``func`` run on Dask's two-row stand-in
        of the summary (``meta_nonempty``; nothing is computed), or, if ``func`` fails on
        it, on the first rows of the summary (which computes its first partition: the whole
        shuffle for a summary that is not persisted).

    Returns
    -------
    dask.dataframe.Series or dask.dataframe.DataFrame
        The distributed result, on the summary's index.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import customer_models as cm
    >>> from customer_models import dask as cmd
    >>> summary = dd.from_pandas(cm.load_cdnow_summary(), npartitions=2)
    >>> repeat = cmd.map_customers(summary, lambda df: (df["frequency"] > 0).rename("repeat"))
    >>> int(repeat.sum().compute())
    946
    """
    _check_collection(summary, "map_customers summary")
    if meta is None:
        meta = _output_meta(summary, func)
    return summary.map_partitions(lambda part: func(part) if len(part) else meta, meta=meta)
