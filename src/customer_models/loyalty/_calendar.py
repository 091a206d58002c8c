"""Day arithmetic for loyalty programs: qualification windows and review dates.

Dates are handled as integer day numbers (days since 1970-01-01) so that window and review
look-ups are plain ``numpy`` operations on whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from customer_models.exceptions import ParameterError

__all__ = [
    "Window",
    "boundaries",
    "day_of",
    "days_to_datetime",
    "format_day",
    "parse_calendar_offset",
    "parse_window",
]

_EPOCH = pd.Timestamp("1970-01-01")
_WINDOW_HELP = (
    "Use a rolling number of days such as '365D' or '90D', or a calendar period start such as "
    "'YS' (calendar year), 'YS-APR' (year starting in April), 'QS', 'MS' or 'W-MON'."
)


def day_of(value: Any, *, name: str = "date") -> int:
    """Return the day number (days since 1970-01-01) of a date-like scalar.

    Examples
    --------
    >>> day_of("1970-01-11")
    10
    """
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}={value!r} is not a date: {exc}.") from None
    if ts is pd.NaT or pd.isna(ts):
        raise ParameterError(f"{name} must be a date, got {value!r}.")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return int((ts.normalize() - _EPOCH).days)


def days_to_datetime(days: np.ndarray) -> np.ndarray:
    """Turn day numbers into ``datetime64[ns]`` values (``-1 << 62`` and below become NaT)."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[days <= np.iinfo(np.int64).min // 2] = np.datetime64("NaT")
    return out


def format_day(day: int) -> str:
    """Format a day number as ``YYYY-MM-DD``."""
    return str(np.datetime64(int(day), "D"))


def parse_calendar_offset(value: Any, *, name: str) -> pd.DateOffset:
    """Parse a calendar period start (``'YS'``, ``'QS'``, ``'MS'``, ``'W-MON'``, ...)."""
    try:
        offset = to_offset(value)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{name}={value!r} is not a valid calendar period. {_WINDOW_HELP}"
        ) from None
    kind = type(offset).__name__
    if kind.endswith("End"):
        start = kind[: -len("End")] + "Begin"
        raise ParameterError(
            f"{name}={value!r} is a period END ({kind}); loyalty periods are named by their "
            f"first day: use the matching period start ({start}, e.g. 'YS', 'QS', 'MS')."
        )
    if isinstance(offset, (pd.offsets.Tick, pd.offsets.Day)) or (
        isinstance(offset, pd.offsets.Week) and offset.weekday is None
    ):
        raise ParameterError(
            f"{name}={value!r} is a fixed length, not a calendar period. {_WINDOW_HELP}"
        )
    if offset.n < 1:
        raise ParameterError(f"{name}={value!r} must step forward in time (n >= 1).")
    return offset


@dataclass(frozen=True)
class Window:
    """A qualification window: rolling (``days``) or calendar (``offset``)."""

    text: str
    days: int | None = None
    offset: pd.DateOffset | None = None

    @property
    def rolling(self) -> bool:
        """Whether the window is a rolling number of days."""
        return self.days is not None

    def start(self, end_day: np.ndarray, bounds: np.ndarray | None) -> np.ndarray:
        """First day of the window that ends (inclusive) on ``end_day``."""
        end_day = np.asarray(end_day, dtype=np.int64)
        if self.days is not None:
            return end_day - self.days + 1
        assert bounds is not None
        return bounds[np.searchsorted(bounds, end_day, side="right") - 1]


def parse_window(value: Any, *, name: str = "window") -> Window:
    """Parse a rolling (``'365D'``) or calendar (``'YS'``) qualification window.

    Examples
    --------
    >>> parse_window("365D").days
    365
    >>> parse_window("YS").rolling
    False
    """
    if isinstance(value, (str, pd.Timedelta)) and not isinstance(value, pd.DateOffset):
        try:
            delta = pd.Timedelta(value)
        except (TypeError, ValueError):
            delta = None
        if delta is not None:
            if delta is pd.NaT or delta <= pd.Timedelta(0) or delta % pd.Timedelta(days=1):
                raise ParameterError(
                    f"{name}={value!r} must be a positive whole number of days. {_WINDOW_HELP}"
                )
            days = int(delta / pd.Timedelta(days=1))
            return Window(text=f"rolling {days} days", days=days)
    elif not isinstance(value, pd.DateOffset):
        raise ParameterError(f"{name} must be a string such as '365D' or 'YS', got {value!r}.")
    offset = parse_calendar_offset(value, name=name)
    return Window(text=f"calendar {offset.freqstr}", offset=offset)


def boundaries(offset: pd.DateOffset, first_day: int, last_day: int) -> np.ndarray:
    """Day numbers of the period starts of ``offset`` around ``first_day..last_day``.

    Multi-period offsets such as ``'2YS'`` are anchored at the period containing 1970-01-01 (or
    the first day, if earlier), so the schedule never depends on the data.
    """
    start = offset.rollback(_EPOCH + pd.Timedelta(days=min(first_day, 0)))
    end = _EPOCH + pd.Timedelta(days=last_day) + offset
    dates = pd.date_range(start, end, freq=offset)
    return ((dates - _EPOCH) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
