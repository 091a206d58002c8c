"""Join customer attributes (plan, region, ...) to the computed churn features."""

from __future__ import annotations

from typing import Any

import pandas as pd

from customer_models._validation import as_pandas, check_rule
from customer_models.exceptions import ParameterError

__all__ = ["join_attributes"]


def join_attributes(
    X: pd.DataFrame,
    attributes: Any,
    customer_ids: pd.Index,
    on_missing: str,
) -> pd.DataFrame:
    """``X`` with the attributes of its customers (``customer_ids``, row by row) appended.

    Examples
    --------
    >>> X = pd.DataFrame({"recency_days": [3.0, 9.0]})
    >>> plans = pd.Series(["monthly", "yearly"], index=["b", "a"], name="plan")
    >>> join_attributes(X, plans, pd.Index(["a", "b"]), "raise")
       recency_days     plan
    0           3.0   yearly
    1           9.0  monthly
    """
    attrs = attributes.to_frame() if isinstance(attributes, pd.Series) else attributes
    attrs = as_pandas(attrs, what="attributes")
    check_rule(
        attrs.index.duplicated(),
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
        _refuse_missing(known, customer_ids, attrs.index)
    joined = attrs.reindex(customer_ids)
    joined.index = X.index
    return pd.concat([X, joined], axis=1)


def _refuse_missing(known: Any, customer_ids: pd.Index, attributes_index: pd.Index) -> None:
    """Raise for the customers without attributes, with the dtypes when no id matched."""
    n_missing = int((~known).sum())
    hint = (
        f"{n_missing} of {len(known)} customers with a purchase on or before the cutoff "
        "lack attributes. Give every customer a row in `attributes` (indexed by customer "
        "id), or pass on_missing_attributes='nan' to keep them with missing values."
    )
    if not known.any():
        hint += (
            f" No id matched at all: the transactions' ids have dtype "
            f"{customer_ids.dtype}, the attributes index has dtype {attributes_index.dtype}."
        )
    check_rule(
        ~known,
        customer_ids,
        rule="every customer must have a row in attributes",
        what="attributes",
        hint=hint,
    )
