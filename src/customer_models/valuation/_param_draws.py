"""Parameter draws of a fitted model, and fast evaluation of a prediction at each draw.

Two ways to draw parameters:

- ``"laplace"``: the free parameters are approximately normal at the maximum likelihood
  estimate, with covariance ``diag(1/s) Σ diag(1/s)`` (the inverse of the delta method that
  gives the model's ``covariance_`` Σ). The free parameters are the logarithms of the model's
  own (positive) parameters, ``s = θ``, and a covariate model's coefficients as they are,
  ``s = 1`` (:func:`free_params`). Cheap: no refitting.
- ``"bootstrap"``: the customers of ``fit_data`` (the data the model was fitted on, given
  explicitly) are resampled with replacement and the model is refitted for each draw. The
  models keep no training data, so without ``fit_data`` the bootstrap is refused: refitting on
  the rows being scored (a segment, the top buyers) would answer another question, and used to
  return NaN bounds on such subsets.

A prediction at a draw is evaluated on the distinct histories of the scored rows (identical
``(frequency, recency, T)`` rows compressed into patterns, validated once), calling the model's
kernel with the drawn parameter vector; a model without declared kernels is rebuilt with
``from_params`` per draw and asked through its public method.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from customer_models._progress import Progress
from customer_models._validation import check_fitted, check_number, check_random_state
from customer_models.exceptions import CustomerModelsError, ParameterError
from customer_models.valuation._bgnbd import BetaGeoModel
from customer_models.valuation._discrete import DiscretePurchaseModel
from customer_models.valuation._gamma_gamma import GammaGammaModel, expected_spend_kernel
from customer_models.valuation._pareto_nbd import ParetoNBDModel
from customer_models.valuation._patterns import compress_patterns, distinct_rows
from customer_models.valuation._purchase import PurchaseModel

__all__ = [
    "MAX_DRAWS",
    "PatternEvaluator",
    "check_draw_options",
    "draw_params",
    "evaluator",
    "free_covariance",
    "free_params",
    "from_free",
    "joint_draws",
    "with_params",
]

#: Most parameter draws per interval: each draw is a prediction per distinct history.
MAX_DRAWS = 100_000


def fitted_params(model: Any) -> pd.Series:
    """Return ``model.params_`` (raise NotFittedError if it has none)."""
    check_fitted(model, "params_", how="call fit(data) or from_params(...) first")
    return model.params_


def _positive(model: Any, names: pd.Index) -> np.ndarray:
    """Mask of the parameters that are strictly positive (the class's ``param_names``).

    A covariate model's coefficients (names beyond ``param_names``) take any sign.
    """
    own = getattr(type(model), "param_names", None)
    if not own:
        return np.ones(len(names), dtype=bool)
    return np.isin(np.asarray(names, dtype=object), list(own))


def free_params(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(u, positive)``: the free coordinates of the fitted parameters and the positive mask.

    ``u = log θ`` for the positive parameters and ``u = θ`` for coefficients.

    Examples
    --------
    >>> import pandas as pd
    >>> class M:
    ...     param_names = ("lam",)
    ...     params_ = pd.Series({"lam": 1.0, "lam:age": -0.5})
    >>> u, positive = free_params(M())
    >>> u.tolist(), positive.tolist()
    ([0.0, -0.5], [True, False])
    """
    params = fitted_params(model)
    theta = params.to_numpy(dtype=np.float64)
    positive = _positive(model, params.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(positive, np.log(theta), theta), positive


def from_free(u: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Parameters from free coordinates ``u`` (any leading shape) and the positive mask."""
    return np.where(positive, np.exp(u), u)


def free_covariance(model: Any) -> np.ndarray:
    """Covariance of the free parameters (see :func:`free_params`), from ``covariance_``.

    Examples
    --------
    >>> import pandas as pd
    >>> class M:
    ...     params_ = pd.Series({"lam": 2.0})
    ...     covariance_ = pd.DataFrame([[0.04]])
    >>> free_covariance(M()).tolist()
    [[0.01]]
    """
    params = fitted_params(model)
    theta = params.to_numpy(dtype=np.float64)
    positive = _positive(model, params.index)
    cov = getattr(model, "covariance_", None)
    if cov is None or np.any(theta[positive] <= 0):
        raise ParameterError(
            f"{type(model).__name__} has no covariance_ over positive parameters (e.g. a model "
            "made with from_params), so Laplace or delta-method intervals are impossible; use "
            "method='bootstrap' with fit_data, or fit the model."
        )
    scale = np.where(positive, theta, 1.0)
    sigma = np.asarray(cov, dtype=np.float64)
    free_cov = sigma / np.outer(scale, scale)
    free_cov = 0.5 * (free_cov + free_cov.T)
    if not np.all(np.isfinite(free_cov)) or np.linalg.eigvalsh(free_cov).min() < -1e-10:
        raise CustomerModelsError(
            f"{type(model).__name__}.covariance_ is not a finite positive semi-definite "
            "matrix (the Hessian was singular at the optimum?); use method='bootstrap'."
        )
    return free_cov


def _refit(model: Any, data: pd.DataFrame, counts: np.ndarray) -> Any:
    clone = copy.deepcopy(model)
    keep = counts > 0
    clone.fit(data.loc[keep], sample_weight=counts[keep].astype(np.float64))
    return clone


def draw_params(
    model: Any,
    n_draws: int,
    rng: np.random.Generator,
    method: str,
    fit_data: pd.DataFrame | None,
    *,
    what: str = "model",
    progress: Any = None,
) -> np.ndarray:
    """Parameter draws, shape ``(n_draws, n_params)``, in the order of ``model.params_``.

    ``progress`` (see :mod:`customer_models._progress`) reports the bootstrap refits, one step
    per refit; Laplace draws are one vectorized call and report nothing.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> class M:
    ...     params_ = pd.Series({"lam": 2.0})
    ...     covariance_ = pd.DataFrame([[0.04]])
    >>> draw_params(M(), 3, np.random.default_rng(0), "laplace", None).shape
    (3, 1)
    """
    params = fitted_params(model)
    if method == "laplace":
        mean, positive = free_params(model)
        cov = free_covariance(model)
        draws = rng.multivariate_normal(mean, cov, size=n_draws, method="eigh")
        return from_free(draws, positive)
    if fit_data is None:
        raise ParameterError(
            f"method='bootstrap' refits the {what} on resampled customers of the data it was "
            "fitted on, and the models keep no training data: pass fit_data= (that data). "
            "The rows being scored are never used in its place."
        )
    n = len(fit_data)
    draws = np.empty((n_draws, params.size))
    with Progress(progress, n_draws, f"bootstrap refits of the {what}") as bar:
        for k in range(n_draws):
            counts = rng.multinomial(n, np.full(n, 1.0 / n))
            draws[k] = fitted_params(_refit(model, fit_data, counts)).to_numpy(dtype=np.float64)
            bar.advance()
    return draws


def joint_draws(
    transaction_model: Any,
    spend_model: Any,
    n_draws: int,
    rng: np.random.Generator,
    method: str,
    fit_data: pd.DataFrame | None,
    progress: Any = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Draws of a transaction model's and a spend model's parameters (None without a model).

    The bootstrap refits the transaction model on resamples of ``fit_data`` and the spend
    model on resamples of its rows with ``frequency > 0`` (the rows it is fitted on).
    """
    tm = draw_params(
        transaction_model,
        n_draws,
        rng,
        method,
        fit_data,
        what="transaction_model",
        progress=progress,
    )
    if spend_model is None or not hasattr(spend_model, "params_"):
        return tm, None
    spend_fit = fit_data
    if fit_data is not None and "frequency" in fit_data.columns:
        spend_fit = fit_data.loc[fit_data["frequency"].to_numpy() > 0]
    sm = draw_params(
        spend_model, n_draws, rng, method, spend_fit, what="spend_model", progress=progress
    )
    return tm, sm


def with_params(model: Any, values: np.ndarray) -> Any:
    """Return a model of the same class with the parameter vector ``values`` (``from_params``)."""
    names = [str(n) for n in fitted_params(model).index]
    kwargs = dict(zip(names, (float(v) for v in values), strict=True))
    return type(model).from_params(time_unit=getattr(model, "time_unit_", None), **kwargs)


def check_draw_options(
    confidence: Any, n_draws: Any, chunk_size: Any = None, random_state: Any = None
) -> tuple[float, int, int | None]:
    """Validate the interval options; return ``(confidence, n_draws, chunk_size)``.

    Examples
    --------
    >>> check_draw_options(0.9, 100)
    (0.9, 100, None)
    """
    level = check_number(
        confidence, "confidence", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
    )
    draws = check_number(n_draws, "n_draws", low=2, high=MAX_DRAWS, integer=True)
    chunk = check_number(chunk_size, "chunk_size", low=1, integer=True, allow_none=True)
    check_random_state(random_state)
    return level, draws, chunk


@dataclass(eq=False)
class PatternEvaluator:
    """A prediction as a function of the parameter vector, on the distinct histories of ``data``.

    ``evaluate(params, rows)`` returns the prediction for the patterns ``rows`` (a slice of
    ``range(n_patterns)``); ``inverse`` maps every row of ``data`` to its pattern; ``fast`` is
    False when the model has no declared kernel (one model per call through ``from_params``);
    ``batched``, when given, evaluates a stack of parameter vectors in one call
    (:meth:`evaluate_many`).
    """

    n_patterns: int
    inverse: np.ndarray
    evaluate: Callable[[np.ndarray, slice], np.ndarray]
    fast: bool = True
    batched: Callable[[np.ndarray, slice], np.ndarray] | None = None

    def evaluate_many(self, params: np.ndarray, rows: slice) -> np.ndarray:
        """``evaluate`` for a stack of parameter vectors ``(n, n_params)``: shape ``(n, rows)``.

        One broadcast kernel call where the kernel broadcasts over parameters (Pareto/NBD,
        whose P(alive) is the cost), else one call per vector.
        """
        if self.batched is not None:
            return self.batched(params, rows)
        return np.stack([self.evaluate(p, rows) for p in params])


def _broadcasts(model: Any) -> bool:
    """Return True for a model whose kernels broadcast over stacked parameter vectors (tested)."""
    return isinstance(model, ParetoNBDModel)


def _kernel_for(model: Any, quantity: str) -> tuple[Any, str] | None:
    """Return the model's declared kernel for ``quantity`` and its calling convention, or None."""
    cls = type(model)
    if isinstance(model, PurchaseModel | DiscretePurchaseModel):
        kernel = {
            "expected_purchases": cls._expected_kernel,
            "probability_alive": cls._alive_kernel,
        }
        found = kernel.get(quantity)
        family = "discrete" if isinstance(model, DiscretePurchaseModel) else "continuous"
        return (found, family) if found is not None else None
    if isinstance(model, GammaGammaModel) and quantity == "expected_spend":
        return expected_spend_kernel, "spend"
    return None


def _separable(
    model: Any, cols: tuple[np.ndarray, ...], t: float | None
) -> Callable[[np.ndarray, slice], np.ndarray] | None:
    """``E = P(alive) × g(x, T)`` with ``g`` on the distinct (x, T) pairs (exact; see CLV).

    For the BG family, whose given-alive expectation (a 2F1 series) is the costly part.
    """
    cls = type(model)
    if not getattr(cls, "_separable_expectation", False) or cls._alive_kernel is None:
        return None
    if not isinstance(model, BetaGeoModel):
        # Pareto/NBD's given-alive factor is a closed form and its P(alive) the costly part,
        # which the split would evaluate twice: the direct kernel is faster (measured).
        return None
    x, t_x, T = cols
    distinct = distinct_rows([x, T], min_rows=0)
    if distinct is None:
        return None
    (x_u, T_u), codes = distinct
    alive_kernel, kernel = cls._alive_kernel, cls._expected_kernel

    cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def by_pairs(params: np.ndarray, rows: slice) -> np.ndarray:
        key = (rows.start, rows.stop)
        if key not in cache:  # the pairs a chunk of patterns needs, found once per chunk
            cache.clear()
            needed, local = np.unique(codes[rows], return_inverse=True)
            cache[key] = (needed, local)
        needed, local = cache[key]
        p = np.asarray(params, dtype=np.float64)
        xs, Ts = x_u[needed], T_u[needed]
        alive_u = np.asarray(alive_kernel(p, xs, Ts, Ts), dtype=np.float64)
        given = np.asarray(kernel(p, xs, Ts, Ts, t), dtype=np.float64)
        given = np.divide(given, alive_u, out=np.zeros_like(given), where=alive_u > 0)
        alive = np.asarray(alive_kernel(p, x[rows], t_x[rows], T[rows]), dtype=np.float64)
        return np.asarray(alive * given[local])

    return by_pairs


def evaluator(model: Any, frame: pd.DataFrame, quantity: str, t: float | None) -> PatternEvaluator:
    """Build the :class:`PatternEvaluator` of ``model.quantity`` on ``frame`` (validated once).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from customer_models.valuation import BetaGeoModel
    >>> m = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> df = pd.DataFrame({"frequency": [2, 2], "recency": [30.43] * 2, "T": [38.86] * 2})
    >>> ev = evaluator(m, df, "expected_purchases", 39.0)
    >>> ev.n_patterns, round(float(ev.evaluate(m.params_.to_numpy(), slice(0, 1))[0]), 3)
    (1, 1.226)
    """
    found = _kernel_for(model, quantity)
    if found is not None:
        kernel, family = found
        columns, _ = model._prepare(frame)  # the model's own validation, once
        names = model.required_columns
        patterns = compress_patterns([columns[c] for c in names])
        cols = patterns.columns
        if family == "continuous" and quantity == "expected_purchases":
            fast = _separable(model, cols, t)
            if fast is not None:
                return PatternEvaluator(cols[0].size, patterns.inverse, fast)

        # The kernels' arguments after the columns: the horizon of an expectation; BG/BB's
        # P(alive) one period ahead; nothing for the others.
        args: tuple[Any, ...] = ()
        if quantity == "expected_purchases" and family != "spend":
            args = (t,)
        elif family == "discrete":
            args = (1.0,)

        def by_kernel(params: np.ndarray, rows: slice) -> np.ndarray:
            part = [c[rows] for c in cols]
            out = np.asarray(kernel(np.asarray(params, dtype=np.float64), *part, *args))
            return np.broadcast_to(out, part[0].shape).astype(np.float64)

        batched = None
        if _broadcasts(model) and family == "continuous":

            def batched(params: np.ndarray, rows: slice) -> np.ndarray:
                part = [c[rows][None, :] for c in cols]
                stack = np.asarray(params, dtype=np.float64).T[:, :, None]
                out = np.asarray(kernel(stack, *part, *args), dtype=np.float64)
                return np.broadcast_to(out, (stack.shape[1], part[0].shape[1])).copy()

        return PatternEvaluator(cols[0].size, patterns.inverse, by_kernel, batched=batched)

    def by_method(params: np.ndarray, rows: slice) -> np.ndarray:
        drawn = with_params(model, params)
        chunk = frame.iloc[rows]
        if quantity == "expected_purchases":
            return np.asarray(drawn.expected_purchases(chunk, t=t), dtype=np.float64)
        return np.asarray(getattr(drawn, quantity)(chunk), dtype=np.float64)

    return PatternEvaluator(len(frame), np.arange(len(frame)), by_method, fast=False)
