"""Diagnostic plots for valuation models (matplotlib, through the ``plot`` extra).

matplotlib is imported inside each function, so ``import customer_models`` never needs it.
Every function accepts ``ax=`` (a matplotlib Axes to draw on; a new figure with constrained
layout otherwise, so titles and labels are never clipped) and returns the Axes it drew on.
Axes are labelled with their units (the model's ``time_unit_``: "weeks", "days", ...), and
axes that count (customers, purchases, periods) get integer ticks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from customer_models._plot_axes import get_axes, integer_ticks, unit_name
from customer_models._plot_compare import plot_model_comparison
from customer_models._plot_regularity import plot_regularity
from customer_models._time import to_instant_us
from customer_models._validation import (
    as_pandas,
    check_bool,
    check_choice,
    check_number,
    check_numbers,
    ensure_numeric,
    require_columns,
)
from customer_models.evaluation import evaluate_holdout, frequency_fit, transaction_tracking
from customer_models.exceptions import DataValidationError, ParameterError
from customer_models.typing import DateLike, FittedPurchaseModel, SupportsSurvival

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike
    from typing_extensions import Unpack

    from customer_models.evaluation._tracking import TrackingOptions


__all__ = [
    "plot_calibration_purchases_vs_holdout",
    "plot_clv_distribution",
    "plot_frequency_fit",
    "plot_frequency_recency_matrix",
    "plot_model_comparison",
    "plot_regularity",
    "plot_survival",
    "plot_tracking",
]


#: Most cells of a frequency-recency grid (one prediction each).
MAX_GRID_CELLS = 10_000_000
#: Most histogram bins / survival periods drawn.
MAX_BINS = 10_000


def plot_calibration_purchases_vs_holdout(
    model: FittedPurchaseModel, data: Any, *, max_frequency: int = 7, ax: Axes | None = None
) -> Any:
    """Mean actual vs predicted holdout purchases by calibration frequency.

    Parameters
    ----------
    model : fitted valuation model
    data : DataFrame
        Output of :func:`customer_models.calibration_holdout_split`.
    max_frequency : int, default 7
        Calibration frequencies at or above it share the last point.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Two lines, "Actual" and "Model".

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> class Half:
    ...     time_unit_ = "W"
    ...     def expected_purchases(self, data, *, t):
    ...         return pd.Series(0.5 * t, index=data.index)
    >>> data = pd.DataFrame({"frequency": [0, 2], "frequency_holdout": [1, 3],
    ...                      "duration_holdout": [4.0, 4.0]})
    >>> len(plot_calibration_purchases_vs_holdout(Half(), data).lines)
    2
    """
    table = evaluate_holdout(model, data, max_frequency=max_frequency).conditional
    ax = get_axes(ax)
    labels = [str(v) for v in table.index]
    if len(labels) and table.index[-1] == max_frequency:
        labels[-1] = f"{max_frequency}+"
    positions = np.arange(len(table))
    ax.plot(positions, table["actual"].to_numpy(), marker="o", label="Actual")
    ax.plot(positions, table["predicted"].to_numpy(), marker="s", linestyle="--", label="Model")
    ax.set_xticks(positions, labels)
    ax.set_xlabel("Repeat purchases in calibration period")
    ax.set_ylabel("Mean repeat purchases per customer in holdout period")
    ax.set_title("Actual vs predicted holdout purchases")
    ax.legend()
    return ax


def plot_tracking(
    model: Any,
    data: Any,
    transactions: Any,
    *,
    cumulative: bool = True,
    calibration_end: DateLike | None = None,
    ax: Axes | None = None,
    **tracking_options: Unpack[TrackingOptions],
) -> Any:
    """Actual vs expected repeat transactions of the cohort, per period or cumulated.

    Parameters
    ----------
    model : fitted valuation model
    data : DataFrame
        The cohort's summary.
    transactions : DataFrame
        The transaction log.
    cumulative : bool, default True
        Cumulative (True) or incremental (False) transactions.
    calibration_end : date-like, optional
        Draws a vertical line where the calibration period ends.
    ax : matplotlib Axes, optional
    **tracking_options
        Passed to :func:`customer_models.evaluation.transaction_tracking` (``period``,
        ``start``, ``end``, ``customer_col``, ``date_col``...).

    Returns
    -------
    matplotlib.axes.Axes
        Lines "Actual" and "Model" over the period number (plus the calibration line).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> class OnePerWeek:
    ...     time_unit_ = "W"
    ...     def expected_purchases_new_customer(self, *, t):
    ...         return np.asarray(t, dtype=float)
    >>> tx = pd.DataFrame({"customer_id": [1, 1],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-09"])})
    >>> ax = plot_tracking(OnePerWeek(), pd.DataFrame(index=[1]), tx)
    >>> [line.get_label() for line in ax.lines]
    ['Actual', 'Model']
    """
    cumulative = check_bool(cumulative, "cumulative")
    end_us = None if calibration_end is None else to_instant_us(calibration_end, "calibration_end")
    track = transaction_tracking(model, data, transactions, **tracking_options)
    ax = get_axes(ax)
    suffix = "_cumulative" if cumulative else ""
    periods = track.index.to_numpy()
    ax.plot(periods, track["actual" + suffix].to_numpy(), label="Actual")
    ax.plot(periods, track["expected" + suffix].to_numpy(), linestyle="--", label="Model")
    if end_us is not None:
        ends = pd.DatetimeIndex(track["end"])
        if ends.tz is not None:
            ends = ends.tz_localize(None)  # wall clock, like the cut-off
        ends_us = ends.to_numpy().astype("datetime64[us]").astype(np.int64)
        position = float(np.searchsorted(ends_us, end_us) + 1)
        ax.axvline(position, color="grey", linestyle=":", label="End of calibration")
    period = tracking_options.get("period") or getattr(model, "time_unit_", None)
    ax.set_xlabel(f"Period ({unit_name(period)} since the cohort's first purchase)")
    ax.set_ylabel(("Cumulative r" if cumulative else "R") + "epeat transactions")
    integer_ticks(ax.xaxis)
    integer_ticks(ax.yaxis)
    ax.set_title("Tracking " + ("cumulative" if cumulative else "incremental") + " transactions")
    ax.legend()
    return ax


def plot_frequency_fit(
    model: FittedPurchaseModel, data: Any, *, max_frequency: int = 7, ax: Axes | None = None
) -> Any:
    """Bars of actual vs expected customers by calibration repeat frequency.

    Parameters
    ----------
    model : fitted valuation model
        With a probability of purchases (P(X(t) = x)).
    data : DataFrame
        Calibration summary (``frequency``, ``T``).
    max_frequency : int, default 7
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``2 × (max_frequency + 1)`` bars in two containers, "Actual" and "Model".

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> class Coin:
    ...     def probability_of_purchases_new_customer(self, *, n, t):
    ...         return np.full(np.shape(t), 0.5 if n < 2 else 0.0)
    >>> data = pd.DataFrame({"frequency": [0, 1, 1, 3], "T": [1.0, 1.0, 1.0, 1.0]})
    >>> len(plot_frequency_fit(Coin(), data, max_frequency=2).patches)
    6
    """
    table = frequency_fit(model, data, max_frequency=max_frequency)
    if table is None:
        raise ParameterError(
            f"{type(model).__name__} has no P(X(t) = x), so the frequency fit is unavailable."
        )
    ax = get_axes(ax)
    positions = np.arange(len(table))
    ax.bar(positions - 0.2, table["actual"].to_numpy(), width=0.4, label="Actual")
    ax.bar(positions + 0.2, table["expected"].to_numpy(), width=0.4, label="Model")
    labels = [str(v) for v in table.index]
    labels[-1] = f"{max_frequency}+"
    ax.set_xticks(positions, labels)
    ax.set_xlabel("Repeat purchases in calibration period")
    ax.set_ylabel("Customers")
    integer_ticks(ax.yaxis)
    ax.set_title("Frequency of repeat purchases")
    ax.legend()
    return ax


def plot_frequency_recency_matrix(
    model: FittedPurchaseModel,
    data: Any = None,
    *,
    quantity: Literal["expected_purchases", "probability_alive"] = "expected_purchases",
    t: float = 1.0,
    T: float | None = None,
    max_frequency: int | None = None,
    n_recency: int = 50,
    ax: Axes | None = None,
) -> Any:
    """Heat map of expected purchases in the next ``t`` (or P(alive)) by frequency and recency.

    All customers in the grid have age ``T``; recency runs from 0 to ``T``.

    Parameters
    ----------
    model : fitted transaction model
    data : DataFrame, optional
        Summary used for the defaults ``T = max(T)`` and ``max_frequency = max(frequency)``.
    quantity : {"expected_purchases", "probability_alive"}
    t : float, default 1.0
        Horizon for expected purchases (model time units).
    T : float, optional
        Customer age of the grid.
    max_frequency : int, optional
    n_recency : int, default 50
        Recency grid points.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One image of shape ``(max_frequency + 1, n_recency)`` with a colour bar.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from customer_models.valuation import BetaGeoModel
    >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> ax = plot_frequency_recency_matrix(m, T=39, max_frequency=10, n_recency=20)
    >>> ax.images[0].get_array().shape
    (11, 20)
    """
    check_choice(quantity, "quantity", ["expected_purchases", "probability_alive"])
    t = check_number(t, "t", low=0.0)
    T = check_number(T, "T", low=0.0, low_inclusive=False, allow_none=True)
    max_frequency = check_number(
        max_frequency, "max_frequency", low=0, integer=True, allow_none=True
    )
    n_recency = check_number(n_recency, "n_recency", low=2, integer=True)
    if (T is None or max_frequency is None) and data is None:
        missing = "T (the customer age of the grid)" if T is None else "max_frequency"
        raise ParameterError(f"Give data or {missing}.")
    if data is not None and (T is None or max_frequency is None):
        frame = as_pandas(data, what="data")
        require_columns(frame, ["frequency", "T"], what="data")
        if len(frame) == 0:
            raise DataValidationError("data is empty: at least one row is needed.", n_rows=0)
        if T is None:
            T = float(np.max(ensure_numeric(frame["T"], frame.index, column="T")))
        if max_frequency is None:
            x = ensure_numeric(frame["frequency"], frame.index, column="frequency")
            max_frequency = int(np.max(x))
    if (max_frequency + 1) * n_recency > MAX_GRID_CELLS:
        raise ParameterError(
            f"the grid would have (max_frequency + 1) x n_recency = {max_frequency + 1} x "
            f"{n_recency} cells, more than {MAX_GRID_CELLS:,}; pass a smaller max_frequency "
            "or n_recency."
        )
    freq = np.arange(int(max_frequency) + 1, dtype=float)
    rec = np.linspace(0.0, float(T), int(n_recency))
    x, t_x = np.meshgrid(freq, rec, indexing="ij")
    t_x = np.where(x == 0, 0.0, t_x)
    grid = {"frequency": x.ravel(), "recency": t_x.ravel(), "T": np.full(x.size, float(T))}
    units = unit_name(getattr(model, "time_unit_", None))
    if quantity == "expected_purchases":
        values = model.expected_purchases(grid, t=t)
        label = f"Expected purchases in the next {t:g} {units}"
    else:
        values = model.probability_alive(grid)
        label = "Probability alive"
    matrix = np.asarray(values, dtype=float).reshape(x.shape)
    ax = get_axes(ax)
    image = ax.imshow(
        matrix, origin="lower", aspect="auto", extent=(0.0, float(T), -0.5, max_frequency + 0.5)
    )
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel(f"Recency ({units} from first to last purchase)")
    ax.set_ylabel("Frequency (repeat purchases)")
    integer_ticks(ax.yaxis)
    ax.set_title(label + f"\n(customers first seen {T:g} {units} ago)")
    return ax


def plot_clv_distribution(
    clv: pd.Series | pd.DataFrame | ArrayLike,
    *,
    bins: int = 50,
    log: bool = False,
    ax: Axes | None = None,
) -> Any:
    """Histogram of customer lifetime values with the mean and median marked.

    Parameters
    ----------
    clv : Series or array
        Output of :func:`customer_models.customer_lifetime_value` (the ``clv`` column of a
        DataFrame is used).
    bins : int, default 50
    log : bool, default False
        Logarithmic count axis (CLV is usually very skewed).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        ``bins`` bars and two vertical lines ("Mean", "Median").

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> ax = plot_clv_distribution(np.array([1.0, 2.0, 10.0]), bins=5)
    >>> len(ax.patches), len(ax.lines)
    (5, 2)
    """
    if isinstance(clv, pd.DataFrame):
        require_columns(clv, ["clv"], what="clv")
        clv = clv["clv"]
    bins = check_number(bins, "bins", low=1, high=MAX_BINS, integer=True)
    log = check_bool(log, "log")
    values = check_numbers(clv, "clv")
    if values.size == 0:
        raise DataValidationError("clv is empty: at least one value is needed.", n_rows=0)
    ax = get_axes(ax)
    ax.hist(values, bins=bins, log=log, color="tab:blue", alpha=0.8)
    ax.axvline(float(values.mean()), color="tab:red", linestyle="--", label="Mean")
    ax.axvline(float(np.median(values)), color="tab:green", linestyle=":", label="Median")
    ax.set_xlabel("Customer lifetime value (currency of the spend data)")
    ax.set_ylabel("Customers")
    if not log:
        integer_ticks(ax.yaxis)
    ax.set_title("CLV distribution")
    ax.legend()
    return ax


def plot_survival(
    model: SupportsSurvival,
    data: Any = None,
    *,
    n_periods: int | None = None,
    ax: Axes | None = None,
) -> Any:
    """Survival curve S(t) of a contractual (sBG) model, with observed survival if given.

    Parameters
    ----------
    model : fitted ShiftedBetaGeoModel
        With ``survival(t)``.
    data : array-like, optional
        Observed share (or count, normalized by its first value) of customers surviving
        periods 0, 1, ...: drawn as points "Actual".
    n_periods : int, optional
        Periods to draw (default: the length of ``data`` plus 5, else 12).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        A "Model" line (and an "Actual" line of markers with ``data``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> class Geometric:
    ...     def survival(self, t):
    ...         return 0.8 ** np.asarray(t, dtype=float)
    >>> ax = plot_survival(Geometric(), [1000, 810, 640])
    >>> [line.get_label() for line in ax.lines]
    ['Model', 'Actual']
    """
    n_periods = check_number(
        n_periods, "n_periods", low=1, high=MAX_BINS, integer=True, allow_none=True
    )
    observed = None
    if data is not None:
        observed = check_numbers(data, "data", low=0.0, what="survivors per period")
        if observed.size and observed[0] > 1:
            observed = observed / observed[0]
    if n_periods is None:
        n_periods = (observed.size + 5) if observed is not None else 12
    periods = np.arange(int(n_periods) + 1)
    curve = np.asarray(model.survival(periods), dtype=float)
    ax = get_axes(ax)
    ax.plot(periods, curve, label="Model")
    if observed is not None:
        ax.plot(np.arange(observed.size), observed, marker="o", linestyle="none", label="Actual")
    ax.set_xlabel(f"Period ({unit_name(getattr(model, 'time_unit_', None))} since joining)")
    ax.set_ylabel("Share of customers surviving")
    integer_ticks(ax.xaxis)
    ax.set_ylim(0, 1.05)
    ax.set_title("Survival")
    ax.legend()
    return ax
