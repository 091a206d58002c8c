"""Vectorized interval kernels of the feedback metrics (one value per group, no Python loops).

* :func:`binomial_interval`: a share (CSAT): Wilson, Wilson with continuity correction,
  Jeffreys, Clopper-Pearson.
* :func:`nps_score_interval`: the difference of two shares of one trinomial (NPS): Tango's
  (1998) score interval, optionally continuity-corrected, inverted by bisection.
* :func:`adjusted_t_interval`: the mean of a bounded scale (CES) with pseudo-answers at both
  ends of the scale.

Counts may be fractional (weighted shares times Kish's effective n). The defaults of the
public functions were chosen by the coverage table of ``benchmarks/bench_feedback_coverage.py``
(see ``docs/feedback.md``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = [
    "BINOMIAL_METHODS",
    "CES_PSEUDO",
    "NPS_SCORE_CC",
    "adjusted_t_interval",
    "binomial_interval",
    "nps_score_interval",
    "score_interval_at_z",
    "tango_z",
    "z_quantile",
]

BINOMIAL_METHODS = ("wilson_cc", "wilson", "jeffreys", "clopper_pearson")
#: Continuity correction of the NPS score interval, on the scale of promoters − detractors.
#: Half a lattice step is 1/2 when an answer moves to or from passive and 1 when it moves
#: between promoter and detractor; 3/4 is the smallest of 1/2, 3/4, 1 whose worst-case coverage
#: stays >= 93 % from n = 10 (bench_feedback_coverage.py).
NPS_SCORE_CC = 0.75
#: Pseudo-answers added at each end of the CES scale (as Rocks' 3/4 for NPS).
CES_PSEUDO = 0.75
#: Bisection steps: the bracket [−1, 1] shrinks to 2⁻⁶⁰, below float64 resolution.
_BISECTIONS = 60


def z_quantile(confidence: float) -> float:
    """Two-sided standard-normal quantile ``Φ⁻¹((1 + confidence) / 2)``."""
    return float(special.ndtri(0.5 + confidence / 2.0))


def binomial_interval(
    x: np.ndarray | float,
    n: np.ndarray | float,
    *,
    confidence: float,
    method: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorized interval of a binomial share on 0..1 (NaN where ``n == 0``).

    Parameters
    ----------
    x, n : array of float
        Successes and trials (fractional with weights: share × effective n).
    confidence : float
        Confidence level.
    method : {"wilson_cc", "wilson", "jeffreys", "clopper_pearson"}
        See :func:`customer_models.feedback.csat`.

    Returns
    -------
    low, high : ndarray

    Examples
    --------
    >>> low, high = binomial_interval(3.0, 10.0, confidence=0.95, method="wilson_cc")
    >>> round(float(low), 4), round(float(high), 4)
    (0.0809, 0.6463)
    >>> low, high = binomial_interval(0.0, 10.0, confidence=0.95, method="clopper_pearson")
    >>> float(low), round(float(high), 4)
    (0.0, 0.3085)
    """
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    alpha = 1.0 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        if method in ("wilson", "wilson_cc"):
            low, high = _wilson(p, n, z_quantile(confidence), cc=method == "wilson_cc")
        elif method == "jeffreys":
            low = special.betaincinv(x + 0.5, n - x + 0.5, alpha / 2.0)
            high = special.betaincinv(x + 0.5, n - x + 0.5, 1.0 - alpha / 2.0)
        else:  # clopper_pearson; the tiny floor keeps betaincinv defined where x = 0 or n
            low = special.betaincinv(np.maximum(x, 1e-300), n - x + 1.0, alpha / 2.0)
            high = special.betaincinv(x + 1.0, np.maximum(n - x, 1e-300), 1.0 - alpha / 2.0)
    # No interval excludes the observed share; at x = 0 (x = n) the bound is 0 (1) exactly.
    low = np.where(x <= 0.0, 0.0, np.clip(np.minimum(low, p), 0.0, 1.0))
    high = np.where(x >= n, 1.0, np.clip(np.maximum(high, p), 0.0, 1.0))
    empty = ~(n > 0)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def _wilson(p: np.ndarray, n: np.ndarray, z: float, *, cc: bool) -> tuple[np.ndarray, np.ndarray]:
    if not cc:
        z2n = z * z / n
        center = (p + z2n / 2.0) / (1.0 + z2n)
        half = z / (1.0 + z2n) * np.sqrt(np.maximum(p * (1.0 - p) / n + z2n / (4.0 * n), 0.0))
        return center - half, center + half
    # Newcombe (1998), method 4: Wilson's score interval with Yates' correction.
    z2, denom = z * z, 2.0 * (n + z * z)
    root_low = np.sqrt(np.maximum(z2 - 2.0 - 1.0 / n + 4.0 * p * (n * (1.0 - p) + 1.0), 0.0))
    root_high = np.sqrt(np.maximum(z2 + 2.0 - 1.0 / n + 4.0 * p * (n * (1.0 - p) - 1.0), 0.0))
    low = (2.0 * n * p + z2 - 1.0 - z * root_low) / denom
    high = (2.0 * n * p + z2 + 1.0 + z * root_high) / denom
    return low, high


def tango_z(
    pro: np.ndarray, det: np.ndarray, n: np.ndarray, delta: np.ndarray, cc: float = 0.0
) -> np.ndarray:
    """Tango's score statistic of H0: NPS share difference = ``delta`` (vectorized).

    ``pro`` and ``det`` are promoter and detractor counts of ``n`` answers. The detractor
    share is profiled out by its restricted maximum-likelihood estimate (the root of a
    quadratic), so the variance is evaluated under H0 as in Wilson's interval.
    """
    a = 2.0 * n
    b = -pro - det + (2.0 * n - pro + det) * delta
    c = -det * delta * (1.0 - delta)
    q = (np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0)) - b) / (2.0 * a)
    variance = np.maximum(n * (2.0 * q + delta * (1.0 - delta)), 1e-300)
    excess = pro - det - n * delta
    excess = np.sign(excess) * np.maximum(np.abs(excess) - cc, 0.0)
    return np.asarray(excess / np.sqrt(variance))


def nps_score_interval(
    pro: np.ndarray | float,
    det: np.ndarray | float,
    n: np.ndarray | float,
    *,
    confidence: float,
    cc: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Score interval of promoter share − detractor share on −1..1 (NaN where ``n == 0``).

    The interval is every ``delta`` with ``|tango_z(delta)| <= z`` (Tango, 1998); both ends are
    found by bisection, all groups at once. ``cc`` subtracts a continuity correction from
    ``|pro - det - n delta|``.

    Examples
    --------
    >>> low, high = nps_score_interval(3.0, 1.0, 6.0, confidence=0.95)
    >>> round(float(low), 4), round(float(high), 4)
    (-0.3111, 0.754)
    >>> low, high = nps_score_interval(20.0, 0.0, 20.0, confidence=0.95)  # all promoters
    >>> round(float(low), 4), float(high)
    (0.6777, 1.0)
    """
    pro = np.asarray(pro, dtype=np.float64)
    det = np.asarray(det, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    return score_interval_at_z(pro, det, n, z_quantile(confidence), cc=cc)


def score_interval_at_z(
    pro: np.ndarray | float,
    det: np.ndarray | float,
    n: np.ndarray | float,
    z: np.ndarray | float,
    *,
    cc: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nps_score_interval` at normal quantile(s) ``z`` (broadcast with the counts)."""
    pro, det, n, z = np.broadcast_arrays(
        np.asarray(pro, dtype=np.float64),
        np.asarray(det, dtype=np.float64),
        np.asarray(n, dtype=np.float64),
        np.asarray(z, dtype=np.float64),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = np.where(n > 0, (pro - det) / n, 0.0)
        low = _bisect(lambda d: tango_z(pro, det, n, d, cc) > z, -np.ones_like(n), estimate)
        high = _bisect(lambda d: tango_z(pro, det, n, d, cc) >= -z, estimate, np.ones_like(n))
    empty = ~(n > 0)
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def _bisect(below_root: object, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Last point of [lo, hi] where the monotone predicate ``below_root`` still holds."""
    lo, hi = lo.copy(), hi.copy()
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        go_right = below_root(mid)  # type: ignore[operator]
        lo = np.where(go_right, mid, lo)
        hi = np.where(go_right, hi, mid)
    return np.asarray(0.5 * (lo + hi))


def adjusted_t_interval(
    mean: np.ndarray | float,
    var_ml: np.ndarray | float,
    n: np.ndarray | float,
    *,
    scale: tuple[float, float],
    confidence: float,
    pseudo: float = CES_PSEUDO,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Student-t interval of a bounded-scale mean after ``pseudo`` answers at each end of the scale.

    Parameters
    ----------
    mean, var_ml : array of float
        Mean and maximum-likelihood (divide by n) variance of the answers.
    n : array of float
        Number of answers (Kish effective n with weights); the t quantile has ``n - 1``
        degrees of freedom.
    scale : (low, high)
        The answer scale.
    confidence : float
        Confidence level.
    pseudo : float, default 0.75
        Pseudo-answers added at ``low`` and at ``high``.

    Returns
    -------
    se, low, high : ndarray
        Standard error of the adjusted mean and the interval clipped to the scale (NaN where
        ``n <= 1``).

    Examples
    --------
    >>> se, low, high = adjusted_t_interval(7.0, 0.0, 10.0, scale=(1, 7), confidence=0.95)
    >>> round(float(low), 3), float(high)  # ten answers of 7 leave room below
    (5.574, 7.0)
    """
    mean = np.asarray(mean, dtype=np.float64)
    var_ml = np.asarray(var_ml, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    bottom, top = float(scale[0]), float(scale[1])
    mid, half_range = 0.5 * (bottom + top), 0.5 * (top - bottom)
    centred = mean - mid  # the pseudo-answers sit at ±half_range around the midpoint
    total = n + 2.0 * pseudo
    with np.errstate(divide="ignore", invalid="ignore"):
        adj_mean = n * centred / total
        second = (n * (var_ml + centred**2) + 2.0 * pseudo * half_range**2) / total
        var = np.maximum(second - adj_mean**2, 0.0) * total / (total - 1.0)
        se = np.sqrt(var / total)
        t = special.stdtrit(np.where(n > 1.0, n - 1.0, np.nan), 0.5 + confidence / 2.0)
    low = np.clip(adj_mean - t * se, -half_range, half_range) + mid
    high = np.clip(adj_mean + t * se, -half_range, half_range) + mid
    return np.asarray(se), np.asarray(low), np.asarray(high)
