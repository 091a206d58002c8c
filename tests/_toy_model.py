"""The worked example of docs/contributing.md: a toy buy-till-you-die model in one small file.

The page includes the part between the ``--8<--`` markers verbatim; tests/test_contributing.py
fits the model on data simulated from its own generative process, and tests/test_common.py
runs the contract of every valuation model over it. In the package the file would be
``src/customer_models/valuation/_nbd.py`` and the class would register by itself (here,
outside the package, it asks with ``register=True``).
"""

# --8<-- [start:model]
from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from scipy.special import gammaln, xlogy

from customer_models.valuation import PurchaseModel
from customer_models.valuation._kernels import kernel


def log_likelihood(params, x, t_x, T):
    """log of Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x)); t_x tells nothing here."""
    r, alpha = params
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T)


def probability_alive(params, x, t_x, T):
    """Nobody leaves."""
    return np.ones(np.broadcast(x, t_x, T).shape)


def expected_purchases(params, x, t_x, T, t):
    """The posterior mean rate (r + x) / (alpha + T), times t."""
    r, alpha = params
    return (r + x) / (alpha + T) * t


def probability_of_purchases(params, n, x, t_x, T, t):
    """Negative binomial: Poisson counts over t at a Gamma(r + x, alpha + T) rate."""
    r, alpha = params
    shape, odds = r + x, t / (alpha + T + t)
    log_p = gammaln(shape + n) - gammaln(shape) - gammaln(n + 1)
    return np.exp(log_p + shape * np.log1p(-odds) + xlogy(n, odds))


def discounted_residual_purchases(params, x, T, alive, delta, horizon):
    """int_0^horizon exp(-delta s) (r + x) / (alpha + T) ds; None: CLV integrates instead."""
    if not np.all(delta > 0):
        return None
    r, alpha = params
    return alive * (r + x) / (alpha + T) * -np.expm1(-delta * horizon) / delta


class NBDModel(PurchaseModel, register=True):
    """NBD model (Ehrenberg 1959): Poisson purchases at a rate ``λ ~ Gamma(r, alpha)``, forever.

    The purchase half of Pareto/NBD without its dropout. Fitted on ``frequency``, ``recency``
    and ``T`` like every purchase model.

    Examples
    --------
    >>> model = NBDModel.from_params(r=0.5, alpha=10.0)
    >>> float(model.expected_purchases_new_customer(t=40))  # r / alpha * t
    2.0
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0)
    _penalty_scale_columns: ClassVar[Mapping[str, str]] = {"alpha": "T"}  # alpha is in T's unit
    _separable_expectation = True  # E[X(t)] = P(alive) g(x, T, t): CLV's fast path
    _loglik_kernel = kernel(log_likelihood)  # gradient and Hessian: derived, numeric
    _alive_kernel = kernel(probability_alive)
    _expected_kernel = kernel(expected_purchases)  # new-customer mean: derived from it
    _pmf_kernel = kernel(probability_of_purchases)
    _dert_kernel = kernel(discounted_residual_purchases)  # CLV's closed form


# --8<-- [end:model]
