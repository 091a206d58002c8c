"""Customer satisfaction (percent satisfied) with a Wilson score interval."""

from __future__ import annotations

from typing import Any

import numpy as np

from customer_models.exceptions import ParameterError
from customer_models.feedback._nps import z_quantile
from customer_models.feedback._result import CSATResult
from customer_models.feedback._scores import (
    check_confidence,
    check_scale,
    clean_scores,
    kish_effective_n,
)

__all__ = ["check_satisfied", "csat", "wilson_interval"]


def check_satisfied(satisfied: Any, low: float, high: float) -> tuple[float, float]:
    """Validate ``satisfied`` (a ``(low, high)`` range, or one threshold meaning ``>=``)."""
    if isinstance(satisfied, (int, float, np.integer, np.floating)) and not isinstance(
        satisfied, bool
    ):
        satisfied = (satisfied, high)
    try:
        if isinstance(satisfied, (str, bytes)) or any(
            isinstance(v, (str, bytes, bool, np.bool_)) for v in satisfied
        ):
            raise TypeError("not numbers")
        s_low, s_high = (float(v) for v in satisfied)
    except (TypeError, ValueError):
        raise ParameterError(
            "satisfied must be the (low, high) range of answers counted as satisfied, e.g. "
            f"(4, 5) for the top-two box of a 1-5 scale, or one threshold; got {satisfied!r}."
        ) from None
    if not (low <= s_low <= s_high <= high):
        raise ParameterError(
            f"satisfied={satisfied!r} must be a range inside the scale ({low:g}, {high:g}) "
            "with low <= high."
        )
    return s_low, s_high


def wilson_interval(
    p: np.ndarray | float, n: np.ndarray | float, *, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized Wilson score interval of a proportion (on 0..1).

    Examples
    --------
    >>> low, high = wilson_interval(0.5, 10, confidence=0.95)
    >>> round(float(low), 4), round(float(high), 4)
    (0.2366, 0.7634)
    """
    p = np.asarray(p, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = z_quantile(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2n = z * z / n
        center = (p + z2n / 2.0) / (1.0 + z2n)
        half = z / (1.0 + z2n) * np.sqrt(np.maximum(p * (1.0 - p) / n + z2n / (4.0 * n), 0.0))
    # The Wilson interval always contains p; min/max only remove rounding at p = 0 or 1.
    low = np.clip(np.minimum(center - half, p), 0.0, 1.0)
    high = np.clip(np.maximum(center + half, p), 0.0, 1.0)
    return low, high


def csat(
    scores: Any,
    *,
    scale: tuple[float, float] = (1, 5),
    satisfied: Any = (4, 5),
    confidence: float = 0.95,
    weights: Any = None,
    dropna: bool = False,
) -> CSATResult:
    r"""Compute customer satisfaction: percent of answers in the satisfied range, Wilson CI.

    Parameters
    ----------
    scores : array-like
        Answers on ``scale``.
    scale : (low, high), default (1, 5)
        The answer scale. Integer bounds make it an integer scale (answers must be whole).
    satisfied : (low, high) or number, default (4, 5)
        Inclusive range of answers counted as satisfied (the "top-two box" by default); a
        single number ``k`` means ``(k, scale high)``.
    confidence : float, default 0.95
        Confidence level of the interval.
    weights : array-like of float, optional
        Non-negative survey weights.
    dropna : bool, default False
        Drop missing answers and report how many in ``n_dropped`` (they raise otherwise).

    Returns
    -------
    CSATResult
        ``score`` (percent satisfied), ``se``, ``ci_low``, ``ci_high`` (percent), ``satisfied``
        (count), ``satisfied_share``, ``n``, ``effective_n``, ``n_dropped``, ``method``
        (``"wilson"``), ``confidence``.

    Notes
    -----
    With :math:`\hat p` the satisfied share, :math:`n` answers and
    :math:`z = \Phi^{-1}((1 + \text{confidence}) / 2)`, the Wilson (1927) score interval is

    .. math:: \frac{\hat p + z^2/(2n)}{1 + z^2/n} \pm \frac{z}{1 + z^2/n}
              \sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}} ,

    which, unlike the Wald interval, stays inside [0, 1] and keeps close to nominal
    coverage near 0 % and 100 % (Brown, Cai & DasGupta, 2001). ``se`` is the plain binomial
    standard error :math:`100\sqrt{\hat p(1-\hat p)/n}`. With weights, :math:`\hat p` is the
    weighted share and :math:`n` is Kish's effective sample size :math:`(\sum w)^2/\sum w^2`.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. *JASA*, 22(158), 209-212.
    .. [2] Brown, L. D., Cai, T. T., DasGupta, A. (2001). Interval estimation for a binomial
       proportion. *Statistical Science*, 16(2), 101-133.

    Examples
    --------
    >>> from customer_models.feedback import csat
    >>> result = csat([5, 4, 4, 3, 5, 2, 5, 4, 1, 5])
    >>> result
    CSATResult(score=70.0, ci=[39.7, 89.2] (95%, wilson), n=10, satisfied=7)
    """
    confidence = check_confidence(confidence)
    low, high, is_int = check_scale(scale)
    s_low, s_high = check_satisfied(satisfied, low, high)
    x, w, n_dropped = clean_scores(
        scores, scale=(low, high, is_int), dropna=dropna, weights=weights
    )
    is_sat = (x >= s_low) & (x <= s_high)
    count = int(is_sat.sum())
    if w is None:
        share, n_eff = count / x.size, float(x.size)
    else:
        share, n_eff = float(w[is_sat].sum() / w.sum()), kish_effective_n(w)
    ci_low, ci_high = wilson_interval(share, n_eff, confidence=confidence)
    return CSATResult(
        score=100.0 * share,
        se=100.0 * float(np.sqrt(share * (1.0 - share) / n_eff)),
        ci_low=100.0 * float(ci_low),
        ci_high=100.0 * float(ci_high),
        n=int(x.size),
        effective_n=n_eff,
        n_dropped=n_dropped,
        method="wilson",
        confidence=confidence,
        satisfied=count,
        satisfied_share=share,
    )
