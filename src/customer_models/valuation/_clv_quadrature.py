"""The discounting sums and integrals of CLV over a model's cumulative expectation.

Discrete: a sum over period ends of the increments of ``E[X(t)]``, vectorized over blocks of
periods. Continuous (DERT, ``int exp(-delta t) dE[X(t)]``): Gauss-Legendre over a finite horizon
while ``delta H <= 1``, a Gauss-Legendre-in-log / Gauss-Laguerre rule over an infinite one, and
the infinite value minus the tail beyond ``H`` in between. A model's closed-form DERT, when it
has one, is chosen before any of this (``_clv._continuous``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import roots_laguerre, roots_legendre

from customer_models.exceptions import CustomerModelsError, ParameterError
from customer_models.valuation._clv_expectation import CumulativeFn, per_row_fn

__all__ = [
    "MAX_DISCRETE_PERIODS",
    "Expectation",
    "check_increments",
    "discrete_sum",
    "finite_dert",
    "infinite_dert",
    "infinite_horizon_rule",
    "non_negative",
]

#: Quadrature sizes: Gauss-Legendre over a finite horizon; over an infinite one (in u = delta t)
#: Gauss-Legendre panels in log u on [e^-36, 1] and Gauss-Laguerre on [1, inf).
_N_LEGENDRE = 32
_N_LAGUERRE = 48
_LOG_U_MIN = -36.0
_N_LOG_U_PANELS = 12

#: Most periods a discrete CLV sums (one expectation per period end and customer).
MAX_DISCRETE_PERIODS = 100_000
#: Elements (period ends x customers) evaluated per kernel call in the discrete sum.
_DISCRETE_BLOCK = 1 << 20
#: An increment of E[X(t)] below -this x E[X(t)] is a defect of the model's kernel, not rounding.
_INCREMENT_TOL = 1e-9


def infinite_horizon_rule() -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights u_i, w_i with ``Σ w_i f(u_i) ≈ ∫_0^∞ exp(-u) f(u) du``.

    ``f(u) = E[X(u/δ)]`` bends where ``u ~ δ (α + T)``, which can be 1e-9: plain
    Gauss-Laguerre puts no node there (1e-4 errors). Below ``u = 1`` the integral is taken in
    ``s = log u`` (``exp(-e^s) f(e^s) e^s``, analytic in ``|Im s| < π/2``: 12 panels of 16
    Gauss-Legendre nodes of width 3); below ``e^-36`` an increasing concave ``f`` holds less
    than ``1e-16`` of the total. Above 1, ``e^-1 ∫_0^∞ e^-v f(1 + v) dv`` by Gauss-Laguerre,
    where ``f`` is smooth on the scale of 1.

    Examples
    --------
    >>> u, w = infinite_horizon_rule()
    >>> round(float(w @ u), 12), round(float(w @ np.sqrt(u)), 12)  # Γ(2), Γ(3/2)
    (1.0, 0.886226925453)
    """
    x, w = np.polynomial.legendre.leggauss(16)
    edges = np.linspace(_LOG_U_MIN, 0.0, _N_LOG_U_PANELS + 1)
    half = 0.5 * (edges[1] - edges[0])
    s = ((edges[:-1, None] + edges[1:, None]) / 2 + half * x[None, :]).ravel()
    low_weights = np.tile(half * w, _N_LOG_U_PANELS) * np.exp(s - np.exp(s))
    v, wv = roots_laguerre(_N_LAGUERRE)
    nodes = np.concatenate([np.exp(s), 1.0 + v])
    return nodes, np.concatenate([low_weights, np.exp(-1.0) * wv])


def check_increments(increment: np.ndarray, current: np.ndarray) -> None:
    """Raise when expected cumulative purchases decrease (an invariant of every model).

    Rounding can make an increment a few ulps negative; a decrease larger than
    ``_INCREMENT_TOL`` of the expectation is a numerical defect, reported rather than
    clipped away.
    """
    bad = increment < -_INCREMENT_TOL * np.abs(current) - 1e-300
    if bad.any():
        worst = float(increment[bad].min())
        raise CustomerModelsError(
            f"Expected cumulative purchases decrease over time for {int(bad.any(axis=0).sum())}"
            f" customers (largest decrease {worst:.6g}): a numerical defect of the transaction "
            "model's expectation at these parameters. Please report it with the model's "
            "parameters; CLV is not computed from a decreasing expectation."
        )


def discrete_sum(
    cumulative: CumulativeFn, horizon: float, ratio: float, rate: np.ndarray, start: float = 0.0
) -> np.ndarray:
    """Sum over periods i of (E[X(t_i)] - E[X(t_(i-1))]) / (1 + d)^i (lifetimes' convention).

    Only the purchases in ``(start, horizon]`` count: period ``i`` covers ``(i - 1, i]``
    clipped to that window and keeps its discount ``(1 + d)^-i`` (periods counted from the
    end of observation), so a window is the difference of two values from now. Vectorized
    over blocks of period ends (one kernel call per block, not per period); the number of
    periods is capped at `MAX_DISCRETE_PERIODS`. Increments are never clipped: a decreasing
    expectation raises (see `check_increments`).
    """
    n_periods = math.ceil(horizon - 1e-9)
    if n_periods > MAX_DISCRETE_PERIODS:
        raise ParameterError(
            f"A discrete CLV over {n_periods} periods exceeds the limit of "
            f"{MAX_DISCRETE_PERIODS} periods (one expectation per period end and customer). "
            "Use a longer time_unit (e.g. 'Y' instead of 'D'), or discounting='continuous', "
            "whose cost does not grow with the horizon."
        )
    log_growth = np.log1p(rate)
    total = np.zeros_like(rate)
    previous = np.zeros_like(rate)
    if start > 0:
        previous = np.asarray(cumulative(start * ratio), dtype=np.float64).reshape(-1)
    step = max(1, _DISCRETE_BLOCK // max(rate.size, 1))
    for first in range(math.floor(start + 1e-9) + 1, n_periods + 1, step):
        ends = np.minimum(np.arange(first, min(first + step, n_periods + 1), dtype=float), horizon)
        current = np.asarray(cumulative(ends * ratio), dtype=np.float64).reshape(ends.size, -1)
        increment = np.diff(current, axis=0, prepend=previous[None, :])
        check_increments(increment, current)
        total += np.einsum("ij,ij->j", increment, np.exp(-ends[:, None] * log_growth[None, :]))
        previous = current[-1]
    return total


def non_negative(values: np.ndarray) -> np.ndarray:
    """Return discounted expected purchases unchanged; raise if one is negative (a defect).

    Every term of these quadratures and closed forms is non-negative, so a negative result
    can only come from a broken expectation; it is reported, never clipped.
    """
    if np.any(values < 0):
        raise CustomerModelsError(
            f"Discounted expected purchases are negative for {int((values < 0).sum())} "
            f"customers (smallest {float(values.min()):.6g}): a numerical defect of the "
            "transaction model's expectation at these parameters. Please report it with the "
            "model's parameters."
        )
    return values


@dataclass(frozen=True)
class Expectation:
    """``E[X(t)]`` of one model on one table, as the DERT rules evaluate it.

    ``cumulative`` evaluates every row at shared times; the model's per-row kernel (each
    customer at its own times, one call) is looked up only when the customers' rates differ.
    """

    model: object
    data: pd.DataFrame
    params: np.ndarray | None
    cumulative: CumulativeFn

    def discounted_average(
        self, delta: np.ndarray, nodes: np.ndarray, weights: np.ndarray, start: float = 0.0
    ) -> np.ndarray:
        """``sum_k w_k E[X(start + u_k / delta)]`` per customer (a rule for ``int e^-u ... du``)."""
        rates = np.unique(delta)
        per_row = per_row_fn(self.model, self.data, self.params) if rates.size > 1 else None
        if per_row is not None:  # every customer's own nodes in one kernel call, not one per rate
            return np.asarray(weights @ per_row(start + nodes[:, None] / delta[None, :]))
        total = np.zeros_like(delta)
        for value in rates:  # one rate, or a duck-typed model (one call per distinct rate)
            rows = delta == value
            values = np.asarray(self.cumulative(start + nodes / value), dtype=np.float64)
            total[rows] = weights @ values[:, rows]
        return total


def infinite_dert(expectation: Expectation, delta: np.ndarray) -> np.ndarray:
    """DERT over an infinite horizon: ``int_0^inf e^-u E[X(u / delta)] du`` by quadrature."""
    return expectation.discounted_average(delta, *infinite_horizon_rule())


def finite_dert(
    expectation: Expectation,
    horizon: float,
    delta: np.ndarray,
    infinite: Callable[[], np.ndarray],
) -> np.ndarray:
    """DERT over a finite horizon H (model units) by quadrature.

    By parts and with u = delta t it is ``e^-U E[X(H)] + int_0^U e^-u E[X(u / delta)] du``,
    U = delta H. Up to U = 1 a Gauss-Legendre rule over [0, H] is exact to rounding; beyond,
    the exponential is too steep for it, so the finite horizon is the infinite one
    (``infinite()``, called only then) minus what comes after H:
    ``DERT_inf - e^-U int_0^inf e^-v (E[X(H + v / delta)] - E[X(H)]) dv`` (Gauss-Laguerre; a
    difference of terms within a factor e^-1 of each other, no cancellation).
    """
    near = delta * horizon <= 1.0
    total = np.empty_like(delta)
    if near.any():
        nodes, weights = roots_legendre(_N_LEGENDRE)
        times = 0.5 * horizon * (nodes + 1.0)
        values = np.asarray(expectation.cumulative(np.append(times, horizon)), dtype=np.float64)
        factors = delta[None, :] * np.exp(-delta[None, :] * times[:, None])
        by_legendre = np.exp(-delta * horizon) * values[-1] + np.einsum(
            "ij,ij,i->j", factors, values[:-1], 0.5 * horizon * weights
        )
        total[near] = by_legendre[near]
    if not near.all():
        nodes, weights = roots_laguerre(_N_LAGUERRE)
        after = expectation.discounted_average(delta, nodes, weights, start=horizon)
        at_horizon = np.asarray(expectation.cumulative(horizon), dtype=np.float64)
        beyond = np.exp(-delta * horizon) * (after - at_horizon * weights.sum())
        total[~near] = (infinite() - beyond)[~near]
    return total
