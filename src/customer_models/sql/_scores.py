"""Scores back into the database: chunked writes with the model alongside, and SQL rescoring.

:func:`write_scores` writes a per-customer score frame to a table in chunks and the model
that made it (its JSON, the model file's text) to a second table, so the warehouse keeps
what made each number. :func:`probability_alive_expression` is the closed-form BG/NBD and
MBG/NBD P(alive) as an Ibis column expression: compiled with ``ibis.to_sql`` it is plain SQL
the warehouse can run on a summary table without Python.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._validation import check_number, check_str
from customer_models._validation._rules import check_rule
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.sql._read import ibis_module
from customer_models.valuation._bgnbd import BetaGeoModel
from customer_models.valuation._checks import _canonical_unit
from customer_models.valuation._io import model_to_json
from customer_models.valuation._mbgnbd import ModifiedBetaGeoModel

if TYPE_CHECKING:
    from customer_models.valuation._base import ValuationModel

__all__ = ["probability_alive_expression", "write_scores"]

#: exp() of more than this overflows a double, and PostgreSQL raises on overflow (and on
#: underflow) instead of returning inf or 0; P(alive) at |log-odds| > 700 is 1 or < 1e-304.
_MAX_LOG_ODDS = 700.0


def _check_connection(con: Any) -> None:
    if not all(hasattr(con, name) for name in ("create_table", "insert", "table")):
        raise ParameterError(
            "con must be an Ibis backend connection (e.g. ibis.duckdb.connect() or "
            f"ibis.connect('postgresql://...')), got {type(con).__name__}."
        )


def _pyarrow() -> Any:
    import pyarrow  # installed with Ibis

    return pyarrow


def _exists(con: Any, name: str) -> bool:
    """Whether ``name`` is a table (``con.table``: Ibis 12's list_tables fails on DuckDB 2)."""
    from ibis.common.exceptions import TableNotFound

    try:
        con.table(name)
    except TableNotFound:
        return False
    return True


def _check_scores(scores: Any) -> pd.DataFrame:
    if not isinstance(scores, pd.DataFrame):
        raise ParameterError(
            "scores must be a pandas DataFrame on the customer index (e.g. "
            f"summary[[]].assign(p_alive=...)), got {type(scores).__name__}."
        )
    if len(scores) == 0 or scores.shape[1] == 0:
        raise DataValidationError(
            f"scores is empty ({scores.shape[0]} rows, {scores.shape[1]} columns): nothing to "
            "write.",
            rule="not empty",
            n_rows=len(scores),
        )
    check_rule(
        scores.index.duplicated(keep=False),
        scores.index,
        rule="one row per customer (the index must be unique)",
        what="scores",
    )
    key = scores.index.name or "customer_id"
    if key in scores.columns:
        raise ParameterError(
            f"scores has a column named {key!r}, the name its index is written under; rename "
            "one of them."
        )
    return scores.rename_axis(key).reset_index()


def write_scores(
    con: Any,
    name: str,
    scores: pd.DataFrame,
    *,
    model: ValuationModel | None = None,
    model_table: str | None = None,
    chunk_rows: int = 250_000,
    overwrite: bool = False,
) -> Any:
    """Write per-customer scores to a database table in chunks, with the model alongside.

    Parameters
    ----------
    con : Ibis backend
        A connection, e.g. ``ibis.duckdb.connect("crm.duckdb")``.
    name : str
        Table to create; its columns are the index (under the index's name, default
        ``customer_id``) and the columns of ``scores``.
    scores : DataFrame
        One row per customer (unique index), e.g. P(alive), expected purchases, CLV, segment.
    model : fitted valuation model, optional
        Written to ``model_table`` as one row: ``scores_table``, ``model_class``, ``model_json``
        (the text of its model file, :func:`customer_models.valuation.model_to_json`),
        ``n_rows`` and ``written_at`` (UTC, ISO 8601). The table is created on first use and
        appended to after, so it keeps the history of every write.
    model_table : str, optional
        Default ``f"{name}_model"``.
    chunk_rows : int, default 250,000
        Rows per insert, so memory on both sides stays bounded.
    overwrite : bool, default False
        Replace ``name`` if it exists (otherwise an existing table is an error).

    Returns
    -------
    ibis.expr.types.Table
        The written table.

    Examples
    --------
    >>> import ibis
    >>> import pandas as pd
    >>> from customer_models.sql import write_scores
    >>> con = ibis.duckdb.connect()
    >>> scores = pd.DataFrame({"p_alive": [0.9, 0.2]}, index=pd.Index(["a", "b"], name="id"))
    >>> table = write_scores(con, "scores", scores)
    >>> table.order_by("id").to_pyarrow().to_pydict()
    {'id': ['a', 'b'], 'p_alive': [0.9, 0.2]}
    """
    ibis_module()
    _check_connection(con)
    name = check_str(name, "name")
    chunk_rows = check_number(chunk_rows, "chunk_rows", low=1, integer=True)
    frame = _check_scores(scores)
    if _exists(con, name) and not overwrite:
        raise ParameterError(
            f"table {name!r} already exists; pass overwrite=True to replace it, or choose "
            "another name."
        )
    model_json = None
    history = check_str(model_table, "model_table", allow_none=True) or f"{name}_model"
    if model is not None:
        model_json = model_to_json(model)  # refuses an unfitted model before anything is written
    pa = _pyarrow()
    starts = range(0, len(frame), chunk_rows)
    for i, start in enumerate(starts):
        # pyarrow, not pandas: Ibis reads pandas options that pandas 3 deprecates
        chunk = pa.Table.from_pandas(frame.iloc[start : start + chunk_rows], preserve_index=False)
        if i == 0:
            con.create_table(name, chunk, overwrite=overwrite)
        else:
            con.insert(name, chunk)
    if model_json is not None:
        row = pa.table(
            {
                "scores_table": [name],
                "model_class": [type(model).__name__],
                "model_json": [model_json],
                "n_rows": pa.array([len(frame)], pa.int64()),
                "written_at": [datetime.now(timezone.utc).isoformat(timespec="seconds")],
            }
        )
        if _exists(con, history):
            con.insert(history, row)
        else:
            con.create_table(history, row)
    return con.table(name)


def probability_alive_expression(
    model: BetaGeoModel,
    table: Any,
    *,
    time_unit: str,
    frequency_col: str = "frequency",
    recency_col: str = "recency",
    T_col: str = "T",
) -> Any:
    """P(alive) of a fitted BG/NBD or MBG/NBD model as an Ibis expression over a summary table.

    The closed form ``1 / (1 + [x > 0] a / (b + x - 1) ((α + T) / (α + t_x))^(r + x))``
    (MBG/NBD: no indicator and ``b + x``), computed from the log-odds so that it neither
    overflows nor underflows in SQL. ``ibis.to_sql(table.mutate(p_alive=expr))`` gives the SQL
    text to store in the warehouse and rerun without Python.

    Parameters
    ----------
    model : BetaGeoModel or ModifiedBetaGeoModel
        Fitted (or built with ``from_params``).
    table : ibis.expr.types.Table
        A customer summary (e.g. from :func:`customer_models.sql.rfm_summary` written back).
    time_unit : str
        The unit of the table's recency and T: a table does not carry its unit, so it is
        stated here and must equal the model's.
    frequency_col, recency_col, T_col : str
        Column names.

    Returns
    -------
    ibis.expr.types.FloatingColumn
        P(alive), equal to ``model.probability_alive`` on the same rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from customer_models.sql import memtable, probability_alive_expression
    >>> from customer_models.valuation import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> summary = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.4], "T": [38.9, 38.9]})
    >>> table = memtable(summary)
    >>> expr = probability_alive_expression(model, table, time_unit="W")
    >>> table.mutate(p_alive=expr.round(4)).to_pyarrow()["p_alive"].to_pylist()
    [1.0, 0.7258]
    """
    ibis = ibis_module()
    if not isinstance(model, BetaGeoModel):
        raise ParameterError(
            "probability_alive_expression has the closed form of BetaGeoModel and "
            f"ModifiedBetaGeoModel; got {type(model).__name__}. Score other models in Python "
            "and write the result with write_scores."
        )
    model._require_fitted()
    time_unit = check_str(time_unit, "time_unit")
    model_unit = model.time_unit_
    if model_unit is not None and _canonical_unit(time_unit) != _canonical_unit(model_unit):
        raise ParameterError(
            f"the table has recency/T in {time_unit!r} but {type(model).__name__} was fitted "
            f"in {model_unit!r}: build the summary with time_unit={model_unit!r}, or refit."
        )
    for column in (frequency_col, recency_col, T_col):
        if column not in table.columns:
            raise ParameterError(
                f"table has no column {column!r} (columns: {list(table.columns)})."
            )
    r, alpha, a, b = (float(model.params_[k]) for k in ("r", "alpha", "a", "b"))
    modified = isinstance(model, ModifiedBetaGeoModel)
    x = table[frequency_col].cast("float64")
    t_x = table[recency_col].cast("float64")
    T = table[T_col].cast("float64")
    # b + x - 1 may be <= 0 at x = 0, where BG/NBD's P(alive) is 1; SQL's ln() would raise
    beta = b + x if modified else ibis.ifelse(x > 0, b + x - 1.0, 1.0)
    log_odds = (
        ibis.literal(np.log(a)) - beta.ln() + (r + x) * ((T + alpha).ln() - (t_x + alpha).ln())
    )
    clipped = ibis.greatest(ibis.least(log_odds, _MAX_LOG_ODDS), -_MAX_LOG_ODDS)
    # expit(-z): 1 / (1 + e^z) for z <= 0 and e^-z / (1 + e^-z) for z > 0, never exp(> 0)
    alive = ibis.ifelse(
        clipped > 0, (-clipped).exp() / ((-clipped).exp() + 1.0), 1.0 / (clipped.exp() + 1.0)
    )
    if modified:
        return alive
    return ibis.ifelse(x > 0, alive, ibis.literal(1.0))
