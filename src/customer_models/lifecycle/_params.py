"""Checks of the ``LifecycleStageClassifier`` parameters, run by ``fit`` (never by ``__init__``)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from customer_models._validation import check_choice
from customer_models.exceptions import ParameterError

__all__ = ["MODES", "check_params"]

#: The modes of ``method``: how at-risk and lapsed customers are found.
MODES = ("absolute", "adaptive", "probabilistic")

#: Parameters removed with the redesign of the adaptive thresholds, and what replaced them.
_REMOVED = {
    "at_risk_factor": "at_risk_false_alarm (the share of still-active customers flagged at "
    "risk, 0.05 by default)",
    "lapsed_factor": "lapsed_false_alarm (the share of still-active customers flagged lapsed, "
    "0.01 by default)",
    "one_time_quantile": "at_risk_false_alarm and lapsed_false_alarm: one-time buyers are at "
    "risk past the time within which 1 - at_risk_false_alarm of the returning customers came "
    "back",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_removed(params: Any) -> None:
    for name, replacement in _REMOVED.items():
        if getattr(params, name) is not None:
            raise ParameterError(
                f"{name} was removed: the adaptive thresholds are no longer multiples of "
                f"the customer's mean gap. Use {replacement}."
            )


def _check_day_thresholds(params: Any) -> None:
    for name in ("new_days", "at_risk_days", "lapsed_days"):
        value = getattr(params, name)
        if not (_is_number(value) and np.isfinite(value) and value >= 0):
            raise ParameterError(f"{name} must be a finite number >= 0, got {value!r}.")
    if params.lapsed_days < params.at_risk_days:
        raise ParameterError(
            f"lapsed_days ({params.lapsed_days}) must be >= at_risk_days "
            f"({params.at_risk_days}): a customer is at risk before being lapsed."
        )
    lmp = params.loyal_min_purchases
    if not (isinstance(lmp, numbers.Integral) and not isinstance(lmp, bool) and int(lmp) >= 2):
        raise ParameterError(
            f"loyal_min_purchases must be an integer >= 2 (purchase periods), got {lmp!r}."
        )


def _check_false_alarms(params: Any) -> None:
    for name in ("at_risk_false_alarm", "lapsed_false_alarm"):
        value = getattr(params, name)
        if not (_is_number(value) and 0.0 < value < 1.0):
            raise ParameterError(
                f"{name} must be a probability strictly between 0 and 1 (the share of "
                f"still-active customers flagged), got {value!r}."
            )
    if params.lapsed_false_alarm > params.at_risk_false_alarm:
        raise ParameterError(
            f"lapsed_false_alarm ({params.lapsed_false_alarm}) must be <= "
            f"at_risk_false_alarm ({params.at_risk_false_alarm}): lapsed is the rarer, "
            "stronger alarm."
        )


def _check_probabilistic(params: Any) -> None:
    for name in ("p_at_risk", "p_lapsed"):
        value = getattr(params, name)
        if not (_is_number(value) and 0.0 <= value <= 1.0):
            raise ParameterError(f"{name} must be a probability in [0, 1], got {value!r}.")
    if params.p_lapsed > params.p_at_risk:
        raise ParameterError(
            f"p_lapsed ({params.p_lapsed}) must be <= p_at_risk ({params.p_at_risk}): lapsed "
            "customers are less likely alive than at-risk ones."
        )
    if params.method == "probabilistic" and not callable(
        getattr(params.model, "probability_alive", None)
    ):
        raise ParameterError(
            "method='probabilistic' needs model= a fitted valuation model with a "
            "probability_alive(summary) method (e.g. BetaGeoModel().fit(summary)), got "
            f"{type(params.model).__name__}."
        )


def _check_nps(params: Any) -> None:
    if not (_is_number(params.promoter_min) and 0 <= params.promoter_min <= 10):
        raise ParameterError(f"promoter_min must be in [0, 10], got {params.promoter_min!r}.")
    if params.nps_col is not None and not isinstance(params.nps_col, str):
        raise ParameterError(f"nps_col must be a column name or None, got {params.nps_col!r}.")


def check_params(params: Any) -> None:
    """Raise :class:`ParameterError` naming the first invalid parameter of ``params``.

    ``params`` is the classifier (anything with its parameters as attributes).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> check_params(SimpleNamespace(method="relative", at_risk_factor=None,
    ...                              lapsed_factor=None, one_time_quantile=None))
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: method must be one of ...
    """
    _check_removed(params)
    check_choice(params.method, "method", list(MODES))
    _check_day_thresholds(params)
    _check_false_alarms(params)
    _check_probabilistic(params)
    _check_nps(params)
