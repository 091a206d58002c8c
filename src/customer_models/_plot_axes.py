"""Axes helpers shared by the plotting modules: a new or given Axes, unit names, integer ticks.

matplotlib is imported inside the functions (the ``plot`` extra), so importing this module
never needs it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["get_axes", "integer_ticks", "unit_name"]


def get_axes(ax: Any) -> Any:
    """``ax``, or the Axes of a new figure with constrained layout."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'Plotting needs matplotlib: pip install -e ".[plot]" (from the checkout).'
        ) from exc
    _, new_ax = plt.subplots(layout="constrained")
    return new_ax


_UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}


def unit_name(unit: Any) -> str:
    """'weeks' for "W", '30-day periods' for "30D", 'time units' when unknown."""
    if not isinstance(unit, str) or not unit:
        return "time units"
    if unit in _UNIT_NAMES:
        return _UNIT_NAMES[unit]
    head, tail = unit[:-1], unit[-1]
    if tail in _UNIT_NAMES and head:
        return f"{head}-{_UNIT_NAMES[tail][:-1]} periods"
    return f"periods of {unit}"


def integer_ticks(axis: Any) -> None:
    """Ticks on whole numbers only (an axis that counts)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))
