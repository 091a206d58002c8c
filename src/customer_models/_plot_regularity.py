"""The regularity diagnostic of Platzer and Reutterer (2016): the wheat plot (``plot`` extra).

For each customer with three or more distinct purchase days, the last two inter-purchase times
``t1, t2`` give ``M = t1 / (t1 + t2)``; with Gamma(k) timing at any rate, ``M ~ Beta(k, k)``
(Wheat and Morrison 1990). The plot shows the histogram of ``M`` (and ``1 - M``, which has the
same law) against the Beta(k, k) density at the estimate of
:func:`customer_models.evaluation._regularity.estimate_regularity` and the flat density of
``k = 1`` (Poisson timing): a hump in the middle means regular buyers, mass at the edges bursty
ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from customer_models._plot_axes import get_axes
from customer_models._summary_options import same_keywords
from customer_models._validation import check_number
from customer_models.evaluation._regularity import (
    RegularityOptions,
    estimate_regularity,
    read_ratios,
    regularity_from_ratios,
)
from customer_models.exceptions import ParameterError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from typing_extensions import Unpack

__all__ = ["plot_regularity", "wheat_ratios"]


@same_keywords(estimate_regularity)
def wheat_ratios(transactions: Any, **options: Unpack[RegularityOptions]) -> np.ndarray:
    """Return ``M = t1 / (t1 + t2)`` of each customer's last two inter-purchase times (days).

    Customers with fewer than three distinct purchase days have none; several purchases on
    one day count as one (as in ``estimate_regularity``, whose keywords and defaults these
    are).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05",
    ...                                            "2024-01-01", "2024-01-04", "2024-01-05"])})
    >>> wheat_ratios(tx).tolist()
    [0.25, 0.75]
    """
    return read_ratios(transactions, options)


@same_keywords(estimate_regularity)
def plot_regularity(
    transactions: Any,
    *,
    bins: int = 20,
    ax: Axes | None = None,
    **options: Unpack[RegularityOptions],
) -> Any:
    """Wheat plot: the last-two-gaps ratios against Beta(k, k) at the estimated ``k`` and k = 1.

    Parameters
    ----------
    transactions : DataFrame
        Transaction log.
    customer_col, date_col, date_format, dayfirst
        As in :func:`customer_models.evaluation.estimate_regularity`.
    bins : int, default 20
        Histogram bins on [0, 1] (2..200).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The histogram of ``M`` and ``1 - M`` (density), the line ``"k = <estimate>"`` and the
        dashed line ``"k = 1 (Poisson)"``; the title gives the number of customers.

    Raises
    ------
    DataValidationError
        As ``estimate_regularity``: fewer than two customers with three purchase days, or
        every ratio 1/2.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from customer_models import load_cdnow_transactions
    >>> ax = plot_regularity(load_cdnow_transactions(sample=True))
    >>> [line.get_label() for line in ax.lines]
    ['k = 0.99', 'k = 1 (Poisson)']
    """
    n_bins = check_number(bins, "bins", low=2, high=200)
    if n_bins != int(n_bins):
        raise ParameterError(f"bins must be a whole number in 2..200, got {bins!r}.")
    ratios = read_ratios(transactions, options)  # the log is read once
    k = float(regularity_from_ratios(ratios, date_col=options["date_col"])["k"])  # refuses too few
    ax = get_axes(ax)
    both = np.r_[ratios, 1.0 - ratios]  # M and 1 - M are equally distributed
    ax.hist(
        both,
        bins=int(n_bins),
        range=(0.0, 1.0),
        density=True,
        color="0.8",
        edgecolor="white",
        label="last two gaps",
    )
    grid = np.linspace(0.0, 1.0, 201)[1:-1]
    if k > 0:
        ax.plot(grid, stats.beta.pdf(grid, k, k), color="C0", label=f"k = {k:.2f}")
    ax.plot(grid, np.ones_like(grid), color="C1", linestyle="--", label="k = 1 (Poisson)")
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("t1 / (t1 + t2), the last two inter-purchase times")
    ax.set_ylabel("density")
    ax.set_title(f"Purchase regularity ({ratios.size} customers with 3+ purchase days)")
    ax.legend()
    return ax
