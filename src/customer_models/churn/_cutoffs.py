"""The time arguments of the churn training set: durations, cutoffs and their checks."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from customer_models._time import US_PER_DAY, us_to_datetime
from customer_models._transactions import TransactionLog
from customer_models.exceptions import DataValidationError, ParameterError

if TYPE_CHECKING:
    from typing import TypeAlias

    from customer_models.typing import DateLike

    #: A duration: a number of days, or what :class:`pandas.Timedelta` reads ("90D", a
    #: timedelta, a numpy timedelta64, a pandas tick offset).
    DurationLike: TypeAlias = (
        float | np.integer | np.floating | np.timedelta64 | str | _dt.timedelta | pd.offsets.Tick
    )
    #: One cut-off day, or several (a list, an Index, a Series or an array of them).
    CutoffsLike: TypeAlias = (
        DateLike | Sequence[DateLike] | pd.Index | pd.Series | np.ndarray | None
    )

__all__ = ["check_cutoffs", "cutoff_list", "duration_us"]


def duration_us(value: DurationLike, name: str) -> int:
    """Return a positive duration in µs: numbers are days, else what pd.Timedelta reads.

    Examples
    --------
    >>> duration_us(1.5, "horizon") == duration_us("36h", "horizon") == 36 * 3_600_000_000
    True
    >>> duration_us(np.timedelta64(2, "D"), "horizon") == 2 * 86_400_000_000
    True
    """
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a number of days or a timedelta, got {value!r}.")
    # numpy counts a timedelta64 as an integer: it is a duration, read below
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, np.timedelta64
    ):
        if not np.isfinite(value) or value <= 0:
            raise ParameterError(f"{name} must be a positive number of days, got {value!r}.")
        if value > 1e7:
            raise ParameterError(f"{name}={value!r} days is longer than any data can cover.")
        return round(float(value) * US_PER_DAY)
    try:
        delta = pd.Timedelta(value)
    except (ValueError, TypeError) as err:
        raise ParameterError(
            f"{name}={value!r} is not a duration; pass a number of days (e.g. 90) or a "
            "timedelta such as '90D'."
        ) from err
    if pd.isna(delta) or delta.value <= 0:
        raise ParameterError(f"{name} must be a positive duration, got {value!r}.")
    return int(delta.to_timedelta64().astype("timedelta64[us]").astype(np.int64))


def cutoff_list(cutoff: CutoffsLike) -> tuple[list[Any], bool]:
    """Return the cutoffs as a list and whether a list (stacked output) was asked for.

    Examples
    --------
    >>> cutoff_list("2024-01-31")
    (['2024-01-31'], False)
    >>> cutoff_list(["2024-01-31", "2024-02-29"])
    (['2024-01-31', '2024-02-29'], True)
    """
    if cutoff is None or isinstance(
        cutoff, (str, bytes, _dt.date, np.datetime64, pd.Timestamp, pd.Period)
    ):
        return [cutoff], False
    if isinstance(cutoff, (Sequence, pd.Index, pd.Series, np.ndarray)):
        values = list(cutoff)
        if not values:
            raise ParameterError("as_of is an empty list; give at least one date.")
        return values, True
    return [cutoff], False


def check_cutoffs(
    log: TransactionLog,
    cutoffs: list[Any],
    cutoff_us: list[int],
    *,
    horizon_us: int | None,
    observation_end: DateLike | None,
) -> None:
    """Refuse duplicated cutoffs, cutoffs before every purchase and labels past the data.

    ``cutoff_us`` holds the last instant of each cutoff day; ``horizon_us`` is None when no
    label is built (then only the first two rules apply).
    """
    if len(set(cutoff_us)) != len(cutoff_us):
        raise ParameterError(f"as_of has duplicated days: {cutoffs}.")
    end_us = log.end(observation_end, "D")
    first_us = int(log.us.min())
    for value, c_us in zip(cutoffs, cutoff_us, strict=True):
        if c_us < first_us:
            raise DataValidationError(
                f"as_of {value} is before the first transaction ({_show(first_us)}): "
                "no customer has a history to learn from. Choose a later as_of.",
                column=log.date_col,
                rule="as_of >= first transaction date",
                n_rows=len(log),
            )
        if horizon_us is not None and c_us + horizon_us > end_us:
            raise DataValidationError(
                f"as_of {value} + horizon ends at {_show(c_us + horizon_us)}, after "
                f"the end of the data ({_show(end_us)}); customers would be labelled "
                "churned only because the data stops. Choose an earlier as_of, a shorter "
                "horizon, pass observation_end if the data runs longer than its last "
                "transaction, or score today's customers with churn_features().",
                column=log.date_col,
                rule="as_of + horizon <= observation_end",
                n_rows=len(log),
            )


def _show(us: int) -> str:
    return str(us_to_datetime(np.array([us]))[0])
