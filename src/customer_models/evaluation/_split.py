"""Customer-level random or stratified train/test split (for data without a clean time split)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._polars import as_customer_frame, polars_out
from customer_models._validation import (
    as_generator,
    check_not_empty,
    check_number,
    check_str,
    require_columns,
)
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from customer_models.typing import RandomStateLike


__all__ = ["split_customers"]

#: A numeric stratification column with more distinct values than this is cut into quantiles.
_MAX_LEVELS = 20


def _strata(values: pd.Series, n_bins: int) -> np.ndarray:
    if values.nunique(dropna=False) <= _MAX_LEVELS or not pd.api.types.is_numeric_dtype(values):
        return pd.factorize(values, use_na_sentinel=False)[0]
    return pd.factorize(pd.qcut(values, q=n_bins, duplicates="drop"), use_na_sentinel=False)[0]


@polars_out
def split_customers(
    data: Any,
    *,
    test_size: float = 0.25,
    stratify: str | None = None,
    n_bins: int = 5,
    customer_col: str | None = None,
    random_state: RandomStateLike = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split customers (not rows) at random into a train and a test part.

    Parameters
    ----------
    data : DataFrame
        A customer summary (one row per customer, ids on the index) or, with
        ``customer_col``, a transaction table: then all rows of a customer go to the same side.
    test_size : float, default 0.25
        Share of customers in the test part, in (0, 1). Within each stratum the test part has
        ``round(test_size × n)`` customers.
    stratify : str, optional
        Column to stratify on (a summary column such as ``"frequency"``). Numeric columns with
        more than 20 distinct values are cut into ``n_bins`` quantile bins. With
        ``customer_col`` the column must be constant within a customer (its first value is
        used).
    n_bins : int, default 5
        Quantile bins for a continuous stratification column.
    customer_col : str, optional
        Customer id column of a transaction table.
    random_state : int, numpy Generator or RandomState, optional
        Seed.

    Returns
    -------
    (DataFrame, DataFrame)
        Train and test rows, in the original order; the caller's frame is not modified.

    Examples
    --------
    >>> from customer_models import load_cdnow_summary
    >>> train, test = split_customers(load_cdnow_summary(), test_size=0.2,
    ...                               stratify="frequency", random_state=0)
    >>> len(train), len(test), train.index.intersection(test.index).size
    (1885, 472, 0)
    """
    frame = as_customer_frame(data, "data")
    check_not_empty(frame, what="data")
    test_size = check_number(
        test_size, "test_size", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    n_bins = check_number(n_bins, "n_bins", low=1, integer=True)
    check_str(stratify, "stratify", allow_none=True)
    check_str(customer_col, "customer_col", allow_none=True)
    rng = as_generator(random_state)
    if customer_col is not None:
        require_columns(frame, [customer_col], what="data")
        ids = frame[customer_col]
        codes, uniques = pd.factorize(ids, use_na_sentinel=False)
        n_customers = len(uniques)
        if stratify is not None:
            require_columns(frame, [stratify], what="data")
            first_rows = pd.Series(np.arange(len(frame))).groupby(codes).first().to_numpy()
            strat_values = frame[stratify].iloc[first_rows].reset_index(drop=True)
    else:
        if not frame.index.is_unique:
            raise ParameterError(
                "data has duplicated index values; a customer summary has one row per "
                "customer. For a transaction table pass customer_col=."
            )
        codes = np.arange(len(frame))
        n_customers = len(frame)
        if stratify is not None:
            require_columns(frame, [stratify], what="data")
            strat_values = frame[stratify].reset_index(drop=True)
    strata = np.zeros(n_customers, dtype=np.int64)
    if stratify is not None:
        strata = _strata(strat_values, int(n_bins))
    key = rng.random(n_customers)
    ranks = pd.DataFrame({"s": strata, "k": key}).groupby("s")["k"].rank(method="first").to_numpy()
    sizes = np.bincount(strata)[strata]
    in_test = ranks <= np.round(float(test_size) * sizes)
    test_rows = in_test[codes]
    return frame.loc[~test_rows], frame.loc[test_rows]
