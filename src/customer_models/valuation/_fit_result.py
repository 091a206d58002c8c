"""What a fitted valuation model knows: parameters, their uncertainty, fit statistics.

:func:`check_param_values` validates parameters given by hand (``from_params``, loading a
file); :func:`estimate_tables` builds ``covariance_`` and ``summary_``;
:func:`information_criteria` gives AIC and BIC; :func:`require_fitted` is the one
"not fitted" check of every valuation model.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from customer_models._validation import check_fitted
from customer_models.exceptions import ParameterError

__all__ = [
    "LOG_BOUND",
    "check_param_values",
    "estimate_tables",
    "information_criteria",
    "log_scale_interval",
    "require_fitted",
]

#: Box on the log parameters, keeps every kernel finite (about 1e-11 .. 7e10).
LOG_BOUND = 25.0
_Z95 = 1.959963984540054


def require_fitted(model: Any, role: str | None = None) -> None:
    """Raise ``NotFittedError`` unless ``model`` has parameters (fitted or ``from_params``).

    The one "not fitted" check of the valuation models; ``role`` names the argument a
    function received the model as (e.g. ``"transaction_model"``), for duck-typed models.

    Examples
    --------
    >>> from customer_models.valuation import BetaGeoModel
    >>> require_fitted(BetaGeoModel())
    Traceback (most recent call last):
    ...
    customer_models.exceptions.NotFittedError: This BetaGeoModel is not fitted yet; call fit...
    >>> require_fitted(BetaGeoModel(), role="transaction_model")
    Traceback (most recent call last):
    ...
    customer_models.exceptions.NotFittedError: ...; fit the transaction_model (or use from_params...
    """
    if role is None:
        how = f"call fit(data) or build it with {type(model).__name__}.from_params(...)"
    else:
        how = f"fit the {role} (or use from_params(...)) first"
    check_fitted(model, "params_", how=how)


def check_param_values(
    model_name: str, names: Sequence[str], params: Mapping[str, Any]
) -> np.ndarray:
    """Parameters given by hand as an array in ``names`` order, each a number in the box.

    Examples
    --------
    >>> check_param_values("Toy", ["a"], {"a": 2}).tolist()
    [2.0]
    >>> check_param_values("Toy", ["a"], {"b": 2})
    Traceback (most recent call last):
    ...
    customer_models.exceptions.ParameterError: Toy takes exactly the parameters ['a']; missing...
    """
    names = list(names)
    missing = [n for n in names if n not in params]
    extra = [n for n in params if n not in names]
    if missing or extra:
        raise ParameterError(
            f"{model_name} takes exactly the parameters {names}; "
            f"missing {missing}, unexpected {extra}."
        )
    low, high = math.exp(-LOG_BOUND), math.exp(LOG_BOUND)
    bad = {}
    for n in names:
        value = params[n]
        ok = (
            isinstance(value, numbers.Real)
            and not isinstance(value, (bool, np.bool_))
            and low <= float(value) <= high
        )
        if not ok:
            bad[n] = value
    if bad:
        raise ParameterError(
            f"{model_name} parameters must be numbers in [{low:.3g}, {high:.3g}] (the "
            f"range fit searches, where every prediction is finite); bad: {bad}."
        )
    return np.array([float(params[n]) for n in names])


def log_scale_interval(values: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% interval ``coef * exp(+-z se / coef)`` of positive estimates (delta method on the log).

    An estimate at a boundary of the parameter space (``se`` many times ``coef``) gets the
    unbounded upper limit ``inf`` and the lower limit 0, without an overflow warning; a
    missing ``se`` gives NaN limits.

    Examples
    --------
    >>> lower, upper = log_scale_interval(np.array([2.0, 1e-9]), np.array([0.1, 1e-3]))
    >>> lower.round(3).tolist(), upper.round(3).tolist()
    ([1.81, 0.0], [2.21, inf])
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        half = _Z95 * se / values
    with np.errstate(over="ignore", under="ignore"):  # exp(+-half) at a boundary: inf, 0
        return values * np.exp(-half), values * np.exp(half)


def estimate_tables(
    names: Sequence[str], values: np.ndarray, covariance: np.ndarray | None
) -> tuple[pd.Series, pd.DataFrame | None, pd.DataFrame]:
    """``(params_, covariance_, summary_)`` of estimates ``values``.

    The 95% interval of ``summary_`` is computed on the log scale (``coef * exp(+-z se /
    coef)``), so it stays positive; without a covariance ``se``, ``lower``, ``upper`` are NaN.
    An estimate at a boundary has the limits ``inf`` and 0 (:func:`log_scale_interval`).

    Examples
    --------
    >>> import numpy as np
    >>> _, _, summary = estimate_tables(["a"], np.array([2.0]), np.array([[0.01]]))
    >>> summary.round(3).to_dict("records")
    [{'coef': 2.0, 'se': 0.1, 'lower': 1.81, 'upper': 2.21}]
    """
    names = list(names)
    params = pd.Series(values, index=names, name="coef", dtype=np.float64)
    if covariance is None:
        cov_frame = None
        se = np.full(len(names), np.nan)
    else:
        cov_frame = pd.DataFrame(covariance, index=names, columns=names)
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(covariance))
    lower, upper = log_scale_interval(values, se)
    summary = pd.DataFrame(
        {
            "coef": values,
            "se": se,
            "lower": lower,
            "upper": upper,
        },
        index=pd.Index(names, name="param"),
    )
    return params, cov_frame, summary


def information_criteria(k: int, log_likelihood: float, n: float) -> tuple[float, float]:
    """``(AIC, BIC)`` = ``(2k - 2 LL, k log(n) - 2 LL)``; BIC is NaN without customers.

    Examples
    --------
    >>> information_criteria(2, -10.0, math.e)
    (24.0, 22.0)
    """
    aic = 2.0 * k - 2.0 * log_likelihood
    bic = k * math.log(n) - 2.0 * log_likelihood if n > 0 else math.nan
    return aic, bic
