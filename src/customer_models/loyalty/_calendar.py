"""Day arithmetic for loyalty programs: qualification windows and review dates.

Dates are handled as integer day numbers (days since 1970-01-01) so that window and review
look-ups are plain ``numpy`` operations on whole columns. Calendar periods (years, quarters,
months, weeks) are computed with numpy's calendar units, never with nanosecond timestamps, so
dates far from 1970 (a ``9999-12-31`` sentinel) are dates like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from customer_models._time import US_PER_DAY, cutoff_us
from customer_models.exceptions import DataValidationError, ParameterError

__all__ = [
    "Window",
    "add_months",
    "boundaries",
    "day_of",
    "days_to_datetime",
    "format_day",
    "parse_calendar_offset",
    "parse_window",
]

_EPOCH = pd.Timestamp("1970-01-01")
# Day numbers pandas' nanosecond timestamps can hold (1677-09-22 .. 2262-04-11).
_NS_DAYS = (-106_751, 106_750)
_WINDOW_HELP = (
    "Use a rolling number of days such as '365D' or '90D', or a calendar period start such as "
    "'YS' (calendar year), 'YS-APR' (year starting in April), 'QS', 'MS' or 'W-MON'."
)


def day_of(value: Any, *, name: str = "date", tz: Any = None) -> int:
    """Return the day number (days since 1970-01-01) of a date-like cut-off.

    A cut-off is its whole day; a :class:`pandas.Period` means its last day. Timezone-aware
    values are read on the wall clock of ``tz`` (the data's zone).

    Examples
    --------
    >>> day_of("1970-01-11")
    10
    >>> day_of(pd.Period("1970-01", "M"))
    30
    """
    return int(np.floor_divide(cutoff_us(value, "D", name, tz=tz), US_PER_DAY))


def days_to_datetime(days: np.ndarray) -> np.ndarray:
    """Turn day numbers into ``datetime64[us]`` values (``-1 << 62`` and below become NaT).

    Microseconds hold any day from year -290,000 to 290,000, so nothing wraps.
    """
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[us]")
    out[days <= np.iinfo(np.int64).min // 2] = np.datetime64("NaT")
    return out


def _add_months(days: np.ndarray, months: int) -> np.ndarray:
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    offset = (day - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.timedelta64(int(months), "M")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target).astype(np.int64)
    start = target.astype("datetime64[D]").astype(np.int64)
    return start + np.minimum(offset, length - 1)


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """Day numbers ``months`` calendar months later, clipped to the month's end.

    The same rule as ``pd.DateOffset(months=...)`` (January 31 + 1 month is February 28 or
    29), on numpy's month unit, so any day works. The calendar arithmetic runs once per
    distinct day.

    Examples
    --------
    >>> add_months(np.array([day_of("2024-01-31")]), 1).astype("datetime64[D]")
    array(['2024-02-29'], dtype='datetime64[D]')
    """
    days = np.asarray(days, dtype=np.int64)
    if days.size <= 64:
        return _add_months(days, months)
    low, high = int(days.min()), int(days.max())
    if high - low < 4 * days.size:
        return _add_months(np.arange(low, high + 1, dtype=np.int64), months)[days - low]
    unique, inverse = np.unique(days, return_inverse=True)
    return _add_months(unique, months)[inverse]


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


def _month_starts(anchor_month: int, step: int, last_day: int) -> np.ndarray:
    """Day numbers of the month starts ``anchor_month + k * step``, to one after ``last_day``."""
    last_month = int(np.datetime64(int(last_day), "D").astype("datetime64[M]").astype(np.int64))
    k = np.arange((last_month - anchor_month) // step + 2, dtype=np.int64)
    months = (anchor_month + k * step).astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64)


def boundaries(offset: pd.DateOffset, first_day: int, last_day: int) -> np.ndarray:
    """Day numbers of the period starts of ``offset`` around ``first_day..last_day``.

    Multi-period offsets such as ``'2YS'`` are anchored at the period containing 1970-01-01 (or
    the first day, if earlier), so the schedule never depends on the data. The list ends with
    the first period start after ``last_day``.

    Years, quarters, months and anchored weeks are computed on numpy's calendar units (any
    date); other pandas offsets (business months, semi-months, ...) only within the years
    1677-2262 that pandas' nanosecond timestamps hold.

    Examples
    --------
    >>> from pandas.tseries.frequencies import to_offset
    >>> days = boundaries(to_offset("YS-APR"), day_of("2024-05-01"), day_of("2025-02-01"))
    >>> [format_day(d) for d in days if d > 0]
    ['1970-04-01', ..., '2024-04-01', '2025-04-01']
    """
    start_day = min(int(first_day), 0)
    n = int(offset.n)
    if isinstance(offset, (pd.offsets.MonthBegin, pd.offsets.QuarterBegin, pd.offsets.YearBegin)):
        month = int(np.datetime64(start_day, "D").astype("datetime64[M]").astype(np.int64))
        if isinstance(offset, pd.offsets.MonthBegin):
            anchor, step = month, n
        elif isinstance(offset, pd.offsets.QuarterBegin):
            anchor = month - (month - (int(offset.startingMonth) - 1)) % 3
            step = 3 * n
        else:
            anchor = month - (month - (int(offset.month) - 1)) % 12
            step = 12 * n
        return _month_starts(anchor, step, last_day)
    if isinstance(offset, pd.offsets.Week) and offset.weekday is not None:
        anchor = start_day - (start_day + 3 - int(offset.weekday)) % 7  # 1970-01-01: Thursday
        step = 7 * n
        return anchor + step * np.arange((last_day - anchor) // step + 2, dtype=np.int64)
    if start_day < _NS_DAYS[0] or last_day > _NS_DAYS[1]:
        raise DataValidationError(
            f"the calendar period {offset.freqstr!r} can only be computed for dates between "
            f"1677-09-22 and 2262-04-11, but the data runs from {format_day(start_day)} to "
            f"{format_day(last_day)}; use 'YS', 'QS', 'MS' or 'W-MON' (any date), or remove "
            "placeholder dates.",
            rule="calendar periods within 1677-2262",
        )
    start = offset.rollback(_EPOCH + pd.Timedelta(days=start_day))
    end = _EPOCH + pd.Timedelta(days=last_day) + offset
    dates = pd.date_range(start, end, freq=offset)
    return ((dates - _EPOCH) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
