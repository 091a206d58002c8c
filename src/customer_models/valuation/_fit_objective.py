"""What the optimizer minimizes: the penalized objective, in log space or other coordinates.

:class:`Objective` is the penalized mean negative log-likelihood in ``theta = log(params)``
with its gradient and Hessian (the model's analytic one, or forward differences of the
gradient). :class:`Coordinates` is a smooth change of variables a model may name for the
Newton stage, and :class:`Reparametrized` the objective seen in them. Both objectives answer
the same questions (value and gradient, Hessian, projection on the search box, the log-space
gradient convergence is judged on), so the Newton driver in
:mod:`customer_models.valuation._optimize` needs no case analysis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from customer_models.valuation._derivatives import Derivatives

__all__ = ["FD_STEP", "Coordinates", "Objective", "Reparametrized", "penalty_scale"]

#: Forward-difference step of the Hessian from an analytic gradient.
FD_STEP = 1e-6


def penalty_scale(
    param_names: Sequence[str],
    scale_columns: Mapping[str, str],
    column_names: Sequence[str],
    columns: tuple[np.ndarray, ...],
    weights: np.ndarray,
) -> np.ndarray:
    """Divisors that make the penalized parameters unit-free.

    A parameter measured in the unit of a data column (``scale_columns[name] = column``,
    e.g. BG/NBD's ``alpha`` in the unit of ``T``) is divided by that column's largest value
    over the rows fitted (rows of positive weight); every other parameter by 1. The penalty
    thus sees time measured in units of the longest customer age ``T`` (lifetimes rescales
    BG/NBD, MBG/NBD and Pareto/NBD data so that ``max T = 1`` before it penalizes, so their
    penalized fits agree), and the same data in days, weeks or months (or in cents or euros)
    gives the same penalty, so the same predictions.

    Examples
    --------
    >>> penalty_scale(["r", "alpha"], {"alpha": "T"}, ["x", "T"],
    ...               (np.zeros(2), np.array([7.0, 21.0])), np.array([1.0, 1.0])).tolist()
    [1.0, 21.0]
    """
    position = {name: j for j, name in enumerate(column_names)}
    scale = np.ones(len(param_names))
    used = weights > 0
    for i, name in enumerate(param_names):
        column = scale_columns.get(name)
        if column is None or not used.any():
            continue
        # where=, not a masked copy: no row-sized array
        largest = float(np.max(columns[position[column]], where=used, initial=-np.inf))
        scale[i] = largest if math.isfinite(largest) and largest > 0 else 1.0
    return scale


@dataclass(eq=False)
class Objective:
    """Penalized mean negative log-likelihood in log-parameter space.

    ``f(theta) = -sum(w * ll) / n + penalizer * sum((exp(theta) / scale) ** 2)`` with its
    gradient and Hessian in ``theta = log(params)``; ``scale`` (default ones) makes the
    penalized parameters unit-free (:func:`penalty_scale`).
    """

    derivatives: Derivatives
    columns: tuple[np.ndarray, ...]
    weights: np.ndarray
    n_total: float
    penalizer: float
    scale: np.ndarray | None = None
    n_evaluations: int = field(default=0, init=False)
    analytic_hessian: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.scale = None if self.scale is None else np.asarray(self.scale, dtype=np.float64)

    def _natural(
        self, theta: np.ndarray, hessian: bool
    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray | None]:
        params = np.exp(theta)
        self.n_evaluations += 1
        with np.errstate(all="ignore"):
            ll, grad, hess = self.derivatives(params, self.weights, *self.columns, hessian=hessian)
        inverse_sq = np.ones(params.size) if self.scale is None else 1.0 / self.scale**2
        value = -ll / self.n_total + self.penalizer * float(params @ (inverse_sq * params))
        g_nat = -np.asarray(grad) / self.n_total + 2.0 * self.penalizer * inverse_sq * params
        h_nat = None
        if hess is not None:
            h_nat = -np.asarray(hess) / self.n_total + 2.0 * self.penalizer * np.diag(inverse_sq)
        return value, params, g_nat, h_nat

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Value and gradient (``inf`` and zeros where the likelihood is not finite)."""
        value, params, g_nat, _ = self._natural(theta, hessian=False)
        grad = g_nat * params
        if not math.isfinite(value) or not np.all(np.isfinite(grad)):
            return math.inf, np.zeros_like(theta)
        return value, np.asarray(grad, dtype=np.float64)

    def with_hessian(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Value, gradient and Hessian (analytic if declared, else forward differences)."""
        value, params, g_nat, h_nat = self._natural(theta, hessian=True)
        grad = g_nat * params
        self.analytic_hessian = h_nat is not None
        if h_nat is None:
            return value, grad, self.difference_hessian(theta, grad)
        # chain rule to log space: d2f/dth_i dth_j = p_i p_j H_ij + [i == j] p_i g_i
        hess = params[:, None] * h_nat * params[None, :] + np.diag(grad)
        return value, grad, 0.5 * (hess + hess.T)

    def difference_hessian(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Forward differences of the analytic gradient (k extra evaluations)."""
        k = theta.size
        hess = np.empty((k, k))
        for j in range(k):
            step = np.zeros(k)
            step[j] = FD_STEP
            _, g_step = self(theta + step)
            hess[:, j] = (g_step - grad) / FD_STEP
        return 0.5 * (hess + hess.T)

    def project(self, theta: np.ndarray, bound: float) -> np.ndarray:
        """Clip ``theta`` to the search box."""
        return np.clip(theta, -bound, bound)

    def log_gradient(self, theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the gradient in log space (the objective's own coordinates): unchanged."""
        return grad

    def step_limit(self, theta: np.ndarray, direction: np.ndarray) -> float:
        """Largest fraction of a Newton step to try first: the whole step."""
        return 1.0


class Coordinates:
    """A smooth one-to-one map between Newton coordinates ``phi`` and ``theta = log(params)``.

    The identity here; a model overrides the four methods (see
    ``customer_models.valuation._pareto_nbd.MeanDropoutCoordinates``).

    Examples
    --------
    >>> c = Coordinates()
    >>> c.to_theta(np.array([1.0, 2.0])), c.jacobian(np.array([1.0, 2.0]))
    (array([1., 2.]), array([[1., 0.],
           [0., 1.]]))
    """

    def to_theta(self, phi: np.ndarray) -> np.ndarray:
        """``theta`` at ``phi``."""
        return np.asarray(phi, dtype=np.float64)

    def from_theta(self, theta: np.ndarray) -> np.ndarray:
        """``phi`` at ``theta``."""
        return np.asarray(theta, dtype=np.float64)

    def jacobian(self, phi: np.ndarray) -> np.ndarray:
        """``J[i, j] = d theta_i / d phi_j``."""
        return np.eye(np.size(phi))

    def curvature(self, phi: np.ndarray, grad_theta: np.ndarray) -> np.ndarray:
        """``sum_i grad_theta[i] * d2 theta_i / d phi d phi`` (the chain rule's second term)."""
        return np.zeros((np.size(phi), np.size(phi)))

    def step_limit(self, phi: np.ndarray, direction: np.ndarray) -> float:
        """Largest fraction of a Newton step to try first (1: the whole step)."""
        return 1.0


class Reparametrized:
    """``Objective`` seen in :class:`Coordinates` (value, gradient, difference Hessian)."""

    def __init__(self, objective: Objective, coordinates: Coordinates) -> None:
        self.objective = objective
        self.coordinates = coordinates
        self.analytic_hessian = False

    def __call__(self, phi: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = self.objective(self.coordinates.to_theta(phi))
        if not math.isfinite(value):
            return value, np.zeros_like(phi)
        return value, self.coordinates.jacobian(phi).T @ grad

    def with_hessian(self, phi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, grad = self(phi)
        return value, grad, self.difference_hessian(phi, grad)

    def difference_hessian(self, phi: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Forward differences of the gradient, steps relative to each coordinate's size."""
        k = phi.size
        hess = np.empty((k, k))
        for j in range(k):
            step = np.zeros(k)
            step[j] = FD_STEP * max(1.0, abs(float(phi[j])))
            _, g_step = self(phi + step)
            hess[:, j] = (g_step - grad) / step[j]
        return 0.5 * (hess + hess.T)

    def log_gradient(self, phi: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Map a gradient at ``phi`` to log space (convergence is judged there)."""
        return np.asarray(np.linalg.solve(self.coordinates.jacobian(phi).T, grad))

    def project(self, phi: np.ndarray, bound: float) -> np.ndarray:
        """Move ``phi`` to the nearest point whose ``theta`` is in the box (clipped in theta)."""
        return self.coordinates.from_theta(np.clip(self.coordinates.to_theta(phi), -bound, bound))

    def step_limit(self, phi: np.ndarray, direction: np.ndarray) -> float:
        """Largest fraction of a Newton step to try first, as the coordinates say."""
        return self.coordinates.step_limit(phi, direction)

    def to_log_space(
        self, phi: np.ndarray, grad: np.ndarray, hess: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(theta, gradient, Hessian)`` in log space by the chain rule."""
        jac = self.coordinates.jacobian(phi)
        inv = np.linalg.inv(jac)
        grad_theta = inv.T @ grad
        hess_theta = inv.T @ (hess - self.coordinates.curvature(phi, grad_theta)) @ inv
        return self.coordinates.to_theta(phi), grad_theta, 0.5 * (hess_theta + hess_theta.T)
