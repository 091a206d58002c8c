"""Pareto/NBD count probabilities at the dropout boundary (large s and beta), against quadrature.

A fit that runs to its dropout boundary has ``s`` and ``beta`` in the thousands with
``s / beta`` finite (an exponential lifetime). There the binomial series of ``_pmf_new`` first
grows for thousands of terms and returned probabilities far above 1 (7.3e6 for
``s = 1e4``). The reference is the defining integral
``S(t) NB_t(n) + ∫_0^t f(τ) NB_τ(n) dτ`` by scipy's adaptive quadrature.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy.special import gammaln

from customer_models.valuation._pareto_nbd_predictions import (
    _pmf_new,
    probability_of_purchases_kernel,
)


def _reference(n: int, t: float, r: float, alpha: float, s: float, beta: float) -> float:
    def nb(tau: float) -> float:
        if tau <= 0:
            return float(n == 0)
        log = gammaln(r + n) - gammaln(r) - gammaln(n + 1.0)
        return float(
            np.exp(log + r * np.log(alpha / (alpha + tau)) + n * np.log(tau / (alpha + tau)))
        )

    def density(tau: float) -> float:  # lifetime density s beta^s / (beta + tau)^(s+1)
        return float(s / beta * np.exp(-(s + 1.0) * np.log1p(tau / beta)))

    part, _ = integrate.quad(
        lambda tau: density(tau) * nb(tau), 0.0, t, limit=500, epsabs=1e-14, epsrel=1e-12
    )
    return float(np.exp(-s * np.log1p(t / beta))) * nb(t) + part


@pytest.mark.parametrize(
    ("n", "t", "r", "alpha", "s", "beta"),
    [
        (0, 39.0, 0.9, 34.4, 1e4, 2.59e5),
        (3, 39.0, 3.9, 49.4, 1e4, 2.59e5),
        (0, 39.0, 0.9, 34.4, 2400.0, 25_900.0),
        (2, 52.0, 1.5, 20.0, 300.0, 5_000.0),
        (1, 26.0, 0.5, 300.0, 5e4, 1e6),
        (0, 39.0, 0.55, 40.0, 0.6, 50.0),  # an ordinary fit, through the series
    ],
)
def test_new_customer_pmf_equals_the_defining_integral(n, t, r, alpha, s, beta):
    got = float(_pmf_new(np.array(float(n)), t, r, alpha, s, beta))
    assert got == pytest.approx(_reference(n, t, r, alpha, s, beta), rel=1e-9)


def test_conditional_pmf_is_a_distribution_at_the_boundary():
    params = np.array([0.9, 4.4, 1e4, 2.59e5])
    counts = np.arange(400.0)[None, :]
    x, t_x, T = (
        np.array([[0.0], [3.0], [12.0]]),
        np.array([[0.0], [10.0], [33.0]]),
        np.array([[30.0], [35.0], [38.0]]),
    )
    pmf = probability_of_purchases_kernel(params, counts, x, t_x, T, 39.0)
    assert np.all((pmf >= 0) & (pmf <= 1))
    np.testing.assert_allclose(pmf.sum(axis=1), 1.0, rtol=1e-9)
