"""CLV's arguments: units and horizon, per-customer rates and margins, spend per purchase.

Everything here validates and converts what the caller gave ``customer_lifetime_value``; no
integral is computed here.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from customer_models._time import TIME_UNIT_DAYS, normalize_unit
from customer_models._validation import check_fitted, check_number, check_rule, require_columns
from customer_models.exceptions import ParameterError

__all__ = [
    "check_fitted_model",
    "check_infinite_horizon",
    "checked_horizon",
    "checked_start",
    "model_unit",
    "per_customer",
    "period_days",
    "spend_per_purchase",
    "units_ratio",
]

_PERIOD_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)?\s*([A-Za-z]+)\s*$")


def period_days(value: Any, argument: str) -> float | None:
    """Length of ``value`` in days; ``"4.345W"`` is 4.345 weeks. None for unknown units."""
    if not isinstance(value, str):
        raise ParameterError(f"{argument} must be a string such as 'D', 'W', 'M' or 'Y'.")
    match = _PERIOD_RE.match(value)
    if match is None:
        return None
    multiple = float(match.group(1)) if match.group(1) else 1.0
    try:  # the one unit table of the library (_time), with its aliases
        unit = normalize_unit(match.group(2), argument)
    except ParameterError:
        return None
    if multiple <= 0:
        return None
    return multiple * TIME_UNIT_DAYS[unit]


def units_ratio(horizon_unit: str, model_time_unit: str) -> float:
    """How many model time units one caller period lasts."""
    caller = period_days(horizon_unit, "horizon_unit")
    model = period_days(model_time_unit, "model_time_unit")
    if caller is None or model is None:
        if horizon_unit == model_time_unit:
            return 1.0
        bad = horizon_unit if caller is None else model_time_unit
        raise ParameterError(
            f"Cannot convert between horizon_unit={horizon_unit!r} and the model's unit "
            f"{model_time_unit!r}: unit {bad!r} is not one of {list(TIME_UNIT_DAYS)} (optionally "
            "with a multiple, e.g. '4.345W'). Use the model's own unit as horizon_unit."
        )
    return caller / model


def model_unit(model: Any, model_time_unit: str | None) -> str:
    """Return ``model_time_unit`` if given, else the transaction model's ``time_unit_``."""
    unit = model_time_unit if model_time_unit is not None else getattr(model, "time_unit_", None)
    if unit is None:
        raise ParameterError(
            f"{type(model).__name__} does not know its time unit (time_unit_ is None), so "
            "the horizon cannot be converted. Pass model_time_unit= (the unit of recency/T the "
            "model was fitted on, e.g. 'W'), or fit the model with time_unit= or on a summary "
            "whose attrs['time_unit'] is set."
        )
    return str(unit)


def check_fitted_model(model: Any, what: str) -> None:
    """Raise :class:`NotFittedError` unless ``model`` has ``params_``."""
    check_fitted(model, "params_", how=f"fit the {what} (or use from_params(...)) first")


def checked_horizon(horizon: Any, horizon_unit: str) -> float:
    """Return the horizon as a float > 0 in ``horizon_unit`` periods (``inf`` allowed)."""
    return float(
        check_number(
            horizon, f"horizon ({horizon_unit} periods)", low=0.0, low_inclusive=False, finite=False
        )
    )


def checked_start(start: Any, horizon: float, horizon_unit: str) -> float:
    """Return the start of the window, ``0 <= start < horizon`` and finite, as a float."""
    value = float(check_number(start, f"start ({horizon_unit} periods)", low=0.0))
    if value >= horizon:
        raise ParameterError(
            f"start={value:g} must be before the end of the window, horizon={horizon:g} "
            f"({horizon_unit} periods): the value is of the purchases in (start, horizon]."
        )
    return value


def check_infinite_horizon(
    horizon: float, discounting: str, rate: np.ndarray, index: pd.Index
) -> None:
    """Raise unless an infinite horizon has continuous discounting at rates > 0."""
    if np.isfinite(horizon):
        return
    if discounting == "discrete":
        raise ParameterError(
            "An infinite horizon needs discounting='continuous' (discrete periods never "
            "end); or give a finite horizon."
        )
    check_rule(
        rate <= 0,
        index,
        rule="discount_rate must be > 0 for an infinite horizon",
        column="discount_rate",
        what="discount_rate",
        hint="Without discounting the value over an infinite horizon is unbounded.",
    )


def per_customer(value: Any, index: pd.Index, name: str, *, non_negative: bool) -> np.ndarray:
    """Broadcast a scalar or align a Series on ``index``, validating every value."""
    if isinstance(value, pd.Series):
        aligned = value.reindex(index)
        missing = aligned.isna().to_numpy()
        check_rule(
            missing,
            index,
            rule=f"{name} must be given for every customer",
            column=name,
            what=name,
            hint=f"The {name} Series must be indexed by the customer ids of data.",
        )
        arr = aligned.to_numpy(dtype=np.float64)
    else:
        scalar = float(check_number(value, name, finite=False))  # finiteness checked below
        arr = np.full(len(index), scalar)
    check_rule(~np.isfinite(arr), index, rule=f"{name} must be finite", column=name, what=name)
    if non_negative:
        check_rule(arr < 0, index, rule=f"{name} must be >= 0", column=name, what=name)
    return arr


def spend_per_purchase(spend_model: Any, data: pd.DataFrame) -> np.ndarray:
    """Return the spend per purchase of every row (a spend model, a Series or the column)."""
    if spend_model is None:
        require_columns(data, ["monetary_value"], what="data")
        return per_customer(
            data["monetary_value"], data.index, "monetary_value", non_negative=False
        )
    if isinstance(spend_model, pd.Series):
        return per_customer(spend_model, data.index, "spend", non_negative=False)
    if not hasattr(spend_model, "expected_spend"):
        raise ParameterError(
            "spend_model must be a fitted spend model with expected_spend() (e.g. "
            "GammaGammaModel), a Series of expected spend per transaction on data's index, or "
            f"None to use data['monetary_value']; got {type(spend_model).__name__}."
        )
    check_fitted_model(spend_model, "spend_model")
    return np.asarray(spend_model.expected_spend(data), dtype=np.float64)
