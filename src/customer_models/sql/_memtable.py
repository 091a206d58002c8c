"""An in-memory Ibis table of a pandas, polars or Arrow frame, its index kept as columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

from customer_models._distributed import import_extra
from customer_models._polars import index_as_columns, is_polars
from customer_models._validation import as_pandas, check_unique_columns
from customer_models.exceptions import ParameterError
from customer_models.sql._read import ibis_module

__all__ = ["memtable"]


def memtable(frame: Any) -> Any:
    """Return an Ibis in-memory table of ``frame``, with its index as columns.

    A customer summary keeps its customer ids in the index, and ``ibis.memtable`` of a pandas
    frame warns on pandas 3 (it reads a deprecated pandas option). This converts through Arrow
    once: a named index becomes leading columns (``customer_id`` for a summary), an unnamed
    one the column ``index``, a plain ``RangeIndex`` is dropped, as in a polars result. The
    table lives in Ibis' default backend (DuckDB in memory) until it is used with another
    connection; for a table in a database, use ``con.create_table(name, frame)``.

    Parameters
    ----------
    frame : pandas.DataFrame, polars DataFrame or LazyFrame, or pyarrow.Table
        The rows. Polars and Arrow tables are passed to Ibis as Arrow, without pandas.

    Returns
    -------
    ibis.expr.types.Table

    Raises
    ------
    ParameterError
        When ``frame`` is not a table.
    DataValidationError
        When two columns of ``frame`` have the same name.

    Examples
    --------
    >>> import customer_models as cm
    >>> import customer_models.sql as cms
    >>> table = cms.memtable(cm.load_cdnow_summary())
    >>> table.columns[:3]
    ('customer_id', 'frequency', 'recency')
    >>> int(table.count().to_pyarrow().as_py())
    2357
    """
    ibis = ibis_module()
    pa = import_extra("pyarrow", "sql", "PyArrow")
    if is_polars(frame) and hasattr(frame, "collect"):  # a LazyFrame
        frame = frame.collect()
    if is_polars(frame) and hasattr(frame, "columns"):  # a DataFrame (a Series is refused below)
        arrow = frame.to_arrow()
    elif isinstance(frame, pa.Table):
        arrow = frame
        check_unique_columns(pd.DataFrame(columns=arrow.column_names), what="frame")
    else:
        pandas = as_pandas(frame, what="frame")
        if not isinstance(pandas, pd.DataFrame):  # e.g. a polars Series
            raise ParameterError(f"frame must be a table, got {type(frame).__name__}.")
        arrow = pa.Table.from_pandas(index_as_columns(pandas), preserve_index=False)
    return ibis.memtable(arrow)
