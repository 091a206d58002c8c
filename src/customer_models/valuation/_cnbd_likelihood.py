"""Likelihood and P(alive) kernels of BG/CNBD-k and, with ``modified=True``, MBG/CNBD-k.

Platzer and Reutterer (2016): while active, a customer's inter-purchase times are Erlang-k with
rate ``λ ~ Gamma(r, α)`` (mean ``k / λ``); after each repeat purchase (MBG: also after the first)
the customer drops out with probability ``p ~ Beta(a, b)``. ``k = 1`` is BG/NBD (MBG/NBD).

Kernels take ``params = [k, r, alpha, a, b]`` (shape ``(5,)`` or ``(5, ...)``, broadcasting
against the data) and float arrays ``x`` (frequency), ``t_x`` (recency), ``T`` and, in the
likelihood, ``litt`` (the sum of log inter-purchase times,
:func:`customer_models._inter_purchase.log_interpurchase_sum`). ``k`` is an integer: the
kernels use ``max(round(k), 1)``, and its derivative is 0 (it is chosen by profiling the
likelihood over integers, never differentiated).

With ``R = r + k x``, ``u = (T - t_x) / (α + T)`` and ``s`` the MBG shift (0 or 1),

``log L = (k-1) litt - x lnΓ(k) + lnΓ(R) - lnΓ(r) + r ln α + ln B(a, b+x+s) - ln B(a, b)
+ log(S (α+T)^-R + [x > 0 or MBG] a/(b+x-1+s) (α+t_x)^-R)``,

``S = sum_{j<k} (R)_j u^j / j!``: the chance that the Erlang interval running since ``t_x``
has not ended by ``T``, mixed over the posterior of ``λ``. Its terms, normalised, are the
posterior of ``J``, the number of Erlang phases completed since the last purchase, which the
predictions (:mod:`customer_models.valuation._cnbd_predictions`) use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, expit, gammaln, psi

from customer_models.exceptions import ParameterError

__all__ = [
    "erlang_k",
    "fixed_k_gradient_kernel",
    "log_likelihood_gradient_kernel",
    "log_likelihood_kernel",
    "phase_weights",
    "probability_alive_kernel",
]


def erlang_k(params: Any) -> int:
    """Return the integer ``k`` of ``params`` (``max(round(k), 1)``); one value for every draw.

    Examples
    --------
    >>> erlang_k([2.0, 0.5, 4.0, 0.8, 2.5]), erlang_k([0.3, 1, 1, 1, 1])
    (2, 1)
    """
    first = np.asarray(np.asarray(params, dtype=np.float64)[0])
    ks = np.unique(np.maximum(np.rint(first), 1.0))
    if ks.size != 1:
        raise ParameterError(f"the Erlang shape k must be one integer, got {ks.tolist()[:5]}.")
    return int(ks[0])


def _unpack(params: Any) -> tuple[int, Any, Any, Any, Any]:
    p = np.asarray(params, dtype=np.float64)
    return erlang_k(p), p[1], p[2], p[3], p[4]


def phase_weights(
    R: np.ndarray, u: np.ndarray, k: int, *, moments: bool = False
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray | None, np.ndarray | None]:
    """``log S`` and the normalised terms ``w_j`` of ``S = sum_{j<k} (R)_j u^j / j!``.

    Terms are built by the recursion ``τ_j = τ_(j-1) (R+j-1) u / j`` in log space (finite for
    any ``R``) and summed against their maximum. With ``moments``, also ``sum_j j w_j`` and
    ``sum_j w_j sum_{i<j} 1/(R+i)`` (the derivatives of ``log S`` in ``log u`` and ``R``).

    Examples
    --------
    >>> import numpy as np
    >>> log_s, w, _, _ = phase_weights(np.array([2.0]), np.array([0.5]), 3)
    >>> round(float(np.exp(log_s)[0]), 6), round(float(w[2][0]), 6)  # 1 + 1 + 0.75
    (2.75, 0.272727)
    """
    log_u = np.log(u, out=np.full(np.shape(u), -np.inf), where=u > 0)
    logs = [np.zeros(np.broadcast(R, u).shape)]
    for j in range(1, k):
        logs.append(logs[-1] + np.log(R + (j - 1)) + log_u - np.log(j))
    top = logs[0].copy()
    for term in logs[1:]:
        np.maximum(top, term, out=top)
    weights = [np.exp(term - top) for term in logs]
    total = np.sum(weights, axis=0)
    weights = [w / total for w in weights]
    log_s = top + np.log(total)
    if not moments:
        return log_s, weights, None, None
    mean_j = np.zeros_like(log_s)
    harmonic = np.zeros_like(log_s)
    h = np.zeros_like(log_s)
    for j, w in enumerate(weights):
        if j:
            h = h + 1.0 / (R + (j - 1))
        mean_j += j * w
        harmonic += w * h
    return log_s, weights, mean_j, harmonic


def _branches(
    k: int,
    r: Any,
    alpha: Any,
    a: Any,
    b: Any,
    x: Any,
    t_x: Any,
    T: Any,
    modified: bool,
    moments: bool = True,
) -> tuple[Any, ...]:
    """Return ``(A, alive, dead, repeat, bx1, R, log_s, mean_j, harmonic)``.

    Without ``moments`` (P(alive) needs neither), ``A``, ``mean_j`` and ``harmonic`` are None.
    """
    x = np.asarray(x, dtype=np.float64)
    t_x = np.asarray(t_x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    shift = 1.0 if modified else 0.0
    R = r + k * x
    A = (
        gammaln(R) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + shift) - betaln(a, b)
        if moments
        else None
    )
    u = (T - t_x) / (alpha + T)
    log_s, _, mean_j, harmonic = phase_weights(R, u, k, moments=moments)
    alive = log_s - R * np.log(alpha + T)
    repeat = (x > 0) | modified  # the "dropped out after the last purchase" branch exists
    bx1 = np.where(repeat, b + x - 1.0 + shift, 1.0)
    dead = np.where(repeat, np.log(a) - np.log(bx1) - R * np.log(alpha + t_x), -np.inf)
    return A, alive, dead, repeat, bx1, R, log_s, mean_j, harmonic


def _constant(k: int, x: Any, litt: Any) -> Any:
    """``(k-1) litt - x lnΓ(k)``: the Erlang densities' part free of the model parameters."""
    if k == 1:
        return 0.0
    if litt is None:
        raise ParameterError(
            f"the log-likelihood at k = {k} needs the sum of log inter-purchase times "
            "(the log_interpurchase_sum column)."
        )
    return (k - 1) * np.asarray(litt, dtype=np.float64) - np.asarray(x) * gammaln(k)


def log_likelihood_kernel(
    params: Any, x: Any, t_x: Any, T: Any, litt: Any = None, *, modified: bool = False
) -> np.ndarray:
    """Per-customer BG/CNBD-k (MBG/CNBD-k) log-likelihood; ``litt`` may be omitted at k = 1.

    Examples
    --------
    >>> round(float(log_likelihood_kernel([1, 0.243, 4.414, 0.793, 2.426], 0.0, 0.0, 38.86)), 4)
    -0.5547
    >>> round(float(log_likelihood_kernel([3, 0.8, 2.0, 0.8, 2.5], 2, 10.0, 20.0, 3.0)), 4)
    -7.1146
    """
    k, r, alpha, a, b = _unpack(params)
    A, alive, dead, *_ = _branches(k, r, alpha, a, b, x, t_x, T, modified)
    return np.asarray(_constant(k, x, litt) + A + np.logaddexp(alive, dead))


def _core_gradient(
    k: int, r: Any, alpha: Any, a: Any, b: Any, x: Any, t_x: Any, T: Any, modified: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Log-likelihood without the litt constant and its gradient in ``(r, alpha, a, b)``."""
    A, alive, dead, repeat, bx1, R, _, mean_j, harmonic = _branches(
        k, r, alpha, a, b, x, t_x, T, modified
    )
    x = np.asarray(x, dtype=np.float64)
    shift = 1.0 if modified else 0.0
    lse = np.logaddexp(alive, dead)
    w_dead = np.exp(dead - lse)
    w_alive = 1.0 - w_dead
    log_at = np.log(alpha + np.asarray(T, dtype=np.float64))
    log_atx = np.log(alpha + np.asarray(t_x, dtype=np.float64))
    d_r = psi(R) - psi(r) + np.log(alpha) + w_alive * (harmonic - log_at) - w_dead * log_atx
    d_alpha = (
        r / alpha
        - w_alive * (R + mean_j) / (alpha + np.asarray(T))
        - w_dead * R / (alpha + np.asarray(t_x))
    )
    common = psi(a + b) - psi(a + b + x + shift)
    d_a = common + w_dead / a
    d_b = common + psi(b + x + shift) - psi(b) - np.where(repeat, w_dead / bx1, 0.0)
    return np.asarray(A + lse), np.stack(np.broadcast_arrays(d_r, d_alpha, d_a, d_b), axis=-1)


def log_likelihood_gradient_kernel(
    params: Any, x: Any, t_x: Any, T: Any, litt: Any = None, *, modified: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log-likelihood and its gradient in ``(k, r, alpha, a, b)`` (0 in ``k``).

    Examples
    --------
    >>> import numpy as np
    >>> ll, g = log_likelihood_gradient_kernel([2, 0.5, 4.0, 0.8, 2.5], np.array([2.0]),
    ...                                        np.array([10.0]), np.array([20.0]), np.array([3.0]))
    >>> g.shape, float(g[0, 0])
    ((1, 5), 0.0)
    """
    k, r, alpha, a, b = _unpack(params)
    core, grad = _core_gradient(k, r, alpha, a, b, x, t_x, T, modified)
    zero = np.zeros((*grad.shape[:-1], 1))
    return np.asarray(_constant(k, x, litt) + core), np.concatenate([zero, grad], axis=-1)


def fixed_k_gradient_kernel(k: int, *, modified: bool) -> Any:
    """``(params [r, alpha, a, b], x, t_x, T) -> (ll, gradient)`` at a fixed ``k``, for fitting.

    The litt constant is left out: it does not depend on ``(r, alpha, a, b)``, so the fit at
    each ``k`` runs on the distinct ``(x, t_x, T)`` patterns and adds it once.

    Examples
    --------
    >>> import numpy as np
    >>> kern = fixed_k_gradient_kernel(2, modified=False)
    >>> ll, g = kern(np.array([0.5, 4.0, 0.8, 2.5]), np.array([2.0]), np.array([10.0]),
    ...              np.array([20.0]))
    >>> g.shape
    (1, 4)
    """

    def gradient(params: np.ndarray, x: Any, t_x: Any, T: Any) -> tuple[np.ndarray, np.ndarray]:
        r, alpha, a, b = np.asarray(params, dtype=np.float64)
        return _core_gradient(k, r, alpha, a, b, x, t_x, T, modified)

    return gradient


def probability_alive_kernel(
    params: Any, x: Any, t_x: Any, T: Any, *, modified: bool = False
) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + [x > 0 or MBG] a/(b+x-1+s) ((α+T)/(α+t_x))^R / S).

    Examples
    --------
    >>> float(probability_alive_kernel([3, 0.5, 4.0, 0.8, 2.5], 0.0, 0.0, 10.0))
    1.0
    >>> round(float(probability_alive_kernel([1, 0.5, 4.0, 0.8, 2.5], 0, 0, 0, modified=True)), 4)
    0.7576
    """
    k, r, alpha, a, b = _unpack(params)
    _, alive, dead, repeat, *_ = _branches(k, r, alpha, a, b, x, t_x, T, modified, moments=False)
    return np.asarray(np.where(repeat, expit(alive - dead), 1.0))
