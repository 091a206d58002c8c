"""Regularity of inter-purchase times: Wheat & Morrison's estimate of the Erlang shape k."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from customer_models._time import US_PER_DAY
from customer_models._transactions import read_with
from customer_models._validation import as_pandas
from customer_models.exceptions import DataValidationError

__all__ = ["RegularityOptions", "estimate_regularity", "read_ratios", "regularity_from_ratios"]


class RegularityOptions(TypedDict, total=False):
    """The reading keywords of :func:`estimate_regularity`, which the wheat plot shares."""

    customer_col: str
    date_col: str
    date_format: str | None
    dayfirst: bool | None


def estimate_regularity(
    transactions: Any,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    date_format: str | None = None,
    dayfirst: bool | None = None,
) -> pd.Series:
    """Estimate how regular the inter-purchase times are (the Erlang-k shape ``k``).

    For each customer with at least three distinct purchase days, the last two
    inter-purchase times ``t1, t2`` (in days) give ``M = t1 / (t1 + t2)``. If the times are
    Gamma(k) with a customer-specific rate, ``M ~ Beta(k, k)`` whatever the rate, so
    ``Var(M) = 1 / (4 (2k + 1))`` and ``k = (1 - 4 Var(M)) / (8 Var(M))`` (Wheat & Morrison
    1990; the "wheat" method of BTYDplus' ``estimateRegularity``, Platzer & Reutterer
    2016). ``Var(M)`` is the mean of ``(M - 1/2)^2``, i.e. the variance of the symmetrized
    ratios ``{M, 1 - M}``, where BTYDplus picks one of the two at random.

    ``k`` near 1: exponential (Poisson) timing, what BG/NBD, MBG/NBD and Pareto/NBD assume;
    ``k`` well above 1: regular buyers (an Erlang-k model such as MBG/CNBD-k fits better);
    below 1: clumpy, bursty buying.

    Parameters
    ----------
    transactions : DataFrame
        Transaction log; several purchases on one day count as one.
    customer_col, date_col : str
        Its columns.
    date_format, dayfirst : optional
        How string dates are read, as in :func:`customer_models.rfm_summary`.

    Returns
    -------
    Series
        ``k`` (the estimate), ``se`` (its delta-method standard error from the sampling
        variance of ``(M - 1/2)^2``), ``n_customers`` (customers with three or more purchase
        days) and ``var_m``.

    Raises
    ------
    DataValidationError
        Fewer than two customers with three distinct purchase days, or all ratios equal 1/2
        (perfectly regular: ``k`` is infinite).

    References
    ----------
    Wheat, R. D. and Morrison, D. G. (1990), "Estimating purchase regularity with two
    interpurchase times", Journal of Marketing Research 27(1), 87-93. Platzer, M. and
    Reutterer, T. (2016), "Ticking away the moments: timing regularity helps to better
    predict customer activity", Marketing Science 35(5), 779-799.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05",
    ...                                            "2024-01-01", "2024-01-04", "2024-01-05"])})
    >>> estimate_regularity(tx)[["k", "n_customers"]].round(3).tolist()
    [1.5, 2.0]
    """
    return regularity_from_ratios(read_ratios(transactions, locals()), date_col=date_col)


def read_ratios(transactions: Any, options: Mapping[str, Any]) -> np.ndarray:
    """Return ``M = t1 / (t1 + t2)`` of each customer's last two inter-purchase times (days).

    Only customers with three or more distinct purchase days have them; several purchases on
    one day count as one. :func:`estimate_regularity` and the wheat plot read the same ratios;
    ``options`` are their keywords (:class:`RegularityOptions`), read as
    :func:`~customer_models._transactions.read_with` reads a caller's.
    """
    log = read_with(as_pandas(transactions, what="transactions"), options)
    codes, _ = pd.factorize(log.ids.to_numpy())
    day = np.floor_divide(log.us, US_PER_DAY)
    pairs = np.unique(np.stack([codes.astype(np.int64), day]), axis=1)  # sorted, distinct days
    owner, days = pairs[0], pairs[1]
    last = np.flatnonzero(np.r_[owner[1:] != owner[:-1], True])  # each customer's last day
    keep = last >= 2
    keep[keep] = owner[last[keep] - 2] == owner[last[keep]]  # three days of one customer
    ends = last[keep]
    t1 = (days[ends - 1] - days[ends - 2]).astype(np.float64)
    t2 = (days[ends] - days[ends - 1]).astype(np.float64)
    return np.asarray(t1 / (t1 + t2))


def regularity_from_ratios(ratios: np.ndarray, *, date_col: str) -> pd.Series:
    """Return :func:`estimate_regularity`'s table from the last-two-gaps ratio of each customer."""
    n = ratios.size  # one entry per customer
    if n < 2:
        raise DataValidationError(
            f"estimate_regularity needs at least 2 customers with 3 or more distinct purchase "
            f"days; the log has {n}.",
            column=date_col,
            rule="at least 2 customers with 3 purchase days",
            n_rows=int(n),
        )
    squares = (ratios - 0.5) ** 2
    var_m = float(squares.mean())
    if var_m <= 0.0:
        raise DataValidationError(
            "every customer's last two inter-purchase times are equal: the timing is "
            "perfectly regular and k is infinite.",
            column=date_col,
            rule="inter-purchase ratios vary",
            n_rows=int(n),
        )
    k = (1.0 - 4.0 * var_m) / (8.0 * var_m)
    # dk/dvar = -1 / (8 var^2); var's standard error from the squares' spread
    se = float(np.std(squares, ddof=1) / np.sqrt(n) / (8.0 * var_m**2))
    return pd.Series(
        {"k": float(k), "se": se, "n_customers": float(n), "var_m": var_m}, name="regularity"
    )
