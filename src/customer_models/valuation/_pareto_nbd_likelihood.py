"""Likelihood and P(alive) kernels of the Pareto/NBD model, and the fit's coordinates.

Kernels take ``params = [r, alpha, s, beta]`` (shape ``(4,)`` or ``(4, ...)`` broadcasting
against the data) and float arrays ``x`` (frequency), ``t_x`` (recency), ``T``. The ``A_0``
term comes from :func:`customer_models.valuation._pareto_nbd_chain.log_a0_term` (stable for any
frequency); everything is in log space with an analytic gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import gammaln, psi

from customer_models.exceptions import ParameterError
from customer_models.valuation._btyd_common import by_count, unpack4
from customer_models.valuation._optimize import Coordinates
from customer_models.valuation._pareto_nbd_chain import log_a0_term

__all__ = [
    "MeanDropoutCoordinates",
    "log_likelihood_gradient_kernel",
    "log_likelihood_kernel",
    "probability_alive_kernel",
]


def _core(
    params: Any, x: Any, t_x: Any, T: Any, grad: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return (loglik, P(alive), gradient or None).

    The gradient rows are filled in place in a ``(4, n)`` array (returned as its ``(n, 4)``
    view): on a large fit every fresh row array is a page-faulting allocation, and terms
    that do not depend on the row (``r / alpha``, ``log beta``, ``s / beta``) stay scalars.
    """
    r, alpha, s, beta = unpack4(params)
    x = np.asarray(x, dtype=np.float64)
    N = r + s + x
    log_at, log_bt = np.log(alpha + T), np.log(beta + T)
    A1 = by_count(gammaln, r, x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    l1 = -(r + x) * log_at - s * log_bt
    l2, g2 = log_a0_term(r, alpha, s, beta, x, t_x, grad)
    l3, g3 = log_a0_term(r, alpha, s, beta, x, T, grad)
    l3 = np.minimum(l3, l2)  # A_0 >= 0 exactly; guard rounding
    q = np.exp(l3 - l2)
    with np.errstate(divide="ignore"):
        log_a0 = l2 + np.log(-np.expm1(l3 - l2))
    log_c = np.log(s) - np.log(N)
    lterm = np.logaddexp(l1, log_c + log_a0)
    ll = A1 + lterm
    alive = np.exp(l1 - lterm)
    if not grad:
        return ll, alive, None
    assert g2 is not None
    assert g3 is not None
    w1 = alive
    w2 = 1.0 - w1
    v = np.exp(log_c + l2 - lterm)  # = w2 / (1 - q), finite even when t_x == T
    # g_i = dA1_i + w1 dl1_i + w2 dlogc_i + v (g2_i - q g3_i), with dlogc = (-1/N, 0, 1/s - 1/N, 0)
    inv_n = 1.0 / N
    out = np.empty((4, x.size))
    tmp = np.empty(x.size)
    dA1 = (by_count(psi, r, x) - psi(r) + np.log(alpha), r / alpha, np.log(beta), s / beta)
    dl1 = (-log_at, -(r + x) / (alpha + T), -log_bt, -s / (beta + T))
    for i, row in enumerate(out):
        np.multiply(w1, dl1[i], out=row)
        row += dA1[i]  # dA1 + w1 dl1 (the same sum as dA1 + w1 dl1, in either order)
        if i == 0:
            row -= w2 * inv_n
        elif i == 2:
            row += w2 * (1.0 / s - inv_n)
        np.multiply(q, g3[i], out=tmp)
        np.subtract(g2[i], tmp, out=tmp)
        tmp *= v
        row += tmp
    return ll, alive, out.T


def log_likelihood_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Fader and Hardie 2005 note, eq. 19).

    Examples
    --------
    >>> import numpy as np
    >>> ll = log_likelihood_kernel([0.553, 10.578, 0.606, 11.669], np.array([300.0]),
    ...                            np.array([38.0]), np.array([39.0]))
    >>> bool(np.isfinite(ll).all())
    True
    """
    return _core(params, x, t_x, T, grad=False)[0]


def log_likelihood_gradient_kernel(
    params: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its gradient in ``(r, alpha, s, beta)``.

    Examples
    --------
    >>> import numpy as np
    >>> ll, g = log_likelihood_gradient_kernel(np.array([0.5, 10.0, 0.6, 12.0]), np.array([1.0]),
    ...                                np.array([5.0]), np.array([30.0]))
    >>> g.shape
    (1, 4)
    """
    ll, _, g = _core(params, x, t_x, T, grad=True)
    assert g is not None
    return ll, g


def probability_alive_kernel(params: Any, x: Any, t_x: Any, T: Any) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A_0).

    Examples
    --------
    >>> round(float(probability_alive_kernel([0.553, 10.578, 0.606, 11.669], 0, 0, 0)), 6)
    1.0
    """
    alive = _core(params, x, t_x, T, grad=False)[1]
    if np.isnan(alive).any():
        _, alpha, _, beta = (np.asarray(v) for v in unpack4(params))
        raise ParameterError(
            "Pareto/NBD P(alive) could not be evaluated (not finite) for alpha/beta = "
            f"{float(np.max(alpha / beta)):.3g}..{float(np.min(alpha / beta)):.3g}: parameters "
            "beyond this library's verified range. Refit with penalizer_coef > 0."
        )
    return alive


class MeanDropoutCoordinates(Coordinates):
    """``phi = (log r, log alpha, log(s / beta), 1 / s)``: the fit's Newton coordinates.

    With little dropout the data pin the mean dropout rate ``s / beta`` but hardly its
    squared coefficient of variation ``1 / s``; the likelihood is flat along ``s -> inf`` at
    fixed ``s / beta`` and close to quadratic in ``1 / s`` there (the gamma mixture enters
    through its moments), where in ``log s`` it flattens like ``exp(-log s)`` and Newton
    crawls.

    Examples
    --------
    >>> c = MeanDropoutCoordinates()
    >>> theta = np.log([0.55, 10.6, 2.0, 800.0])
    >>> phi = c.from_theta(theta)
    >>> bool(np.allclose(phi[2:], [np.log(2.0 / 800.0), 0.5]))
    True
    >>> bool(np.allclose(c.to_theta(phi), theta))
    True
    """

    def to_theta(self, phi: np.ndarray) -> np.ndarray:
        log_s = -np.log(max(float(phi[3]), 1e-300))  # a step past s = inf lands at the box
        return np.array([phi[0], phi[1], log_s, log_s - phi[2]])

    def from_theta(self, theta: np.ndarray) -> np.ndarray:
        return np.array([theta[0], theta[1], theta[2] - theta[3], np.exp(-theta[2])])

    def jacobian(self, phi: np.ndarray) -> np.ndarray:
        d_log_s = -1.0 / phi[3]
        return np.array(
            [
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, d_log_s],
                [0.0, 0.0, -1.0, d_log_s],
            ]
        )

    def curvature(self, phi: np.ndarray, grad_theta: np.ndarray) -> np.ndarray:
        out = np.zeros((4, 4))
        out[3, 3] = (grad_theta[2] + grad_theta[3]) / phi[3] ** 2  # d2 log s / d v2 = 1 / v2
        return out

    def step_limit(self, phi: np.ndarray, direction: np.ndarray) -> float:
        # a step past 1 / s = 0 lands at the box, where the kernels are slowest: stop short
        if direction[3] >= 0.0:
            return 1.0
        return min(1.0, 0.99 * float(phi[3]) / float(-direction[3]))
