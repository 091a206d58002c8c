"""Tracking curves of every candidate of :func:`compare_models` on one axis (``plot`` extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._plot_axes import get_axes, integer_ticks, unit_name
from customer_models._time import to_instant_us
from customer_models._validation import check_bool
from customer_models.exceptions import ParameterError
from customer_models.typing import DateLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from customer_models.evaluation import ModelComparison


__all__ = ["plot_model_comparison"]


def plot_model_comparison(
    comparison: ModelComparison,
    *,
    calibration_end: DateLike | None = None,
    baseline: bool = True,
    ax: Axes | None = None,
) -> Any:
    """Cumulative repeat transactions, actual vs each candidate of a model comparison.

    Parameters
    ----------
    comparison : ModelComparison
        The result of :func:`customer_models.evaluation.compare_models` called with
        ``transactions`` (so it holds the tracking curves).
    calibration_end : date-like, optional
        Draws a vertical line at the end of the calibration period.
    baseline : bool, default True
        Also draw the naive "same rate" baseline.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The line "Actual" and one dashed line per model, in the table's rank order (the
        baseline dash-dotted).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from customer_models import load_cdnow_transactions
    >>> from customer_models.valuation import BetaGeoModel
    >>> from customer_models.evaluation._compare import compare_models
    >>> tx = load_cdnow_transactions(sample=True)
    >>> result = compare_models([BetaGeoModel], transactions=tx, calibration_end="1997-09-30",
    ...                         observation_end="1998-06-30", time_unit="W")
    >>> [line.get_label() for line in plot_model_comparison(result, baseline=False).lines]
    ['Actual', 'BetaGeoModel']
    """
    baseline = check_bool(baseline, "baseline")
    track = getattr(comparison, "tracking", None)
    table = getattr(comparison, "table", None)
    if not isinstance(track, pd.DataFrame) or not isinstance(table, pd.DataFrame):
        raise ParameterError(
            "comparison must be the result of compare_models(..., transactions=...): the "
            "tracking curves need the transaction log."
        )
    names = [str(n) for n in table.index if baseline or not str(n).startswith("baseline")]
    end_us = None if calibration_end is None else to_instant_us(calibration_end, "calibration_end")
    ax = get_axes(ax)
    periods = track.index.to_numpy()
    ax.plot(periods, track["actual"].to_numpy(), color="black", linewidth=2, label="Actual")
    for name in names:
        style = "-." if name.startswith("baseline") else "--"
        ax.plot(periods, track[name].to_numpy(), linestyle=style, label=name)
    if end_us is not None:
        ends = pd.DatetimeIndex(track["end"])
        if ends.tz is not None:
            ends = ends.tz_localize(None)
        ends_us = ends.to_numpy().astype("datetime64[us]").astype(np.int64)
        position = float(np.searchsorted(ends_us, end_us) + 1)
        ax.axvline(position, color="grey", linestyle=":", label="End of calibration")
    models = getattr(comparison, "models", {}) or {}
    unit = next((getattr(m, "time_unit_", None) for m in models.values()), None)
    ax.set_xlabel(f"Period ({unit_name(unit)} since the cohort's first purchase)")
    ax.set_ylabel("Cumulative repeat transactions")
    integer_ticks(ax.xaxis)
    integer_ticks(ax.yaxis)
    ax.set_title("Tracking cumulative transactions: candidates vs actual")
    ax.legend()
    return ax
