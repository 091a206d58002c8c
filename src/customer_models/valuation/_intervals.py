"""Confidence intervals of a fitted model's *expectations* (parameter uncertainty only).

:func:`confidence_interval` answers "how sure are we of this customer's expected purchases
(P(alive), expected spend) given that the parameters were estimated?". It says nothing about
the customer's actual future count, which varies far more: for that interval see
:func:`customer_models.prediction_interval` (the predictive distribution of the outcome).

Three methods: ``"laplace"`` and ``"bootstrap"`` parameter draws (see
:mod:`customer_models.valuation._param_draws`), whose quantiles are taken chunk by chunk over
the distinct histories (memory O(chunk × draws + customers)); and ``"delta"``, a normal
interval on the log (logit for a probability) scale from the gradient of the prediction in
the log-parameters (central differences of the kernel, 2 × n_params evaluations), which costs
no draws at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from customer_models._polars import polars_out
from customer_models._progress import ProgressLike, check_progress
from customer_models._validation import as_generator, as_pandas, check_choice, check_number
from customer_models.exceptions import ParameterError
from customer_models.valuation._param_draws import (
    PatternEvaluator,
    check_draw_options,
    draw_params,
    evaluator,
    fitted_params,
    free_covariance,
    free_params,
    from_free,
)

if TYPE_CHECKING:
    from customer_models.typing import RandomStateLike


__all__ = ["confidence_interval"]

#: Target number of floats held at once (draws × patterns in a chunk): 32 MB.
_CELLS_PER_CHUNK = 4_000_000
#: Parameter draws evaluated in one broadcast kernel call (where the kernel allows it).
_DRAW_BATCH = 16
#: Step in the log-parameters of the delta method's central differences.
_DELTA_STEP = 1e-5

_QUANTITIES = ("expected_purchases", "probability_alive", "expected_spend")


def chunked_quantiles(
    n_rows: int,
    n_draws: int,
    evaluate: Callable[[int, slice], np.ndarray],
    confidence: float,
    chunk_size: int | None,
    evaluate_many: Callable[[slice, slice], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles over draws of ``evaluate(draw, rows)``, holding one chunk of rows at a time.

    ``evaluate_many(draws, rows)``, if given, evaluates a slice of draws at once (shape
    ``(draws, rows)``), ``_DRAW_BATCH`` at a time.

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = chunked_quantiles(2, 101, lambda k, rows: np.full(rows.stop - rows.start, k),
    ...                            0.9, None)
    >>> lo.tolist(), hi.tolist()
    ([5.0, 5.0], [95.0, 95.0])
    """
    size = chunk_size or max(1, _CELLS_PER_CHUNK // max(n_draws, 1))
    lower = np.empty(n_rows)
    upper = np.empty(n_rows)
    alpha = (1.0 - confidence) / 2.0
    for start in range(0, n_rows, size):
        rows = slice(start, min(start + size, n_rows))
        block = np.empty((n_draws, rows.stop - rows.start))
        if evaluate_many is not None:
            for first in range(0, n_draws, _DRAW_BATCH):
                ks = slice(first, min(first + _DRAW_BATCH, n_draws))
                block[ks] = evaluate_many(ks, rows)
        else:
            for k in range(n_draws):
                block[k] = evaluate(k, rows)
        lower[rows], upper[rows] = np.quantile(block, [alpha, 1.0 - alpha], axis=0)
    return lower, upper


def _delta_interval(
    model: Any, ev: PatternEvaluator, quantity: str, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return the normal interval of log f (logit f for a probability) from central differences.

    The differences are taken in the free parameters (:func:`free_params`): the log of the
    positive parameters, a covariate model's coefficients as they are.
    """
    theta = fitted_params(model).to_numpy(dtype=np.float64)
    u, positive = free_params(model)
    cov = free_covariance(model)
    rows = slice(0, ev.n_patterns)
    point = ev.evaluate(theta, rows)
    prob = quantity == "probability_alive"
    eps = 1e-300

    def link(v: np.ndarray) -> np.ndarray:
        v = np.clip(v, eps, 1.0 - 1e-16) if prob else np.maximum(v, eps)
        return np.log(v) - (np.log1p(-v) if prob else 0.0)

    grad = np.empty((theta.size, ev.n_patterns))
    for j in range(theta.size):
        step = np.zeros(theta.size)
        step[j] = _DELTA_STEP
        up, down = from_free(u + step, positive), from_free(u - step, positive)
        grad[j] = (link(ev.evaluate(up, rows)) - link(ev.evaluate(down, rows))) / (
            2.0 * _DELTA_STEP
        )
    sd = np.sqrt(np.maximum(np.einsum("ip,ij,jp->p", grad, cov, grad), 0.0))
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    centre = link(point)
    lo, hi = centre - z * sd, centre + z * sd
    if prob:
        lower, upper = 1.0 / (1.0 + np.exp(-lo)), 1.0 / (1.0 + np.exp(-hi))
    else:
        lower, upper = np.exp(lo), np.exp(hi)
    zero = point <= 0.0
    lower[zero] = upper[zero] = 0.0 if not prob else point[zero]
    return lower, upper


@polars_out
def confidence_interval(
    model: Any,
    data: Any,
    *,
    quantity: Literal["expected_purchases", "probability_alive", "expected_spend"] = (
        "expected_purchases"
    ),
    t: float | None = None,
    confidence: float = 0.9,
    method: Literal["laplace", "bootstrap", "delta"] = "laplace",
    n_draws: int = 500,
    fit_data: Any = None,
    random_state: RandomStateLike = None,
    chunk_size: int | None = None,
    progress: ProgressLike = None,
) -> pd.DataFrame:
    """Per-customer expectation with a confidence interval from parameter uncertainty.

    The interval is for the *expected* value (``E[X(T, T+t)]``, P(alive) or expected spend),
    not for what the customer will actually do: a customer expected to buy 0.4 times may well
    buy 2 times. For an interval of the outcome use :func:`prediction_interval`.

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
    confidence : float, default 0.9
        Coverage of the central interval (quantiles ``(1 - confidence)/2`` and
        ``(1 + confidence)/2``).
    method : {"laplace", "bootstrap", "delta"}, default "laplace"
        Normal draws of the log-parameters with the model's covariance; a customer bootstrap
        of ``fit_data`` with one refit per draw (slow); or the delta method (no draws: a
        normal interval of the log prediction, logit for P(alive), from its gradient in the
        log-parameters; fastest, close to ``"laplace"`` when the parameters are well
        determined).
    n_draws : int, default 500
        Number of parameter draws, 2 to 100,000 (ignored by ``"delta"``).
    fit_data : DataFrame, optional
        The data the model was fitted on; required by ``"bootstrap"`` (the rows being scored
        are never refitted in its place).
    random_state : int, numpy Generator or RandomState, optional
        Seed; the same seed gives the same interval.
    chunk_size : int, optional
        Distinct histories per chunk (default: about 4 million / n_draws).
    progress : bool, tqdm-compatible class or callable, optional
        Report the bootstrap refits (``method="bootstrap"``), the slow part: ``True`` for a
        tqdm bar (or lines on stderr without tqdm), a class such as ``tqdm.tqdm``, or a
        callable ``progress(done, total, desc)``. Silent by default.

    Returns
    -------
    DataFrame
        Columns ``quantity`` (the point prediction at the fitted parameters), ``lower`` and
        ``upper``, on ``data``'s index.

    Raises
    ------
    ParameterError
        Bad confidence, draws or quantity; Laplace or delta without a covariance; bootstrap
        without ``fit_data``.

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
    >>> out = confidence_interval(Rate(), data, t=1.0, random_state=0)
    >>> list(out.columns), bool((out["lower"] < 2.0).all() and (out["upper"] > 2.0).all())
    (['expected_purchases', 'lower', 'upper'], True)
    """
    frame = as_pandas(data, what="data")
    check_choice(quantity, "quantity", list(_QUANTITIES))
    check_choice(method, "method", ["laplace", "bootstrap", "delta"])
    check_progress(progress)
    confidence, n_draws, chunk_size = check_draw_options(
        confidence, n_draws, chunk_size, random_state
    )
    if quantity == "expected_purchases":
        if t is None:
            raise ParameterError("quantity='expected_purchases' needs t >= 0 (model time units).")
        t = check_number(t, "t", low=0.0)
    if not hasattr(model, quantity):
        raise ParameterError(f"{type(model).__name__} has no method {quantity}().")
    fit_frame = None if fit_data is None else as_pandas(fit_data, what="fit_data")
    theta = fitted_params(model).to_numpy(dtype=np.float64)
    ev = evaluator(model, frame, quantity, t)
    if ev.fast:  # the model's kernel on the distinct histories, at the fitted parameters
        point = ev.evaluate(theta, slice(0, ev.n_patterns))[ev.inverse]
    elif quantity == "expected_purchases":
        point = np.asarray(model.expected_purchases(frame, t=t), dtype=np.float64)
    else:
        point = np.asarray(getattr(model, quantity)(frame), dtype=np.float64)
    if method == "delta":
        lower, upper = _delta_interval(model, ev, quantity, confidence)
    else:
        rng = as_generator(random_state)
        draws = draw_params(model, int(n_draws), rng, method, fit_frame, progress=progress)

        def evaluate(k: int, rows: slice) -> np.ndarray:
            return ev.evaluate(draws[k], rows)

        def evaluate_many(ks: slice, rows: slice) -> np.ndarray:
            return ev.evaluate_many(draws[ks], rows)

        lower, upper = chunked_quantiles(
            ev.n_patterns, int(n_draws), evaluate, confidence, chunk_size, evaluate_many
        )
    inv = ev.inverse
    return pd.DataFrame(
        {quantity: point, "lower": lower[inv], "upper": upper[inv]}, index=frame.index
    )
