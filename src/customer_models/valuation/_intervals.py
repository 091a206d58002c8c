"""Per-customer uncertainty intervals from draws of a fitted model's parameters.

Two ways to draw parameters:

- ``"laplace"``: the log-parameters are approximately normal at the maximum likelihood
  estimate, with covariance ``diag(1/θ) Σ diag(1/θ)`` (the inverse of the delta method that
  gives the model's ``covariance_`` Σ). Cheap: no refitting.
- ``"bootstrap"``: customers are resampled with replacement (multinomial weights) and the
  model is refitted for each draw.

Each draw becomes a model via ``from_params`` and predicts on a chunk of customers; quantiles
are taken over draws chunk by chunk, so memory is O(chunk × draws + customers), never
draws × all customers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from customer_models._validation import (
    as_generator,
    as_pandas,
    check_choice,
    check_fitted,
    check_number,
    check_random_state,
)
from customer_models.exceptions import CustomerModelsError, ParameterError

__all__ = ["prediction_interval"]

#: Target number of floats held at once (draws × customers in a chunk): 32 MB.
_CELLS_PER_CHUNK = 4_000_000

#: Most parameter draws per interval: each draw is a model and a prediction per customer.
MAX_DRAWS = 100_000

_QUANTITIES = ("expected_purchases", "probability_alive", "expected_spend")


def _rng(random_state: Any) -> np.random.Generator:
    return as_generator(random_state)


def _params(model: Any) -> pd.Series:
    check_fitted(model, "params_", how="call fit(data) or from_params(...) first")
    return model.params_


def _log_covariance(model: Any) -> np.ndarray:
    """Covariance of the log-parameters, from the model's (delta method) covariance_."""
    params = _params(model)
    theta = params.to_numpy(dtype=np.float64)
    cov = getattr(model, "covariance_", None)
    if cov is None or np.any(theta <= 0):
        raise ParameterError(
            f"{type(model).__name__} has no covariance_ over positive parameters (e.g. a model "
            "made with from_params), so Laplace draws are impossible; use "
            "method='bootstrap' with fit_data, or fit the model."
        )
    sigma = np.asarray(cov, dtype=np.float64)
    log_cov = sigma / np.outer(theta, theta)
    log_cov = 0.5 * (log_cov + log_cov.T)
    if not np.all(np.isfinite(log_cov)) or np.linalg.eigvalsh(log_cov).min() < -1e-10:
        raise CustomerModelsError(
            f"{type(model).__name__}.covariance_ is not a finite positive semi-definite "
            "matrix (the Hessian was singular at the optimum?); use method='bootstrap'."
        )
    return log_cov


def _refit(model: Any, data: pd.DataFrame, counts: np.ndarray) -> Any:
    clone = copy.deepcopy(model)
    keep = counts > 0
    clone.fit(data.loc[keep], sample_weight=counts[keep].astype(np.float64))
    return clone


def _draw_params(
    model: Any,
    n_draws: int,
    rng: np.random.Generator,
    method: str,
    fit_data: pd.DataFrame | None,
) -> np.ndarray:
    """Parameter draws, shape (n_draws, n_params), in the order of ``model.params_``."""
    params = _params(model)
    if method == "laplace":
        mean = np.log(params.to_numpy(dtype=np.float64))
        cov = _log_covariance(model)
        return np.exp(rng.multivariate_normal(mean, cov, size=n_draws, method="eigh"))
    if fit_data is None:
        raise ParameterError("method='bootstrap' needs the data the model was fitted on.")
    n = len(fit_data)
    draws = np.empty((n_draws, params.size))
    for k in range(n_draws):
        counts = rng.multinomial(n, np.full(n, 1.0 / n))
        draws[k] = _params(_refit(model, fit_data, counts)).to_numpy(dtype=np.float64)
    return draws


def _with_params(model: Any, values: np.ndarray) -> Any:
    names = [str(n) for n in _params(model).index]
    kwargs = dict(zip(names, (float(v) for v in values), strict=True))
    return type(model).from_params(time_unit=getattr(model, "time_unit_", None), **kwargs)


def _chunked_quantiles(
    n_rows: int,
    n_draws: int,
    evaluate: Callable[[int, slice], np.ndarray],
    level: float,
    chunk_size: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles over draws of ``evaluate(draw, rows)``, holding one chunk of rows at a time."""
    size = chunk_size or max(1, _CELLS_PER_CHUNK // max(n_draws, 1))
    lower = np.empty(n_rows)
    upper = np.empty(n_rows)
    alpha = (1.0 - level) / 2.0
    for start in range(0, n_rows, size):
        rows = slice(start, min(start + size, n_rows))
        block = np.empty((n_draws, rows.stop - rows.start))
        for k in range(n_draws):
            block[k] = evaluate(k, rows)
        lower[rows], upper[rows] = np.quantile(block, [alpha, 1.0 - alpha], axis=0)
    return lower, upper


def _check_level(
    level: Any, n_draws: Any, chunk_size: Any = None, random_state: Any = None
) -> tuple[float, int, int | None]:
    """Validate the interval options; return ``(level, n_draws, chunk_size)``."""
    checked_level = check_number(
        level, "level", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    draws = check_number(n_draws, "n_draws", low=2, high=MAX_DRAWS, integer=True)
    chunk = check_number(chunk_size, "chunk_size", low=1, integer=True, allow_none=True)
    check_random_state(random_state)
    return checked_level, draws, chunk


def _predict(model: Any, data: pd.DataFrame, quantity: str, t: float | None) -> np.ndarray:
    if quantity == "expected_purchases":
        return np.asarray(model.expected_purchases(data, t=t), dtype=np.float64)
    return np.asarray(getattr(model, quantity)(data), dtype=np.float64)


def prediction_interval(
    model: Any,
    data: Any,
    *,
    quantity: Literal["expected_purchases", "probability_alive", "expected_spend"] = (
        "expected_purchases"
    ),
    t: float | None = None,
    level: float = 0.9,
    n_draws: int = 500,
    method: Literal["laplace", "bootstrap"] = "laplace",
    random_state: int | np.random.Generator | None = None,
    chunk_size: int | None = None,
    fit_data: Any = None,
) -> pd.DataFrame:
    """Per-customer prediction with a parameter-uncertainty interval.

    Parameters
    ----------
    model : fitted valuation model
        A transaction model (BG/NBD, Pareto/NBD, ...) or a spend model (Gamma-Gamma).
    data : DataFrame
        Customer summary with the columns the model needs.
    quantity : {"expected_purchases", "probability_alive", "expected_spend"}
        The model method to evaluate.
    t : float, optional
        Horizon for ``"expected_purchases"``, in the model's time unit.
    level : float, default 0.9
        Coverage of the central interval (quantiles ``(1 - level)/2`` and ``(1 + level)/2``).
    n_draws : int, default 500
        Number of parameter draws, 2 to 100,000.
    method : {"laplace", "bootstrap"}, default "laplace"
        Normal draws of the log-parameters with the model's covariance, or a customer
        bootstrap with one refit per draw (slow; needs ``fit_data``).
    random_state : int or numpy Generator, optional
        Seed; the same seed gives the same interval.
    chunk_size : int, optional
        Customers per chunk (default: about 4 million / n_draws).
    fit_data : DataFrame, optional
        The data the model was fitted on (bootstrap only).

    Returns
    -------
    DataFrame
        Columns ``quantity`` (the point prediction at the fitted parameters), ``lower`` and
        ``upper``, on ``data``'s index.

    Raises
    ------
    ParameterError
        Bad level, draws or quantity; Laplace draws without a covariance.

    Examples
    --------
    >>> import pandas as pd
    >>> class Rate:  # purchases at a Poisson rate lam per week
    ...     time_unit_ = "W"
    ...     def __init__(self, lam=2.0):
    ...         self.params_ = pd.Series({"lam": lam})
    ...         self.covariance_ = pd.DataFrame([[0.04]], index=["lam"], columns=["lam"])
    ...     @classmethod
    ...     def from_params(cls, *, time_unit=None, lam):
    ...         return cls(lam)
    ...     def expected_purchases(self, data, *, t):
    ...         return pd.Series(self.params_["lam"] * t, index=data.index)
    >>> data = pd.DataFrame({"frequency": [1, 2]}, index=["a", "b"])
    >>> out = prediction_interval(Rate(), data, t=1.0, random_state=0)
    >>> list(out.columns), bool((out["lower"] < 2.0).all() and (out["upper"] > 2.0).all())
    (['expected_purchases', 'lower', 'upper'], True)
    """
    frame = as_pandas(data, what="data")
    check_choice(quantity, "quantity", list(_QUANTITIES))
    check_choice(method, "method", ["laplace", "bootstrap"])
    level, n_draws, chunk_size = _check_level(level, n_draws, chunk_size, random_state)
    if quantity == "expected_purchases":
        if t is None:
            raise ParameterError("quantity='expected_purchases' needs t >= 0 (model time units).")
        t = check_number(t, "t", low=0.0)
    if not hasattr(model, quantity):
        raise ParameterError(f"{type(model).__name__} has no method {quantity}().")
    fit_frame = None if fit_data is None else as_pandas(fit_data, what="fit_data")
    if method == "bootstrap" and fit_frame is None:
        fit_frame = frame
    rng = _rng(random_state)
    draws = _draw_params(model, int(n_draws), rng, method, fit_frame)
    models = [_with_params(model, d) for d in draws]
    point = _predict(model, frame, quantity, t)

    def evaluate(k: int, rows: slice) -> np.ndarray:
        return _predict(models[k], frame.iloc[rows], quantity, t)

    lower, upper = _chunked_quantiles(len(frame), int(n_draws), evaluate, level, chunk_size)
    return pd.DataFrame({quantity: point, "lower": lower, "upper": upper}, index=frame.index)
