"""Closed-form discounted expected residual transactions (DERT) of the purchase models.

A model declares its kernel as ``_dert_kernel(params, x, T, alive, delta, horizon)``: the
discounted expected purchases after ``T`` of customers with ``frequency`` x, age ``T`` and
``P(alive)`` ``alive``, at continuous discount rates ``delta`` (per model unit) over
``horizon`` (model units, possibly infinite); it returns None where it does not apply, and CLV
integrates the model's ``E[X(t)]`` instead. Nothing here knows a model by name.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import betainc, betaln, exp1, gamma, gammaincc, hyperu, polygamma

from customer_models.valuation._btyd_common import in_chunks
from customer_models.valuation._patterns import distinct_rows

__all__ = ["DertKernel", "bg_family_dert", "pareto_nbd_dert"]

#: ``(params, x, T, alive, delta, horizon) -> DERT per customer, or None``.
DertKernel = Callable[
    [np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float], "np.ndarray | None"
]


def pareto_nbd_dert(
    params: np.ndarray,
    x: np.ndarray,
    T: np.ndarray,
    alive: np.ndarray,
    delta: np.ndarray,
    horizon: float,
) -> np.ndarray | None:
    """Closed-form DERT of the Pareto/NBD model (Fader, Hardie and Lee 2005, eq. 2).

    Given alive at T, the posterior of (lambda, mu) is Gamma(r + x, alpha + T) x
    Gamma(s, beta + T), so the expected purchase rate at T + t is
    P(alive) (r + x)/(alpha + T) (1 + t/(beta + T))^(-s). With B = beta + T,
    ``int_0^inf exp(-delta t) (1 + t/B)^(-s) dt = z^s U(s, s, z) / delta``, z = delta B, and the
    finite horizon H follows as I_inf(B) - exp(-delta H) (B/(B + H))^s I_inf(B + H).

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones(1)
    >>> d = pareto_nbd_dert(np.array([0.55, 10.6, 0.61, 11.7]), 2 * one, 30 * one, 0.8 * one,
    ...                     0.01 * one, np.inf)
    >>> round(float(d[0]), 3)
    2.877
    """
    if not np.all(delta > 0):  # undiscounted: the quadrature of E[X(t)] is exact and cheap
        return None
    r, alpha, s, beta = (float(v) for v in params)
    B = beta + T

    def discounted_survival(b: np.ndarray) -> np.ndarray:
        z = delta * b
        return np.exp(s * np.log(z)) * hyperu(s, s, z) / delta

    with np.errstate(all="ignore"):  # hyperu overflows for extreme s, z: checked below
        integral = discounted_survival(B)
        if np.isfinite(horizon):
            integral = integral - np.exp(-delta * horizon + s * np.log(B / (B + horizon))) * (
                discounted_survival(B + horizon)
            )
        result = alive * (r + x) / (alpha + T) * integral
    if not np.all(np.isfinite(result)):
        return None
    if np.any(result < 0):
        return None  # the finite-horizon difference cancelled: use the quadrature instead
    return result


#: Backward continued fraction of z e^z E_n(z) (DLMF 8.19.17): its depth, and the region where
#: that depth converges to double precision (z >= 2, or n >= 31 for any z > 0).
_CF_DEPTH = 40
_CF_MIN_Z = 2.0
_CF_MIN_K = 30.0


def _exp_integral_cf(n: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``z e^z E_n(z)`` by its continued fraction, evaluated backward at a fixed depth."""
    tail = np.zeros(np.broadcast(n, z).shape)
    for i in range(_CF_DEPTH, 0, -1):
        tail = i * (n + (i - 1.0)) / (z + n + 2.0 * i - tail)
    return np.asarray(z / (z + n - tail))


def _exp_integral_recurrence(n: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``z e^z E_n(z)`` for ``z < 2``, ``1 < n <= 31``, from the order ``n0 = n - m`` in (0, 1].

    ``z e^z E_n0 = z^n0 e^z Γ(1 - n0, z)`` (scipy's regularized ``gammaincc``, exact to a few
    ulps even for 1 - n0 near 0; ``exp1`` at n0 = 1), then ``m`` steps of
    ``H(ν + 1) = z/ν (1 - H(ν))`` (DLMF 8.19.12), which shrink errors since z/ν < 1 after
    the first step.
    """
    steps = np.ceil(n) - 1.0
    n0 = n - steps
    whole = n0 == 1.0
    frac = np.where(whole, 0.5, n0)  # placeholder where n0 = 1 (exp1 below)
    with np.errstate(over="ignore", invalid="ignore"):
        base = np.exp(frac * np.log(z) + z) * gamma(1.0 - frac) * gammaincc(1.0 - frac, z)
    out = np.where(whole, z * np.exp(z) * exp1(z), base)
    for j in range(int(steps.max(initial=0.0))):
        order = n0 + j
        out = np.where(j < steps, z / order * (1.0 - out), out)
    return np.asarray(out)


def _gamma_stieltjes(k: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``h = E[z / (z + W)]`` for ``W ~ Gamma(k + 1, 1)``: ``z e^z E_(k+1)(z)``, k, z > 0.

    Examples
    --------
    >>> import numpy as np
    >>> float(_gamma_stieltjes(np.array([1.0]), np.array([1.0]))[0])  # e E_2(1)
    0.403652637676806...
    """
    k, z = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(z, dtype=np.float64))
    n = k + 1.0
    out = np.empty(n.shape)
    cf = (z >= _CF_MIN_Z) | (k >= _CF_MIN_K)
    out[cf] = _exp_integral_cf(n[cf], z[cf])
    out[~cf] = _exp_integral_recurrence(n[~cf], z[~cf])
    return out


#: Pieces of the Beta expectation of the BG/NBD DERT (see `_dert_given_alive`).
_DERT_TAYLOR_TERMS = 8
_DERT_LEFT = 0.01  # p (k + terms) / sigma on the left piece: the series error is below 1e-16
_DERT_RIGHT = 1e-6  # q = 1 - p on the right piece (linear in q: error ~1e-12)
_DERT_PANELS = 16
_DERT_WINDOW = 40.0  # standard deviations of logit p around its mode
_DERT_CHUNK = 2_048
_GL16_X, _GL16_W = np.polynomial.legendre.leggauss(16)
#: Composite Gauss-Legendre nodes and weights on [0, 1]: `_DERT_PANELS` panels of 16.
_PANEL_NODES = ((np.arange(_DERT_PANELS)[:, None] + 0.5 * (_GL16_X + 1.0)) / _DERT_PANELS).ravel()
_PANEL_WEIGHTS = np.tile(0.5 * _GL16_W / _DERT_PANELS, _DERT_PANELS)


def _dert_given_alive(
    k: np.ndarray, a: np.ndarray, bp: np.ndarray, sigma: np.ndarray
) -> np.ndarray:
    """``E[lambda / (delta + p lambda)] = (k/σ) E_p[h_k(σ/p)]`` for ``p ~ Beta(a, b')``.

    ``h_k`` is `_gamma_stieltjes`; ``σ = δ (α + T)``. Three pieces of [0, 1], as in the
    BG/NBD expectation: near 0 (``p (k + 8) <= 0.01 σ``) the asymptotic series
    ``h = Σ_j (-p/σ)^j (k+1)_j`` (a Stieltjes series: the error is below the first omitted
    term, 1e-16) against the exact incomplete-beta moments of ``p^j``; near 1 (``q = 1 - p <=
    1e-6``) ``h(σ) + q σ h'(σ)`` against the moments of ``q``; between them composite
    Gauss-Legendre in ``v = logit p``. The integrand changes where ``p ~ σ/(k+1)``, just above
    the left piece, so the nodes resolve it at any ``σ`` (the old product quadrature did not
    below ``σ ~ 0.01``).
    """
    return in_chunks(_dert_chunk, _DERT_CHUNK, k, a, bp, sigma)


def _dert_chunk(k: np.ndarray, a: np.ndarray, bp: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    # left piece [0, p0]: sum_j c_j I_p0(a + j, b'), c_j = (-1/σ)^j (k+1)_j B(a+j, b')/B(a, b')
    p0 = np.minimum(_DERT_LEFT * sigma / (k + _DERT_TAYLOR_TERMS), 0.5)
    left = np.zeros(k.size)
    coef = np.ones(k.size)
    for j in range(_DERT_TAYLOR_TERMS):
        left += coef * betainc(a + j, bp, p0)
        coef = coef * (-(k + 1.0 + j) * (a + j) / ((a + bp + j) * sigma))
    # right piece [1 - q1, 1]: h(σ/(1-q)) = h(σ) + q (h(σ)(σ + k + 1) - σ) + O(q^2)
    q1 = _DERT_RIGHT
    at_one = _gamma_stieltjes(k, sigma)
    slope = at_one * (sigma + k + 1.0) - sigma
    right = at_one * betainc(bp, a, q1) + slope * bp / (a + bp) * betainc(bp + 1.0, a, q1)
    # middle piece in v = logit p, over the window where the beta density has mass
    mode = np.log(a) - np.log(bp)
    sd = np.sqrt(polygamma(1, a) + polygamma(1, bp))
    lo = np.maximum(np.log(p0) - np.log1p(-p0), mode - _DERT_WINDOW * sd)
    hi = np.minimum(np.log1p(-q1) - np.log(q1), mode + _DERT_WINDOW * sd)
    width = np.maximum(hi - lo, 0.0)
    v = lo[:, None] + width[:, None] * _PANEL_NODES[None, :]
    log_p = -np.logaddexp(0.0, -v)
    log_q = -np.logaddexp(0.0, v)
    dens = np.exp(a[:, None] * log_p + bp[:, None] * log_q - betaln(a, bp)[:, None])
    h = _gamma_stieltjes(k[:, None], sigma[:, None] * np.exp(-log_p))
    middle = width * ((dens * h) @ _PANEL_WEIGHTS)
    return np.asarray(k / sigma * (left + middle + right))


def bg_family_dert(shift: float) -> DertKernel:
    """Infinite-horizon DERT kernel of the BG family: BG/NBD (``shift`` 0), MBG/NBD (1).

    Given (lambda, p) and alive, the k-th future purchase happens at a Gamma(k, lambda) time
    and only if the customer survived the k - 1 before it, so
    ``Σ_k (1 - p)^(k-1) (lambda/(lambda + delta))^k = lambda / (delta + p lambda)``. Given alive
    at T the posterior is Gamma(r + x, alpha + T) x Beta(a, b + x + shift), hence
    ``DERT = P(alive) E[lambda / (delta + p lambda)]``: the expectation over lambda in closed
    form (an exponential integral), over p by `_dert_given_alive`, once per distinct
    (frequency, delta (alpha + T)) pair. Finite horizons return None (CLV integrates E[X(t)]).

    Examples
    --------
    >>> import numpy as np
    >>> kernel = bg_family_dert(0.0)
    >>> one = np.ones(1)
    >>> d = kernel(np.array([0.243, 4.414, 0.793, 2.426]), 0 * one, one, one, 1e-3 * one, np.inf)
    >>> round(float(d[0]), 4)
    5.205
    """

    def kernel(
        params: np.ndarray,
        x: np.ndarray,
        T: np.ndarray,
        alive: np.ndarray,
        delta: np.ndarray,
        horizon: float,
    ) -> np.ndarray | None:
        if np.isfinite(horizon) or not np.all(delta > 0):
            return None
        r, alpha, a, b = (float(v) for v in params)
        scale = delta * (alpha + T)
        # Evaluate once per distinct (x, scale) pair: typically a few thousand, not 1M.
        distinct = distinct_rows([x, scale], min_rows=0)
        if distinct is None:  # mostly distinct: evaluate every row
            x_u, scale_u, pair_codes = x, scale, np.arange(x.size)
        else:
            (x_u, scale_u), pair_codes = distinct
        with np.errstate(all="ignore"):  # checked by the caller: a non-finite value declines
            per_pair = _dert_given_alive(r + x_u, np.full_like(x_u, a), b + shift + x_u, scale_u)
        return np.asarray(alive * per_pair[pair_codes])

    return kernel
