"""Scale out on Spark: the same vectorized kernels, run on groups of whole customers.

Requires the ``spark`` extra (``pip install "customer_models[spark]"``, which installs
``pyspark``; Spark needs Java 17 or newer); importing ``customer_models`` never imports
PySpark, only this module does.

What runs where:

- :func:`rfm_summary` and :func:`calibration_holdout_split` hash every customer into one of
  ``n_buckets`` buckets and run the in-memory kernel on each bucket with ``applyInPandas``
  (a bucket holds all rows of its customers, so the kernel sees whole customers). The
  cut-offs are computed once, on the whole table, before.
- :func:`fit_model` counts the distinct patterns of the model's input columns in Spark; only
  that small table reaches the fitting process.
- :func:`map_customers` applies a fitted model's (or segmenter's) method to every batch of
  customers with ``mapInPandas``.

A Spark DataFrame has no index and no ``attrs``: the customer id is a column and the time unit
is stated where a model needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from customer_models import summary as _summary
from customer_models._distributed import NOT_DISTRIBUTED, import_extra, model_columns, period_end
from customer_models._summary_options import SplitOptions, SummaryOptions, same_keywords
from customer_models._validation import check_number, check_str
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["calibration_holdout_split", "fit_model", "map_customers", "rfm_summary"]

_BUCKET = "_cm_bucket"


def _pyspark() -> Any:
    return import_extra("pyspark.sql.functions", "spark", "PySpark")


def _check_frame(df: Any, what: str, columns: Sequence[str]) -> None:
    if not (hasattr(df, "sparkSession") and hasattr(df, "mapInPandas")):
        raise ParameterError(
            f"{what} must be a pyspark.sql.DataFrame, got {type(df).__name__} (use "
            "customer_models.rfm_summary for pandas, customer_models.dask for Dask)."
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ParameterError(f"{what} has no column(s) {missing} (columns: {list(df.columns)}).")


def _cutoff(df: Any, date_col: str, value: Any, freq: str, argument: str) -> pd.Timestamp:
    """Return the cut-off (default: the last date) as the last instant of its period."""
    sf = _pyspark()
    if value is None:
        value = df.agg(sf.max(date_col)).collect()[0][0]
        if value is None:
            raise ParameterError(f"{date_col} has no dates: at least one row is needed.")
    return period_end(value, freq, argument)


def _bucketed(df: Any, customer_col: str, n_buckets: int | None) -> tuple[Any, int]:
    sf = _pyspark()
    n = (
        int(df.sparkSession.conf.get("spark.sql.shuffle.partitions"))
        if n_buckets is None
        else check_number(n_buckets, "n_buckets", low=1, high=1_000_000, integer=True)
    )
    return df.withColumn(_BUCKET, sf.pmod(sf.hash(sf.col(customer_col)), sf.lit(n))), n


def _rows_until_end(transactions: Any, options: Mapping[str, Any]) -> tuple[Any, pd.Timestamp]:
    """Return the columns the summary reads, up to the end of observation, and that end.

    Customers whose every purchase is after the end are not in the summary.
    """
    _pyspark()
    date_col, value_col = options["date_col"], options["value_col"]
    columns = [options["customer_col"], date_col] + ([value_col] if value_col is not None else [])
    _check_frame(transactions, "transactions", columns)
    end = _cutoff(
        transactions, date_col, options["observation_end"], options["freq"], "observation_end"
    )
    return transactions.select(*columns).where(transactions[date_col] <= end), end


def _apply_by_customer(
    df: Any,
    kernel: Callable[..., pd.DataFrame],
    options: Mapping[str, Any],
    *,
    end: pd.Timestamp,
    n_buckets: int | None,
) -> Any:
    """Run an in-memory kernel on groups of whole customers; schema from a small sample.

    ``options`` are the kernel's keywords but ``observation_end``, which is ``end``.
    """
    kwargs = {**options, "observation_end": end}
    customer_col = options["customer_col"]
    sample = df.limit(200).toPandas()
    if len(sample) == 0:
        raise ParameterError("transactions is empty: at least one row is needed.")
    example = kernel(sample, **kwargs).reset_index()
    schema = df.sparkSession.createDataFrame(example.head(1)).schema

    def run(part: pd.DataFrame) -> pd.DataFrame:
        return kernel(part.drop(columns=_BUCKET), **kwargs).reset_index()

    bucketed, _ = _bucketed(df, customer_col, n_buckets)
    return bucketed.groupBy(_BUCKET).applyInPandas(run, schema=schema)


@same_keywords(_summary.rfm_summary, drop=NOT_DISTRIBUTED)
def rfm_summary(
    transactions: Any, *, n_buckets: int | None = None, **options: Unpack[SummaryOptions]
) -> Any:
    """Summarise a Spark DataFrame of transactions per customer, computed in Spark.

    Same arguments and columns as :func:`customer_models.rfm_summary`, with the customer id as
    the first column instead of the index, plus ``n_buckets`` (groups of customers the kernel
    runs on; default ``spark.sql.shuffle.partitions``). ``observation_end`` defaults to the
    last date in the data (one aggregation). The dates must be a Spark date or timestamp
    column (a naive timestamp is read in the session time zone's wall-clock time).

    Returns
    -------
    pyspark.sql.DataFrame
        One row per customer; the time unit is ``time_unit`` (default ``freq``): pass it to
        models fitted with :func:`fit_model`.

    Examples
    --------
    On a session (``tests/test_spark.py`` runs this on ``local[2]``)::

        from pyspark.sql import SparkSession
        import customer_models as cm
        from customer_models import spark as cms

        spark = SparkSession.builder.master("local[2]").getOrCreate()
        tx = spark.createDataFrame(cm.load_cdnow_transactions(sample=True))
        summary = cms.rfm_summary(tx, value_col="amount", time_unit="W")
    """
    rows, end = _rows_until_end(transactions, options)
    return _apply_by_customer(rows, _summary.rfm_summary, options, end=end, n_buckets=n_buckets)


@same_keywords(_summary.calibration_holdout_split, drop=NOT_DISTRIBUTED)
def calibration_holdout_split(
    transactions: Any, *, n_buckets: int | None = None, **options: Unpack[SplitOptions]
) -> Any:
    """Calibration summary plus holdout outcomes of a Spark DataFrame, computed in Spark.

    Same arguments and columns as :func:`customer_models.calibration_holdout_split`, with the
    customer id as the first column, plus ``n_buckets`` (see :func:`rfm_summary`).

    Returns
    -------
    pyspark.sql.DataFrame
        One row per customer whose first purchase is on or before ``calibration_end``.
    """
    rows, end = _rows_until_end(transactions, options)
    calibration = _cutoff(
        transactions,
        options["date_col"],
        options["calibration_end"],
        options["freq"],
        "calibration_end",
    )
    options = {**options, "calibration_end": calibration}
    return _apply_by_customer(
        rows, _summary.calibration_holdout_split, options, end=end, n_buckets=n_buckets
    )


def fit_model(model: Any, summary: Any, *, columns: Sequence[str] | None = None) -> Any:
    """Fit a valuation model on a Spark summary through its weighted patterns.

    The distinct values of the model's input columns (with a covariate model's covariate
    columns) are counted in Spark; only that table
    reaches ``model.fit(patterns, sample_weight=counts)``, which gives the same fit as the
    whole summary in memory. Give the model its ``time_unit=``: a Spark frame has no
    ``attrs``.
    """
    sf = _pyspark()
    columns = model_columns(model, columns)
    _check_frame(summary, "summary", columns)
    patterns = summary.groupBy(*columns).agg(sf.count(sf.lit(1)).alias("_cm_weight")).toPandas()
    weights = patterns.pop("_cm_weight").to_numpy(dtype=float)
    return model.fit(patterns, sample_weight=weights)


def map_customers(
    summary: Any,
    func: Callable[[pd.DataFrame], pd.Series | pd.DataFrame],
    *,
    customer_col: str = "customer_id",
    time_unit: str | None = None,
    schema: Any = None,
) -> Any:
    """Apply a per-customer function (e.g. ``model.probability_alive``) to every batch.

    Each batch of rows becomes a pandas frame indexed by ``customer_col`` with
    ``attrs["time_unit"] = time_unit`` (so a model checks the unit), ``func`` runs on it, and
    its Series or DataFrame comes back with the customer id as the first column.

    Parameters
    ----------
    summary : pyspark.sql.DataFrame
        A per-customer table with ``customer_col``.
    func : callable
        Takes a pandas DataFrame of customers, returns a Series or DataFrame on its index.
    customer_col : str, default "customer_id"
    time_unit : str, optional
        The unit of the summary's recency and T (a Spark frame has no ``attrs``).
    schema : pyspark.sql.types.StructType or DDL str, optional
        Of the output; default: ``func`` run on the first rows.

    Returns
    -------
    pyspark.sql.DataFrame
    """
    _pyspark()
    customer_col = check_str(customer_col, "customer_col")
    _check_frame(summary, "summary", [customer_col])

    def as_frame(batch: pd.DataFrame) -> pd.DataFrame:
        indexed = batch.set_index(customer_col)
        if time_unit is not None:
            indexed.attrs["time_unit"] = time_unit
        out = func(indexed)
        if isinstance(out, pd.Series):
            out = out.to_frame(out.name if out.name is not None else "value")
        if not isinstance(out, pd.DataFrame):
            raise ParameterError(
                f"func must return a Series or DataFrame on the customer index, got "
                f"{type(out).__name__}."
            )
        return out.rename_axis(customer_col).reset_index()

    if schema is None:
        first = summary.limit(20).toPandas()
        if len(first) == 0:
            raise ParameterError("summary is empty: at least one row is needed.")
        schema = summary.sparkSession.createDataFrame(as_frame(first).head(1)).schema

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            if len(batch):
                yield as_frame(batch)

    return summary.mapInPandas(run, schema=schema)
