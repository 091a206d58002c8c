"""BG/BB: the number of opportunities until a customer's next transaction.

At each opportunity a customer alive at the previous one first survives (probability
``1 - θ``) and then transacts (probability ``p``). A customer alive at opportunity ``n``
therefore makes the next transaction at opportunity ``n + i`` with probability
``(1 - θ)^i (1 - p)^(i-1) p``. Given the history ``(x, t_x, n)`` and alive at ``n``,
``p ~ Beta(α+x, β+n-x)`` and ``θ ~ Beta(γ, δ+n)`` independently (Fader, Hardie & Shang 2010),
so with ``L`` the likelihood of the history

``P(J = i) = B(α+x+1, β+n-x+i-1)/B(α,β) · B(γ, δ+n+i)/B(γ,δ) / L``,  ``i = 1, 2, ...``

(the factor ``B(α+x, β+n-x) B(γ, δ+n) / (B(α,β) B(γ,δ) L)`` is P(alive at n)). The
distribution is defective: a customer who has died never transacts again. Its CDF at ``m`` is
``1 - P(X(n, n+m) = 0)``, the pmf identity the tests check it against. Everything is evaluated
once per distinct history, summing blocks of opportunities (memory O(patterns × block)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln

from customer_models.exceptions import ParameterError
from customer_models.valuation._bgbb import MAX_FUTURE_PERIODS, _log_terms, _params
from customer_models.valuation._predictive_source import pmf_source

__all__ = ["bgbb_next_purchase_cdf", "bgbb_next_purchase_quantile", "log_next_purchase_pmf"]

#: Elements (patterns × opportunities) per block of the sums.
_BLOCK = 1 << 20


def log_next_purchase_pmf(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray, i: np.ndarray
) -> np.ndarray:
    """``log P(J = i | x, t_x, n)``, the next transaction at opportunity ``n + i`` (``i >= 1``).

    ``x``, ``t_x``, ``n`` are columns of shape ``(rows, 1)`` (or broadcastable with ``i``).

    Examples
    --------
    >>> import numpy as np
    >>> theta = np.array([1.204, 0.75, 0.657, 2.783])
    >>> one = np.array([[0.0]])
    >>> # a new customer (n = 0) transacts at the first opportunity w.p. E[1 - θ] E[p]
    >>> lp = log_next_purchase_pmf(theta, one, one, one, np.array([[1.0]]))
    >>> round(float(np.exp(lp[0, 0])), 6) == round(1.204 / 1.954 * 2.783 / 3.44, 6)
    True
    """
    alpha, beta, gamma, delta = _params(params)
    log_l = _log_terms(params, x, t_x, n)[2]
    return np.asarray(
        betaln(alpha + x + 1.0, beta + n - x + i - 1.0)
        - betaln(alpha, beta)
        + betaln(gamma, delta + n + i)
        - betaln(gamma, delta)
        - log_l
    )


def _columns(model: Any, frame: Any) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Return the distinct histories ``(x, t_x, n)`` as ``(patterns, 1)`` columns, the inverse."""
    source = pmf_source(model, frame, 0)
    return tuple(c[:, None] for c in source.columns), source.inverse


def _check_periods(m: int, what: str) -> None:
    if m > MAX_FUTURE_PERIODS:
        raise ParameterError(
            f"{what} = {m} opportunities exceeds the limit of {MAX_FUTURE_PERIODS} (one term "
            "per opportunity is summed). Use fewer, longer opportunities."
        )


def bgbb_next_purchase_cdf(model: Any, frame: Any, m: int) -> np.ndarray:
    """``P(next transaction within the next m opportunities)`` per row of ``frame``."""
    _check_periods(m, "t")
    (x, t_x, n), inverse = _columns(model, frame)
    theta = model.params_.to_numpy(dtype=np.float64)
    total = np.zeros(x.shape[0])
    step = max(1, _BLOCK // max(x.shape[0], 1))
    for first in range(1, m + 1, step):
        i = np.arange(first, min(first + step, m + 1), dtype=np.float64)[None, :]
        total += np.exp(log_next_purchase_pmf(theta, x, t_x, n, i)).sum(axis=1)
    return np.asarray(np.clip(total, 0.0, 1.0)[inverse])


def bgbb_next_purchase_quantile(
    model: Any, frame: Any, level: float, max_time: int | None, *, factor: float = 1e4
) -> np.ndarray:
    """Smallest ``m`` with ``P(next transaction within m) >= level`` (``inf`` past max_time).

    Each history walks the opportunities upwards in blocks and stops at its quantile; a
    history that has not reached ``level`` by ``max_time`` (default ``factor`` × the largest
    ``n``, at most `MAX_FUTURE_PERIODS`) gets ``inf``.
    """
    (x, t_x, n), inverse = _columns(model, frame)
    if max_time is None:
        max_time = int(min(factor * max(float(n.max(initial=1.0)), 1.0), MAX_FUTURE_PERIODS))
    _check_periods(max_time, "max_time")
    theta = model.params_.to_numpy(dtype=np.float64)
    out = np.full(x.shape[0], np.inf)
    active = np.arange(x.shape[0])
    cdf = np.zeros(x.shape[0])
    first, width = 1, 64
    while active.size and first <= max_time:
        last = min(first + width, max_time + 1)
        i = np.arange(first, last, dtype=np.float64)[None, :]
        terms = np.exp(log_next_purchase_pmf(theta, x[active], t_x[active], n[active], i))
        cum = cdf[active, None] + np.cumsum(terms, axis=1)
        hit = cum >= level
        found = hit.any(axis=1)
        out[active[found]] = first + np.argmax(hit[found], axis=1)
        cdf[active] = cum[:, -1]
        active = active[~found]
        first = last
        width = min(2 * width, max(64, _BLOCK // max(active.size, 1)))
    return np.asarray(out[inverse])
