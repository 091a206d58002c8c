"""The one time module: units, date-like values, date columns and purchase periods.

Every date the library reads goes through here, so one rule holds everywhere:

- instants are int64 **microseconds** since 1970-01-01 on the wall clock (timezone-aware data
  keeps its local clock), which spans ±290,000 years: a ``9999-12-31`` sentinel is a date, never
  a wrapped nanosecond count;
- a **cut-off** (``observation_end``, ``calibration_end``, ``cutoff``, ``as_of``) means the whole
  period at the summary's ``freq`` that contains it: every purchase in that period counts, and
  ``T`` is measured to that period;
- string dates are parsed without guessing: ISO 8601 first, then one consistent format; an
  order that could be day-first or month-first is an error that shows two offending values
  unless ``dayfirst`` or ``date_format`` says which;
- numeric date columns need a unit (``date_unit="s"`` for epoch seconds, ``date_format="%Y%m%d"``
  for integers such as 20240105).
"""

from __future__ import annotations

import datetime as _dt
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from customer_models._validation import check_rule
from customer_models.exceptions import DataValidationError, ParameterError

__all__ = [
    "TIME_UNIT_DAYS",
    "US_PER_DAY",
    "DateUnit",
    "cutoff_us",
    "normalize_unit",
    "parse_date_column",
    "period_codes",
    "period_start_us",
    "to_instant_us",
    "us_to_datetime",
]

#: Length of each supported period or time unit in days (months and years are averages).
TIME_UNIT_DAYS: dict[str, float] = {
    "s": 1.0 / 86_400.0,
    "min": 1.0 / 1_440.0,
    "h": 1.0 / 24.0,
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12.0,
    "Q": 365.25 / 4.0,
    "Y": 365.25,
}
_ALIASES = {
    "d": "D", "day": "D", "days": "D",
    "w": "W", "week": "W", "weeks": "W", "W-SUN": "W",
    "m": "M", "month": "M", "months": "M", "ME": "M", "MS": "M",
    "q": "Q", "quarter": "Q", "quarters": "Q", "QE": "Q", "QS": "Q",
    "y": "Y", "year": "Y", "years": "Y", "A": "Y", "YE": "Y", "YS": "Y",
    "H": "h", "hour": "h", "hours": "h",
    "T": "min", "minute": "min", "minutes": "min",
    "S": "s", "second": "s", "seconds": "s",
}  # fmt: skip

US_PER_DAY = 86_400 * 10**6
_US_PER_FIXED = {"s": 10**6, "min": 60 * 10**6, "h": 3_600 * 10**6, "D": US_PER_DAY}
_EPOCH_UNITS = {"D": US_PER_DAY, "s": 10**6, "ms": 10**3, "us": 1, "ns": None}

#: Units a numeric date column can be read in (epoch offsets).
DateUnit = Literal["D", "s", "ms", "us", "ns"]


def normalize_unit(name: Any, argument: str) -> str:
    """Return the canonical spelling of a period or time unit, or raise ``ParameterError``.

    Examples
    --------
    >>> normalize_unit("weeks", "time_unit")
    'W'
    """
    unit = _ALIASES.get(name, name) if isinstance(name, str) else None
    if unit not in TIME_UNIT_DAYS:
        raise ParameterError(
            f"{argument}={name!r} is not a supported unit; use one of {list(TIME_UNIT_DAYS)}."
        )
    return str(unit)


# ----------------------------------------------------------------------------- single values
def to_instant_us(value: Any, argument: str, *, tz: Any = None, end: bool = False) -> int:
    """One date-like value as wall-clock microseconds since the epoch.

    Accepts ``str`` (ISO 8601 or anything :class:`pandas.Timestamp` parses unambiguously),
    :class:`datetime.datetime`, :class:`datetime.date`, :class:`numpy.datetime64`,
    :class:`pandas.Timestamp` and :class:`pandas.Period`. A period stands for its last instant
    when ``end`` is true (a cut-off of ``Period("2024-01", "M")`` keeps all of January), else
    for its first. Timezone-aware values are converted to ``tz`` (the data's zone) and then read
    on that wall clock.

    Examples
    --------
    >>> to_instant_us("1970-01-02", "observation_end")
    86400000000
    >>> to_instant_us(pd.Period("1970-01", "M"), "observation_end", end=True)
    2678399999999
    """
    if isinstance(value, bool) or value is None or isinstance(value, (int, float, np.number)):
        raise ParameterError(
            f"{argument}={value!r} is not a date; pass a date string ('2024-01-31'), a "
            "datetime, a date, a numpy datetime64, a pandas Timestamp or a pandas Period."
        )
    if isinstance(value, pd.Period):
        ts = value.end_time if end else value.start_time
    else:
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError) as err:
            raise ParameterError(f"{argument}={value!r} is not a parseable date ({err}).") from None
        if ts is pd.NaT:
            raise ParameterError(f"{argument} must be a date, got a missing value ({value!r}).")
    if ts.tzinfo is not None:
        ts = ts.tz_convert(tz).tz_localize(None) if tz is not None else ts.tz_localize(None)
    # numpy's cast floors (a Period's end at ns precision stays in its period).
    return int(ts.to_datetime64().astype("datetime64[us]").astype(np.int64))


def us_to_datetime(us: np.ndarray, tz: Any = None) -> pd.DatetimeIndex:
    """Microsecond wall-clock instants as a ``datetime64[us]`` index (localised to ``tz``)."""
    index = pd.DatetimeIndex(np.asarray(us, dtype=np.int64).view("datetime64[us]"))
    return index.tz_localize(tz) if tz is not None else index


# ----------------------------------------------------------------------------- periods
def period_codes(us: np.ndarray, freq: str, *, out: np.ndarray | None = None) -> np.ndarray:
    """Integer period number of each instant at ``freq`` (consecutive periods differ by one).

    Weeks run Monday to Sunday (pandas' and lifetimes' ``"W"``), months, quarters and years are
    calendar periods. ``out`` (an int64 array shaped like ``us``, which may be ``us`` itself)
    receives the codes, saving a row-sized allocation at millions of rows.

    Examples
    --------
    >>> us = np.array([0, US_PER_DAY - 1, US_PER_DAY], dtype=np.int64)
    >>> period_codes(us, "D").tolist()
    [0, 0, 1]
    """
    us = np.asarray(us, dtype=np.int64)
    if freq in _US_PER_FIXED:
        return np.floor_divide(us, _US_PER_FIXED[freq], out=out)
    if freq == "W":
        # 1970-01-01 was a Thursday: shift so that weeks start on Monday.
        days = np.floor_divide(us, US_PER_DAY, out=out)
        days += 3
        return np.floor_divide(days, 7, out=days)
    stamps = us.view("datetime64[us]")
    if freq == "Y":
        codes = stamps.astype("datetime64[Y]").astype(np.int64)
    else:
        months = stamps.astype("datetime64[M]").astype(np.int64)
        codes = np.floor_divide(months, 3) if freq == "Q" else months
    if out is None:
        return codes
    out[...] = codes
    return out


def period_start_us(codes: np.ndarray, freq: str) -> np.ndarray:
    """First instant of each period number of :func:`period_codes` (its inverse)."""
    codes = np.asarray(codes, dtype=np.int64)
    if freq in _US_PER_FIXED:
        return codes * _US_PER_FIXED[freq]
    if freq == "W":
        return (codes * 7 - 3) * US_PER_DAY
    if freq == "Y":
        return codes.astype("datetime64[Y]").astype("datetime64[us]").astype(np.int64)
    months = codes * 3 if freq == "Q" else codes
    return months.astype("datetime64[M]").astype("datetime64[us]").astype(np.int64)


def cutoff_us(value: Any, freq: str, argument: str, *, tz: Any = None) -> int:
    """Last microsecond of the ``freq`` period that contains the cut-off ``value``.

    A cut-off means the whole period: ``observation_end="2024-01-10"`` at daily periods keeps
    every purchase made on January 10, whatever its time of day.

    Examples
    --------
    >>> cutoff_us("1970-01-01 08:00", "D", "observation_end")
    86399999999
    """
    instant = to_instant_us(value, argument, tz=tz, end=True)
    code = period_codes(np.array([instant], dtype=np.int64), freq)
    return int(period_start_us(code + 1, freq)[0]) - 1


# ----------------------------------------------------------------------------- columns
def _examples(values: Any, mask: np.ndarray, n: int = 2) -> list[Any]:
    return list(np.asarray(values, dtype=object)[mask][:n])


def _refuse_rows(
    bad: np.ndarray, values: Any, ids: Any, column: str, rule: str, hint: str = ""
) -> None:
    """Raise naming the offending customers and showing two offending values."""
    if bool(bad.any()):
        shown = f"Offending values: {_examples(values, bad)}."
        check_rule(
            bad,
            np.arange(bad.size) if ids is None else ids,
            rule=rule,
            column=column,
            what="transactions",
            hint=f"{shown} {hint}".strip(),
        )


def _numeric_dates(
    dates: pd.Series, column: str, date_unit: str | None, date_format: str | None, ids: Any
) -> pd.Series:
    if date_format is not None:
        as_int = dates.astype("Int64") if dates.dtype.kind == "f" else dates
        return _strings_with_format(as_int.astype("string"), column, date_format, ids)
    if date_unit is None:
        sample = dates.dropna().iloc[:2].tolist()
        raise DataValidationError(
            f"{column} is numeric (e.g. {sample}), so its dates are ambiguous. Pass "
            "date_format='%Y%m%d' for integer dates such as 20240105, or date_unit='s' (or "
            "'ms', 'us', 'ns', 'D') for offsets since 1970-01-01.",
            column=column,
            rule="numeric dates need date_format or date_unit",
            n_rows=len(dates),
        )
    if date_unit not in _EPOCH_UNITS:
        raise ParameterError(
            f"date_unit={date_unit!r} is not supported; use one of {list(_EPOCH_UNITS)}."
        )
    values = dates.to_numpy(dtype=np.float64, na_value=np.nan)
    factor = _EPOCH_UNITS[date_unit]
    us = values / 1000.0 if factor is None else values * factor
    bad = np.isfinite(values) & (np.abs(us) > 2.0**62)
    _refuse_rows(bad, values, ids, column, f"{column} within ±146,000 years of 1970")
    out = np.where(np.isfinite(us), np.floor(np.nan_to_num(us)), 0).astype(np.int64)
    result = pd.Series(out.view("datetime64[us]"), index=dates.index)
    return result.mask(~np.isfinite(values))


def _strings_with_format(strings: pd.Series, column: str, date_format: str, ids: Any) -> pd.Series:
    if not isinstance(date_format, str):
        raise ParameterError(f"date_format must be a strptime format string, got {date_format!r}.")
    parsed = _to_datetime(strings, column, format=date_format)
    bad = (parsed.isna() & strings.notna()).to_numpy()
    _refuse_rows(bad, strings, ids, column, f"{column} in the format {date_format!r}")
    return parsed


def _guess(value: str, dayfirst: bool) -> str | None:
    from pandas.tseries.api import guess_datetime_format

    with warnings.catch_warnings():
        # pandas warns when the guess contradicts dayfirst; we compare both guesses instead.
        warnings.simplefilter("ignore", UserWarning)
        return guess_datetime_format(value, dayfirst=dayfirst)


def _to_datetime(
    strings: pd.Series, column: str, *, errors: str = "coerce", **kwargs: Any
) -> pd.Series:
    """``pd.to_datetime`` (unparseable values NaT by default); mixed zones are a clear error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # dayfirst hints: we decide ourselves
            return pd.to_datetime(strings, errors=errors, **kwargs)
    except (ValueError, TypeError, OverflowError) as err:
        raise DataValidationError(
            f"{column} cannot be read as dates in one time zone ({err}). Convert them to one "
            "zone first, e.g. pd.to_datetime(df[...], utc=True).dt.tz_convert('Europe/Paris').",
            column=column,
            rule=f"{column} must be dates in one time zone",
            n_rows=len(strings),
        ) from None


def _strings(dates: pd.Series, column: str, dayfirst: bool | None, ids: Any) -> pd.Series:
    strings = dates.astype("string").str.strip()
    if dayfirst is None:
        iso = _to_datetime(strings, column, format="ISO8601")
        if not (iso.isna() & strings.notna()).any():
            return iso
    present = strings.dropna()
    first = str(present.iloc[0])
    candidates: list[str] = []
    for day_first in (False, True) if dayfirst is None else (dayfirst,):
        fmt = _guess(first, day_first)
        if fmt is not None and fmt not in candidates:
            candidates.append(fmt)
    parses = {}
    for fmt in candidates:
        parsed = _to_datetime(strings, column, format=fmt)
        if not (parsed.isna() & strings.notna()).any():
            parses[fmt] = parsed
    if len(parses) == 1:
        return next(iter(parses.values()))
    if len(parses) > 1:
        (fmt_a, a), (fmt_b, b) = list(parses.items())[:2]
        differ = (a != b).to_numpy(dtype=bool, na_value=False)
        if not differ.any():  # e.g. every date is 01/01: both orders agree
            return a
        shown = _examples(strings, differ) or [first]
        raise DataValidationError(
            f"{column} has dates whose order is ambiguous: {shown} read as {fmt_a!r} and as "
            f"{fmt_b!r} give different dates on {int(differ.sum())} row(s). Pass "
            "dayfirst=True (dd/mm/yyyy) or dayfirst=False (mm/dd/yyyy), or date_format=.",
            column=column,
            rule="unambiguous date order",
            n_rows=int(differ.sum()),
        )
    # No single format parses every row: formats are mixed.
    if dayfirst is None:
        sample_formats = {_guess(str(v), False) for v in present.iloc[:50]}
        sample_formats |= {_guess(str(v), True) for v in present.iloc[:50]}
        known = [f for f in sample_formats if f is not None]
        if len(known) == len(sample_formats) and any("%d/%m" in f or "%m/%d" in f for f in known):
            raise DataValidationError(
                f"{column} mixes date formats with slashes (e.g. {present.iloc[:2].tolist()}); "
                "pass dayfirst= or date_format= so that no date is read in the wrong order.",
                column=column,
                rule="unambiguous date order",
                n_rows=len(present),
            )
    parsed = _to_datetime(strings, column, format="mixed", dayfirst=bool(dayfirst))
    bad = (parsed.isna() & strings.notna()).to_numpy()
    _refuse_rows(
        bad,
        strings,
        ids,
        column,
        f"{column} must be a parseable date",
        "Pass date_format= if the dates share a format.",
    )
    return parsed


def _objects(dates: pd.Series, column: str) -> pd.Series:
    """Object columns: datetimes, dates, Timestamps (maybe mixed with strings)."""
    present = dates.dropna()
    kinds = {type(v) for v in present.iloc[:1000]}
    if kinds and all(issubclass(k, str) for k in kinds):
        return pd.Series(dates, dtype=object)  # handled as strings by the caller
    if any(issubclass(k, (_dt.date, np.datetime64)) for k in kinds):
        return _to_datetime(dates, column, errors="raise")
    return pd.Series(dates, dtype=object)


def parse_date_column(
    dates: pd.Series,
    column: str,
    *,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    date_unit: str | None = None,
    ids: Any = None,
) -> tuple[np.ndarray, Any]:
    """Read a date column as wall-clock microseconds since the epoch, and its time zone.

    Missing dates are returned as the int64 minimum and must be checked by the caller.

    Parameters
    ----------
    dates : Series
        Datetimes (any resolution, naive or timezone-aware), date objects, strings or numbers.
    column : str
        The column name, for error messages.
    date_format : str, optional
        ``strptime`` format of string (or integer) dates, e.g. ``"%d/%m/%Y"``.
    dayfirst : bool, optional
        Read ambiguous slash dates day-first (True) or month-first (False). By default an
        ambiguous order is an error.
    date_unit : {"D", "s", "ms", "us", "ns"}, optional
        Unit of numeric dates counted from 1970-01-01.
    ids : array-like, optional
        Customer ids aligned with ``dates``, shown in errors (default: row positions).

    Returns
    -------
    us : ndarray of int64
    tz : tzinfo or None

    Examples
    --------
    >>> us, tz = parse_date_column(pd.Series(["31/01/2024", "01/02/2024"]), "date",
    ...                            dayfirst=True)
    >>> us_to_datetime(us).strftime("%Y-%m-%d").tolist()
    ['2024-01-31', '2024-02-01']
    """
    if isinstance(dates, pd.DataFrame):
        raise DataValidationError(
            f"transactions has more than one column named {column!r}; rename the duplicates.",
            column=column,
            rule="column names are unique",
        )
    if dates.dtype == object:
        dates = _objects(dates, column)
    kind = dates.dtype.kind
    if isinstance(dates.dtype, pd.PeriodDtype):
        dates = dates.dt.start_time
    elif kind in "iuf" and not pd.api.types.is_bool_dtype(dates):
        dates = _numeric_dates(dates, column, date_unit, date_format, ids)
    elif not pd.api.types.is_datetime64_any_dtype(dates):
        if date_format is not None:
            dates = _strings_with_format(dates.astype("string"), column, date_format, ids)
        elif pd.api.types.is_string_dtype(dates) or dates.dtype == object:
            dates = _strings(dates, column, dayfirst, ids)
        else:
            raise DataValidationError(
                f"{column} has dtype {dates.dtype}, which is not a date.",
                column=column,
                rule=f"{column} must be dates",
                n_rows=len(dates),
            )
    tz = getattr(dates.dt, "tz", None)
    if tz is not None:
        dates = dates.dt.tz_localize(None)  # local wall clock: a purchase at 23:00 stays that day
    values = dates.to_numpy(dtype="datetime64[us]")
    return values.view(np.int64), tz
