"""Kernels of the adaptive stages: how long an active customer can stay silent.

Repeat buyers: if a customer who is still active buys as a Poisson process at any constant
rate, then given ``x`` repeat purchases in the ``T`` periods since the first one, the repeat
purchase times are ``x`` independent uniform times on ``(0, T]`` (whatever the rate). So the
chance of a silence at least this long is exactly ``(t_x / T) ** x`` (all ``x`` times before
``t_x = T - silence``), and the silence after which that chance falls below ``p`` is
``t_x * (p ** (-1 / x) - 1)``. Conditioning on ``x`` and ``T`` removes the unknown rate, so
the false-alarm rate is ``p`` for every history length, with no prior to estimate.

One-time buyers have no rhythm of their own. They are judged by the *repurchase window*: the
time within which a share ``1 - p`` of the customers who came back made their second
purchase. The summary does not hold that time, only ``t_x``; under the same Poisson reading
the first of ``x`` repeat times is ``t_x`` for ``x = 1`` and ``t_x`` times the minimum of
``x - 1`` uniforms for ``x >= 2``, so the distribution of the first return is the average of
``F_i(u) = 1 - (1 - u / t_x) ** (x - 1)`` (``1`` from ``u >= t_x``) over the repeat buyers.

Plain numpy on arrays, no pandas.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

__all__ = ["first_return_quantiles", "repeat_silence_threshold", "silence_probability"]


def repeat_silence_threshold(frequency: np.ndarray, recency: np.ndarray, p: float) -> np.ndarray:
    """Return the silence after which an active repeat buyer is that unlikely (``< p``).

    Parameters
    ----------
    frequency, recency : ndarray
        Repeat purchases ``x >= 1`` and first-to-last purchase time ``t_x > 0``.
    p : float
        Nominal false-alarm rate, in ``(0, 1)``.

    Returns
    -------
    ndarray
        ``t_x * (p ** (-1 / x) - 1)``, computed as ``t_x * expm1(-log(p) / x)``.

    Examples
    --------
    >>> repeat_silence_threshold(np.array([1.0, 10.0]), np.array([30.0, 300.0]), 0.05)
    array([570.       , 104.7848543])
    """
    return recency * np.expm1(-np.log(p) / frequency)


def silence_probability(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Return ``(t_x / T) ** x``: the chance an active customer is silent this long.

    Examples
    --------
    >>> silence_probability(np.array([2.0]), np.array([50.0]), np.array([100.0]))
    array([0.25])
    """
    with np.errstate(divide="ignore"):  # t_x = 0 -> log 0 = -inf -> probability 0
        return np.exp(frequency * (np.log(recency) - np.log(T)))


def _first_return_survival(
    u: float, sorted_recency: np.ndarray, sorted_frequency: np.ndarray
) -> float:
    """Share of repeat buyers whose first return is later than ``u`` (``1 - F(u)``).

    Only customers with ``t_x > u`` can return after ``u``; the arrays are sorted by ``t_x``
    so that is a suffix, short for the high quantiles a window needs. A one-time-returner
    (``x = 1``) in the suffix contributes ``(1 - u / t_x) ** 0 = 1``.
    """
    first = int(np.searchsorted(sorted_recency, u, side="right"))
    ratio = u / sorted_recency[first:]
    survival = np.exp((sorted_frequency[first:] - 1.0) * np.log1p(-ratio))
    return float(survival.sum()) / sorted_recency.size


def first_return_quantiles(frequency: np.ndarray, recency: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Return the ``q`` quantiles of the time from first to second purchase.

    Parameters
    ----------
    frequency, recency : ndarray
        Repeat buyers only: ``x >= 1``, ``t_x > 0``.
    q : ndarray
        Probabilities in ``(0, 1)``.

    Returns
    -------
    ndarray
        The root ``u`` of ``F(u) = q`` for each ``q``, ``F`` the mean of the customers'
        ``F_i`` (Brent's method; where ``F`` jumps over ``q`` at a customer's ``t_x``, that
        ``t_x``).

    Examples
    --------
    >>> first_return_quantiles(np.ones(4), np.array([10.0, 20, 30, 40]), np.array([0.6]))
    array([30.])
    """
    order = np.argsort(recency, kind="stable")
    sorted_recency = recency[order]
    sorted_frequency = frequency[order]
    top = float(sorted_recency[-1])  # F(top) = 1 >= q
    out = np.empty(len(q))
    for i, level in enumerate(q):  # a handful of levels, each a scalar root
        out[i] = optimize.brentq(
            lambda u, level=level: (
                1.0 - _first_return_survival(u, sorted_recency, sorted_frequency) - level
            ),
            0.0,
            top,
            xtol=1e-9 * top,
        )
    return out
