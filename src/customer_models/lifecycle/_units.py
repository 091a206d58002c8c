"""Conversion of a summary's time unit (``attrs["time_unit"]``) to days."""

from __future__ import annotations

from customer_models.exceptions import ParameterError
from customer_models.summary import TIME_UNIT_DAYS

__all__ = ["days_per_unit"]

# Spellings of the units of TIME_UNIT_DAYS that pandas or users commonly write.
_ALIASES = {
    "H": "h",
    "T": "min",
    "S": "s",
    "ME": "M",
    "MS": "M",
    "QE": "Q",
    "QS": "Q",
    "YE": "Y",
    "YS": "Y",
    "A": "Y",
}


def days_per_unit(unit: str) -> float:
    """Return how many days one ``unit`` lasts (months and years as in ``rfm_summary``).

    Examples
    --------
    >>> days_per_unit("W")
    7.0
    """
    key = str(unit)
    if key.startswith("W-"):  # anchored weeks such as "W-SUN"
        key = "W"
    key = _ALIASES.get(key, key)
    if key not in TIME_UNIT_DAYS:
        raise ParameterError(
            f"cannot convert the summary's time unit {unit!r} to days; supported units are "
            f"{sorted(TIME_UNIT_DAYS)}. Pass time_unit= to say what the summary's recency and "
            "T are measured in."
        )
    return float(TIME_UNIT_DAYS[key])
