"""The steps of :meth:`ValuationModel.fit <customer_models.valuation.ValuationModel.fit>`.

``fit`` validates its arguments, reads the data with :func:`fit_data`, hands it to the
model's ``_maximize`` hook, stores the :class:`FitOutcome` and warns. A model changes what
differs through these hooks (declared on the class; the defaults are :class:`FitHooks`'):

``_fit_columns() -> (read, patterns)``
    The columns ``fit`` reads and validates, and those whose distinct rows are the patterns
    the likelihood is maximised on. Default: ``required_columns`` both. BG/CNBD-k reads the
    sum of log inter-purchase times unless ``k = 1`` and compresses on ``(frequency,
    recency, T)`` (that sum enters only through its total).
``_fit_mask(columns) -> ndarray | None`` (classmethod)
    The rows the model can use (Gamma-Gamma: the customers with valid spend); rows of weight
    0 are left out too.
``_row_totals(columns, weights) -> dict``
    Weighted sums over the rows read that ``_maximize`` needs beyond the patterns (BG/CNBD-k:
    the sums of ``log_interpurchase_sum`` and of ``frequency``); the per-row columns are not
    kept during the maximisation. Default: none.
``_maximize(data, penalizer, progress) -> FitOutcome``
    The maximisation itself. Default :func:`maximize_patterns` (L-BFGS-B then Newton steps,
    see :mod:`customer_models.valuation._optimize`); BG/CNBD-k profiles the likelihood over
    ``k``.
``_fit_warnings() -> list of str``
    ConvergenceWarning messages about the stored estimates, after the optimizer's own
    (Gamma-Gamma: ``q <= 1``). Default none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from customer_models._progress import Progress
from customer_models.exceptions import DataValidationError
from customer_models.valuation._convergence import ConvergenceReport, diagnose
from customer_models.valuation._derivatives import (
    CentralDifferenceDerivatives,
    CentralDifferenceGradient,
    Derivatives,
    blocked_total,
    gradient_derivatives,
)
from customer_models.valuation._fit_objective import penalty_scale
from customer_models.valuation._fit_result import LOG_BOUND
from customer_models.valuation._fit_rows import weighted_patterns
from customer_models.valuation._optimize import maximize
from customer_models.valuation._patterns import Patterns

__all__ = [
    "FitData",
    "FitHooks",
    "FitOutcome",
    "fit_data",
    "loglik_derivatives",
    "maximize_patterns",
]


@dataclass(frozen=True)
class FitData:
    """The data of one fit: the weighted patterns and the row totals ``_maximize`` uses.

    ``patterns`` are the distinct rows of the columns ``names`` (``_fit_columns()[1]``) among
    the rows used, ``n`` their total weight (> 0), and ``totals`` the model's
    ``_row_totals`` over every row read.
    """

    names: tuple[str, ...]
    patterns: Patterns
    n: float
    totals: dict[str, float]


@dataclass(frozen=True)
class FitOutcome:
    """What ``_maximize`` returns: the estimates and how the maximisation went.

    ``params`` in ``param_names`` order, ``covariance`` of them (or None), the total
    ``log_likelihood`` at them, the optimizer's ``report`` and the start of the warning when
    ``report.success`` is False (``"BetaGeoModel fit"``).
    """

    params: np.ndarray
    covariance: np.ndarray | None
    log_likelihood: float
    report: ConvergenceReport
    warning_prefix: str


def fit_data(model: Any, X: Any, sample_weight: Any) -> FitData:
    """Read and validate ``X`` for ``model``'s fit; raise when no row is left to fit."""
    read, names = model._fit_columns()
    columns, w = model._weighted_rows(X, sample_weight, read, check_unit=False)
    patterns = weighted_patterns(tuple(columns[c] for c in names), w, model._fit_mask(columns))
    n_total = float(patterns.weights.sum())
    if not n_total > 0:
        raise DataValidationError(
            f"{type(model).__name__}: no rows left to fit after selecting the rows the model uses.",
            rule="rows to fit",
            n_rows=0,
        )
    return FitData(names, patterns, n_total, model._row_totals(columns, w))


class FitHooks:
    """The hooks of ``fit`` with their defaults: a base of ``ValuationModel`` (see above)."""

    required_columns: ClassVar[tuple[str, ...]]

    def _fit_columns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Columns ``fit`` reads, and those of its patterns (default ``required_columns``)."""
        return self.required_columns, self.required_columns

    def _row_totals(self, columns: dict[str, np.ndarray], weights: np.ndarray) -> dict[str, float]:
        """Weighted sums over the rows read that ``_maximize`` needs (default none)."""
        return {}

    def _maximize(self, data: FitData, penalizer: float, progress: Any) -> FitOutcome:
        """Maximise the likelihood on ``data`` (default: L-BFGS-B, then Newton steps)."""
        return maximize_patterns(self, data, penalizer, progress)

    def _fit_warnings(self) -> list[str]:
        """ConvergenceWarning messages about the fitted estimates (default: none)."""
        return []


def loglik_derivatives(cls: Any) -> Derivatives:
    """Weighted log-likelihood totals, gradient and (optionally) Hessian for fitting ``cls``.

    ``_derivatives_kernel`` when the model declares one; finite differences of
    ``_loglik_kernel`` (Hessian included) when the model declares only that; else the
    sums of ``_loglik_gradient_kernel`` with the Hessian left to finite differences of
    the gradient.
    """
    if cls._derivatives_kernel is not None:
        return cls._derivatives_kernel
    gradient = cls._loglik_gradient_kernel
    if gradient is None:
        raise NotImplementedError(
            f"{cls.__name__} declares no likelihood: set _loglik_kernel (per-row "
            "log-likelihood) or _loglik_gradient_kernel (per-row log-likelihood and "
            "gradient) on the class."
        )
    if isinstance(gradient, CentralDifferenceGradient):
        return CentralDifferenceDerivatives(gradient.loglik_kernel)
    return gradient_derivatives(gradient)


def maximize_patterns(model: Any, data: FitData, penalizer: float, progress: Any) -> FitOutcome:
    """Maximize over all parameters, the default ``_maximize``: L-BFGS-B, then Newton steps.

    Starts at ``_initial_params``, steps in ``_optimizer_coordinates``, penalizes with the
    scales of ``_penalty_scale_columns``; ``progress`` gets one step per iteration (total
    unknown).
    """
    cols, pw = data.patterns.columns, data.patterns.weights
    derivatives = model._loglik_derivatives()
    theta0 = np.log(np.clip(model._initial_params(cols, pw), 1e-8, 1e8))
    name = type(model).__name__
    with Progress(progress, None, f"{name}.fit iterations") as bar:
        result = maximize(
            derivatives,
            cols,
            pw,
            theta0,
            penalizer=penalizer,
            bound=LOG_BOUND,
            coordinates=model._optimizer_coordinates(),
            penalty_scale=penalty_scale(
                model.param_names, model._penalty_scale_columns, data.names, cols, pw
            ),
            on_step=bar.advance if progress else None,
        )
    params = np.exp(result.theta)
    ll_total = blocked_total(model._loglik_kernel, params, pw, cols)  # bounded memory
    covariance, report = diagnose(model.param_names, result, theta0, data.n, log_bound=LOG_BOUND)
    return FitOutcome(params, covariance, ll_total, report, f"{name} fit")
