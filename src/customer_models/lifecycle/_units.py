"""Conversion of a summary's time unit (``attrs["time_unit"]``) to days."""

from __future__ import annotations

from customer_models._time import TIME_UNIT_DAYS, normalize_unit
from customer_models.exceptions import ParameterError

__all__ = ["days_per_unit"]


def days_per_unit(unit: str) -> float:
    """Return how many days one ``unit`` lasts (months and years as in ``rfm_summary``).

    Spellings are those of :func:`customer_models._time.normalize_unit` (``"W"``,
    ``"weeks"``, ``"ME"``, ``"H"``, ...); anchored weeks such as ``"W-SUN"`` are weeks.

    Examples
    --------
    >>> days_per_unit("W")
    7.0
    >>> days_per_unit("W-MON")
    7.0
    """
    key = str(unit)
    if key.startswith("W-"):  # anchored weeks such as "W-SUN"
        key = "W"
    try:
        canonical = normalize_unit(key, "time_unit")
    except ParameterError:
        raise ParameterError(
            f"cannot convert the summary's time unit {unit!r} to days; supported units are "
            f"{sorted(TIME_UNIT_DAYS)}. Pass time_unit= to say what the summary's recency and "
            "T are measured in."
        ) from None
    return float(TIME_UNIT_DAYS[canonical])
