"""polars in, polars out: the boundary that gives polars users their own frames back.

Every public function reads polars (and Arrow) tables by converting them to pandas once
(:func:`~customer_models._validation.as_pandas`). A function decorated with :func:`polars_out`
converts its result back when one of its table arguments was a polars ``DataFrame`` or
``LazyFrame``:

- a pandas ``DataFrame`` becomes a polars ``DataFrame``; a meaningful index (named, or not a
  plain ``0..n-1`` range) becomes the first column(s) under its name (``index`` when unnamed),
  so ``customer_id`` stays a column next to the values;
- a pandas ``Series`` becomes a polars ``DataFrame`` of its index and its values (the value
  column keeps the Series' name, ``value`` when unnamed); a Series on a plain range index
  becomes a polars ``Series``;
- a missing value (NaN, None, NaT) becomes polars' null; categoricals stay categorical;
- tuples, lists and dicts are converted element by element; anything else (numbers, arrays,
  result objects, fitted models) is returned unchanged.

A polars customer summary goes back into the models with its ``customer_id`` column as the
index (:func:`index_from_id_column`), so the scores come out keyed by customer again. polars
tables cannot carry a summary's time unit (pandas keeps it in ``DataFrame.attrs``), so a
model that knows its unit refuses them until the caller states it:
``cm.with_time_unit(polars_summary, "W")`` gives a pandas view with the unit, marked
(:data:`POLARS_ORIGIN`) so that the wrapped functions given it still answer in polars.
pandas in gives pandas out, untouched. polars is imported only when a polars table arrives.
The decorator sits at the definition site (``functools.wraps`` keeps the name, signature and
docstring, so the reference pages are unchanged); estimators' methods are not wrapped.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import pandas as pd

from customer_models._validation import as_pandas

__all__ = [
    "ID_COLUMN",
    "POLARS_ORIGIN",
    "POLARS_OUT_MARKER",
    "as_customer_frame",
    "index_as_columns",
    "index_from_id_column",
    "is_polars",
    "polars_out",
    "to_polars",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The column that carries a customer summary's index in a polars table (what
#: :func:`to_polars` writes for a summary made with the default ``customer_col``).
ID_COLUMN = "customer_id"

#: ``DataFrame.attrs`` key of a pandas view made from a polars table (by
#: :func:`~customer_models.with_time_unit`): the functions given it answer in polars.
POLARS_ORIGIN = "customer_models_from_polars"

#: Attribute set on every wrapped function (the tests find the wrapped functions by it).
POLARS_OUT_MARKER = "__customer_models_polars_out__"


#: True while a wrapped function runs: only the outermost call converts its result.
_INSIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("polars_out_inside", default=False)


def is_polars(obj: Any) -> bool:
    """Return whether ``obj`` is a polars table or Series (without importing polars).

    Examples
    --------
    >>> import pandas as pd
    >>> is_polars(pd.DataFrame())
    False
    """
    return type(obj).__module__.split(".")[0] == "polars"


def index_from_id_column(frame: pd.DataFrame, needed: tuple[str, ...]) -> pd.DataFrame:
    """Return a summary read from polars with its ``customer_id`` column as the index.

    polars has no index: the summary :func:`to_polars` writes carries the customer ids in
    the column :data:`ID_COLUMN`, and a model reading it back keys its results by them
    (unless the model needs that column itself). Other frames are returned as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"customer_id": ["a"], "frequency": [1]})
    >>> index_from_id_column(frame, ("frequency",)).index.tolist()
    ['a']
    """
    if ID_COLUMN in frame.columns and ID_COLUMN not in needed:
        return frame.set_index(ID_COLUMN)
    return frame


def _asks_for_polars(obj: Any) -> bool:
    return is_polars(obj) or (isinstance(obj, pd.DataFrame) and bool(obj.attrs.get(POLARS_ORIGIN)))


def as_customer_frame(data: Any, what: str, needed: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return a customer frame as pandas: a polars one indexed by its ``customer_id`` column.

    The one reader of customer frames (summaries, snapshots) for every function and model:
    :func:`~customer_models._validation.as_pandas`, then :func:`index_from_id_column` for
    polars input (``needed`` are columns the caller reads, kept as columns).

    Examples
    --------
    >>> import pandas as pd
    >>> as_customer_frame(pd.DataFrame({"a": [1]}), "data").index.tolist()
    [0]
    """
    frame = as_pandas(data, what=what)
    return index_from_id_column(frame, needed) if is_polars(data) else frame


def _plain_range(index: pd.Index) -> bool:
    return (
        isinstance(index, pd.RangeIndex)
        and index.name is None
        and index.start == 0
        and index.step == 1
    )


def index_as_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with its index as leading columns (an unnamed one as ``index``).

    A plain ``RangeIndex`` is dropped; an index name that is also a column gets ``_index``.
    What a customer id index becomes in a polars result or an Ibis table.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1]}, index=pd.Index(["a"], name="customer_id"))
    >>> index_as_columns(frame).columns.tolist()
    ['customer_id', 'x']
    """
    if _plain_range(frame.index):
        return frame
    names = [n if n is not None else "index" for n in frame.index.names]
    clash = [n for n in names if n in frame.columns]
    if clash:
        names = [f"{n}_index" if n in clash else n for n in names]
    return frame.rename_axis(names).reset_index()


def to_polars(result: Any) -> Any:
    """Convert a pandas result (or a container of them) to polars, as :func:`polars_out` does.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([0.5], index=pd.Index(["a"], name="customer_id"), name="p")
    >>> to_polars(s).columns
    ['customer_id', 'p']
    """
    import polars as pl

    if isinstance(result, pd.DataFrame):
        return pl.from_pandas(index_as_columns(result))
    if isinstance(result, pd.Series):
        name = result.name if result.name is not None else "value"
        if _plain_range(result.index):
            return pl.from_pandas(result.rename(name))
        return pl.from_pandas(index_as_columns(result.to_frame(name)))
    if isinstance(result, tuple):
        return tuple(to_polars(r) for r in result)
    if isinstance(result, list):
        return [to_polars(r) for r in result]
    if isinstance(result, dict):
        return {k: to_polars(v) for k, v in result.items()}
    return result


def polars_out(func: F) -> F:
    """Return ``func`` so that a polars table among its arguments gives a polars result.

    Examples
    --------
    >>> import pandas as pd
    >>> @polars_out
    ... def double(frame):
    ...     return pd.DataFrame(frame).set_index("id") * 2
    >>> double(pd.DataFrame({"id": [1], "v": [2]}))["v"].tolist()
    [4]
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _INSIDE.get():  # a library function calling another one wants pandas
            return func(*args, **kwargs)
        token = _INSIDE.set(True)
        try:
            result = func(*args, **kwargs)
        finally:
            _INSIDE.reset(token)
        tables = (*args, *kwargs.values())
        if any(_asks_for_polars(a) for a in tables):
            return to_polars(result)
        return result

    setattr(wrapper, POLARS_OUT_MARKER, True)
    return cast(F, wrapper)
