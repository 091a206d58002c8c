"""Net Promoter Score with score, Wald, adjusted-Wald and bootstrap intervals; two-sample test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import special

from customer_models._validation import (
    as_generator,
    check_choice,
    check_number,
    check_random_state,
)
from customer_models.feedback._intervals import (
    NPS_SCORE_CC,
    nps_score_interval,
    score_interval_at_z,
    z_quantile,
)
from customer_models.feedback._result import NPSResult, NPSTestResult, sample_fields
from customer_models.feedback._scores import (
    MAX_BOOTSTRAP,
    check_confidence,
    clean_scores,
    kish_effective_n,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from customer_models.typing import RandomStateLike

__all__ = ["NPS_METHODS", "nps", "nps_interval", "nps_test", "z_quantile"]

NPSMethod = Literal["score_cc", "score", "adjusted_wald", "wald", "bootstrap"]
IntervalMethod = Literal["score_cc", "score", "adjusted_wald", "wald"]
#: Closed-form (vectorized) interval methods, the default first.
NPS_METHODS = ("score_cc", "score", "adjusted_wald", "wald")
TEST_METHODS = ("mover", "adjusted_wald", "wald")
NPS_SCALE = (0.0, 10.0, True)
#: Answers >= PROMOTER_MIN are promoters, answers <= DETRACTOR_MAX are detractors.
PROMOTER_MIN = 9.0
DETRACTOR_MAX = 6.0
#: Rocks (2016) pseudo-observations: 3/4 promoter, 3/2 passive, 3/4 detractor (3 in all).
ADJ_PROMOTERS = 0.75
ADJ_N = 3.0


def nps_interval(
    p_pro: np.ndarray | float,
    p_det: np.ndarray | float,
    n: np.ndarray | float,
    *,
    confidence: float,
    method: IntervalMethod,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized interval of the NPS on the −1..1 scale, one value per group.

    Parameters
    ----------
    p_pro, p_det : array of float
        Promoter and detractor shares.
    n : array of float
        Sample size (Kish effective n with weights).
    confidence : float
        Confidence level.
    method : {"score_cc", "score", "adjusted_wald", "wald"}
        ``"score_cc"`` / ``"score"``: Tango's score interval with / without continuity
        correction. ``"adjusted_wald"`` first adds 3/4 promoter, 3/4 detractor and 3/2
        passive pseudo-answers (3 in all) as in Rocks (2016). ``"wald"``: plain Wald.

    Returns
    -------
    se, low, high : ndarray
        Standard error and clipped interval, on −1..1 (NaN where ``n == 0``). For the score
        methods ``se`` is the plain Wald standard error of the observed shares.

    Examples
    --------
    >>> se, low, high = nps_interval(0.5, 1 / 6, 6, confidence=0.95, method="score")
    >>> round(float(low), 4), round(float(high), 4)
    (-0.3111, 0.754)
    """
    pro = np.asarray(p_pro, dtype=np.float64)
    det = np.asarray(p_det, dtype=np.float64)
    size = np.asarray(n, dtype=np.float64)
    if method in ("score", "score_cc"):
        cc = NPS_SCORE_CC if method == "score_cc" else 0.0
        low, high = nps_score_interval(size * pro, size * det, size, confidence=confidence, cc=cc)
        return _wald_se(pro, det, size), low, high
    if method == "adjusted_wald":
        pro = (size * pro + ADJ_PROMOTERS) / (size + ADJ_N)
        det = (size * det + ADJ_PROMOTERS) / (size + ADJ_N)
        size = size + ADJ_N
    center = pro - det
    se = _wald_se(pro, det, size)
    half = z_quantile(confidence) * se
    return se, np.clip(center - half, -1.0, 1.0), np.clip(center + half, -1.0, 1.0)


def _wald_se(p_pro: np.ndarray, p_det: np.ndarray, n: np.ndarray) -> np.ndarray:
    variance = np.maximum(p_pro + p_det - (p_pro - p_det) ** 2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.sqrt(variance / n))


def _shares(x: np.ndarray, w: np.ndarray | None) -> tuple[int, int, int, float, float, float]:
    is_pro = x >= PROMOTER_MIN
    is_det = x <= DETRACTOR_MAX
    n_pro, n_det = int(is_pro.sum()), int(is_det.sum())
    n_pas = x.size - n_pro - n_det
    if w is None:
        total = float(x.size)
        s_pro, s_pas, s_det = n_pro / total, n_pas / total, n_det / total
    else:
        total = float(w.sum())
        s_pro, s_det = float(w[is_pro].sum()) / total, float(w[is_det].sum()) / total
        s_pas = float(w[~is_pro & ~is_det].sum()) / total
    return n_pro, n_pas, n_det, s_pro, s_pas, s_det


def _bootstrap(
    x: np.ndarray,
    w: np.ndarray | None,
    shares: tuple[float, float, float],
    *,
    confidence: float,
    n_draws: int,
    random_state: RandomStateLike,
) -> tuple[float, float, float]:
    rng = as_generator(random_state)
    n = x.size
    if w is None:
        # Resampling n answers with replacement = one multinomial draw of the three counts.
        counts = rng.multinomial(n, np.asarray(shares), size=n_draws)
        stats = (counts[:, 0] - counts[:, 2]) / n
    else:
        value = np.where(x >= PROMOTER_MIN, 1.0, np.where(x <= DETRACTOR_MAX, -1.0, 0.0))
        wv, stats = w * value, np.empty(n_draws)
        chunk = max(1, min(n_draws, 5_000_000 // max(n, 1)))
        for start in range(0, n_draws, chunk):  # loop over replicate blocks, not answers
            size = min(chunk, n_draws - start)
            counts = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(np.float64)
            den = counts @ w
            with np.errstate(invalid="ignore", divide="ignore"):
                stats[start : start + size] = (counts @ wv) / den
        stats = stats[np.isfinite(stats)]
    alpha = 1.0 - confidence
    low, high = np.quantile(stats, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(np.std(stats, ddof=1)), float(low), float(high)


def nps(
    scores: ArrayLike,
    *,
    confidence: float = 0.95,
    method: NPSMethod = "score_cc",
    sample_weight: ArrayLike | None = None,
    dropna: bool = False,
    n_draws: int = 2000,
    random_state: RandomStateLike = None,
) -> NPSResult:
    r"""Compute the Net Promoter Score of 0-10 answers with a confidence interval.

    Parameters
    ----------
    scores : array-like of int
        Answers on the 0..10 scale (list, numpy array, pandas or polars Series). Answers
        9-10 are promoters, 7-8 passives, 0-6 detractors.
    confidence : float, default 0.95
        Confidence level of the interval.
    method : {"score_cc", "score", "adjusted_wald", "wald", "bootstrap"}, default "score_cc"
        How the interval is computed (see Notes). The default is the one whose worst-case
        coverage stays at or above nominal − 2 % over shares 0.01..0.99 and n = 10..10,000
        (table in the feedback docs).
    sample_weight : array-like of float, optional
        Non-negative survey weights, one per answer.
    dropna : bool, default False
        Missing answers raise :class:`~customer_models.exceptions.DataValidationError` unless
        ``dropna=True``, which drops them and reports how many in ``n_dropped``.
    n_draws : int, default 2000
        Bootstrap replicates (``method="bootstrap"`` only).
    random_state : int or numpy.random.Generator, optional
        Seed of the bootstrap.

    Returns
    -------
    NPSResult
        ``score``, ``se``, ``lower``, ``upper`` (−100..100), counts and shares of promoters,
        passives and detractors, ``n``, ``effective_n``, ``n_dropped``, ``method``,
        ``confidence``; ``to_dict()`` and ``to_series()``.

    Raises
    ------
    DataValidationError
        Missing answers (without ``dropna=True``), answers outside 0..10, non-integers; the
        message names the rule, the count and the first offending row labels.

    Notes
    -----
    With promoter and detractor shares :math:`p_P`, :math:`p_D`, the score is
    :math:`100\,(p_P - p_D)`. Scoring each answer +1 (promoter), 0 (passive) or −1
    (detractor), the score is 100 × their mean and the per-answer variance is

    .. math:: v = p_P + p_D - (p_P - p_D)^2 ,

    so ``"wald"`` uses :math:`\mathrm{se} = 100\sqrt{v / n}` and
    :math:`\text{score} \pm z\,\mathrm{se}`; it under-covers badly at small n and lopsided
    shares (it collapses to zero width when all answers are promoters).

    ``"score"`` is Tango's (1998) score interval, the NPS analogue of Wilson's: with
    :math:`b` promoters and :math:`c` detractors, it is every :math:`\Delta` with
    :math:`|b - c - n\Delta| \le z\sqrt{n\,(2\tilde q + \Delta(1 - \Delta))}`, where
    :math:`\tilde q` is the maximum-likelihood detractor share under
    :math:`p_P - p_D = \Delta` (a root of a quadratic). ``"score_cc"`` (default) subtracts a
    continuity correction of 3/4 from :math:`|b - c - n\Delta|`; without it the score
    interval dips to about 90 % coverage at n = 10 to 100 near shares of 0.01. Both ends are
    found by vectorized bisection; ``se`` is the plain Wald standard error.

    ``"adjusted_wald"`` (Rocks, 2016) first adds pseudo-answers, 3/4 promoter, 3/4 detractor
    and 3/2 passive: :math:`\tilde p_P = (n p_P + 3/4) / (n + 3)`,
    :math:`\tilde p_D = (n p_D + 3/4)/(n + 3)`, :math:`\tilde n = n + 3`, and builds the Wald
    interval around :math:`\tilde p_P - \tilde p_D` (``se`` is that adjusted standard error;
    ``score`` stays the observed NPS). Its worst case is 88 % at n = 10. ``"bootstrap"``
    resamples the answers (one multinomial draw of the three counts per replicate,
    vectorized; with weights the answers themselves are resampled) and returns the
    percentile interval; ``se`` is the standard deviation of the replicates. It collapses
    like the Wald interval on unanimous samples. Intervals are clipped to [−100, 100].

    With ``sample_weight``, shares are weighted and :math:`n` is replaced by Kish's effective sample
    size :math:`n_\text{eff} = (\sum w)^2 / \sum w^2`; counts stay numbers of answers.

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter score".
       *The American Statistician*, 70(4), 365-372. doi:10.1080/00031305.2016.1158124
    .. [2] Tango, T. (1998). Equivalence test and confidence interval for the difference in
       proportions for the paired-sample design. *Statistics in Medicine*, 17(8), 891-908.
    .. [3] Kish, L. (1965). *Survey Sampling*. Wiley.

    Examples
    --------
    >>> from customer_models.feedback import nps
    >>> result = nps([10, 9, 10, 7, 8, 3], method="wald")
    >>> result.score
    33.33...
    >>> result
    NPSResult(score=33.3, ci=[-26.3, 93.0] (95%, wald), n=6, promoters=3, passives=2, detractors=1)
    >>> round(result.se**2 * 6 / 100**2, 4)  # per-answer variance 1/2 + 1/6 - (1/3)**2 = 5/9
    0.5556
    >>> nps([10, 9, 10, 7, 8, 3])  # default: continuity-corrected score interval
    NPSResult(score=33.3, ci=[-41.5, 82.4] (95%, score_cc), n=6, promoters=3,
              passives=2, detractors=1)
    >>> nps([10, 9, 10, 7, 8, 3], method="adjusted_wald")
    NPSResult(score=33.3, ci=[-26.7, 71.2] (95%, adjusted_wald), n=6, promoters=3,
              passives=2, detractors=1)
    """
    confidence = check_confidence(confidence)
    check_choice(method, "method", [*NPS_METHODS, "bootstrap"])
    if method == "bootstrap":
        n_draws = check_number(n_draws, "n_draws", low=100, high=MAX_BOOTSTRAP, integer=True)
        check_random_state(random_state)
    x, w, n_dropped = clean_scores(scores, scale=NPS_SCALE, dropna=dropna, weights=sample_weight)
    n_pro, n_pas, n_det, s_pro, s_pas, s_det = _shares(x, w)
    n_eff = float(x.size) if w is None else kish_effective_n(w)
    if method == "bootstrap":
        se, low, high = _bootstrap(
            x,
            w,
            (s_pro, s_pas, s_det),
            confidence=confidence,
            n_draws=int(n_draws),
            random_state=random_state,
        )
    else:
        se_a, low_a, high_a = nps_interval(
            s_pro, s_det, n_eff, confidence=confidence, method=method
        )
        se, low, high = float(se_a), float(low_a), float(high_a)
    return NPSResult(
        score=100.0 * (s_pro - s_det),
        se=100.0 * se,
        lower=100.0 * low,
        upper=100.0 * high,
        promoters=n_pro,
        passives=n_pas,
        detractors=n_det,
        promoter_share=s_pro,
        passive_share=s_pas,
        detractor_share=s_det,
        **sample_fields(x, n_eff, n_dropped, method=method, confidence=confidence),
    )


def nps_test(
    a: ArrayLike,
    b: ArrayLike,
    *,
    confidence: float = 0.95,
    method: Literal["mover", "adjusted_wald", "wald"] = "mover",
    dropna: bool = False,
) -> NPSTestResult:
    r"""Compare the Net Promoter Scores of two independent samples (test and interval).

    Parameters
    ----------
    a, b : array-like of int
        0..10 answers of the two samples (e.g. two segments, two quarters with different
        respondents).
    confidence : float, default 0.95
        Confidence level of the interval of the difference.
    method : {"mover", "adjusted_wald", "wald"}, default "mover"
        ``"mover"`` combines the two samples' score intervals (see Notes); the Wald variants
        are z-tests; the plain Wald test rejects 10-37 % of true nulls at lopsided shares and
        unequal sizes such as 30 vs 300.
    dropna : bool, default False
        Drop missing answers (reported in the raised error otherwise).

    Returns
    -------
    NPSTestResult
        ``difference`` (``score_a - score_b``), ``se``, ``lower``, ``upper``, ``z``,
        ``p_value`` and both scores and sizes.

    Notes
    -----
    ``"mover"`` (default) is Newcombe's method of variance estimates recovery built on each
    sample's Tango score interval :math:`[l_a, u_a]`, :math:`[l_b, u_b]` (``method="score"``
    of :func:`nps`, no continuity correction): with estimates :math:`\hat\theta_a`,
    :math:`\hat\theta_b` and :math:`\hat d = \hat\theta_a - \hat\theta_b`,

    .. math:: L = \hat d - \sqrt{(\hat\theta_a - l_a)^2 + (u_b - \hat\theta_b)^2}, \quad
              U = \hat d + \sqrt{(u_a - \hat\theta_a)^2 + (\hat\theta_b - l_b)^2} .

    The test rejects H0 (equal NPS) at level :math:`1 - \text{confidence}` exactly when 0 is
    outside :math:`[L, U]`; ``p_value`` is the level at which 0 is an end of the interval
    (found by bisection on the normal quantile), ``z`` the matching normal quantile with the
    sign of :math:`\hat d`, and ``se`` the half-width of the interval over :math:`z`. Its
    false-positive rate stays at or below 5.5 % over the coverage grid of the feedback docs.

    ``"wald"`` / ``"adjusted_wald"``: with per-answer variances :math:`v_a, v_b` (see
    :func:`nps`; with Rocks' pseudo-answers for the adjusted version),
    :math:`\mathrm{se} = \sqrt{v_a / n_a + v_b / n_b}`, interval
    :math:`\hat d \pm z\,\mathrm{se}`, statistic :math:`z = \hat d / \mathrm{se}` and
    two-sided p-value :math:`2\,(1 - \Phi(|z|))`. With ``method="wald"`` this is the
    two-sample Wald test of R's ``NPS::nps.test``. The reported ``difference`` is always the
    observed ``score_a - score_b``. Do not use it for the same respondents measured twice
    (paired answers are not independent).

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference between
       independent proportions. *Statistics in Medicine*, 17(8), 873-890.
    .. [2] Tango, T. (1998). *Statistics in Medicine*, 17(8), 891-908.
    .. [3] Rocks, B. (2016). Interval estimation for the "net promoter score".
       *The American Statistician*, 70(4), 365-372.

    Examples
    --------
    >>> from customer_models.feedback import nps_test
    >>> test = nps_test([10] * 60 + [8] * 25 + [4] * 15, [10] * 40 + [8] * 30 + [4] * 30)
    >>> round(test.difference, 1)
    35.0
    >>> test.p_value < 0.01
    True
    """
    confidence = check_confidence(confidence)
    check_choice(method, "method", list(TEST_METHODS))
    counts = []
    for name, sample in (("a", a), ("b", b)):
        x, _, _ = clean_scores(sample, scale=NPS_SCALE, dropna=dropna, what=f"sample {name}")
        n_pro, _, n_det, _, _, _ = _shares(x, None)
        counts.append((float(n_pro), float(n_det), float(x.size)))
    (pro_a, det_a, n_a), (pro_b, det_b, n_b) = counts
    if method == "mover":
        _, se, low, high, z, p_value = _mover_test(counts[0], counts[1], confidence)
    else:
        _, se, low, high, z, p_value = _wald_test(counts[0], counts[1], confidence, method)
    score_a = 100.0 * (pro_a - det_a) / n_a
    score_b = 100.0 * (pro_b - det_b) / n_b
    return NPSTestResult(
        score_a=score_a,
        score_b=score_b,
        n_a=int(n_a),
        n_b=int(n_b),
        difference=score_a - score_b,
        se=100.0 * se,
        lower=100.0 * max(low, -2.0),
        upper=100.0 * min(high, 2.0),
        z=float(z),
        p_value=float(p_value),
        method=method,
        confidence=confidence,
    )


Counts = tuple[float, float, float]


def _wald_test(
    a: Counts, b: Counts, confidence: float, method: str
) -> tuple[float, float, float, float, float, float]:
    parts = []
    for n_pro, n_det, n in (a, b):
        if method == "adjusted_wald":
            s_pro, s_det, n_var = (
                (n_pro + ADJ_PROMOTERS) / (n + ADJ_N),
                (n_det + ADJ_PROMOTERS) / (n + ADJ_N),
                n + ADJ_N,
            )
        else:
            s_pro, s_det, n_var = n_pro / n, n_det / n, n
        center = s_pro - s_det
        parts.append((center, max(s_pro + s_det - center**2, 0.0) / n_var))
    (center_a, var_a), (center_b, var_b) = parts
    d_hat = center_a - center_b
    se = float(np.sqrt(var_a + var_b))
    half = z_quantile(confidence) * se
    if se > 0:
        z = d_hat / se
        p_value = float(2.0 * special.ndtr(-abs(z)))
    else:  # both samples unanimous under the plain Wald method
        z = 0.0 if d_hat == 0 else float(np.sign(d_hat) * np.inf)
        p_value = 1.0 if d_hat == 0 else 0.0
    return d_hat, se, d_hat - half, d_hat + half, z, p_value


def mover_bounds(a: Counts, b: Counts, z: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """MOVER interval of ``NPS_a − NPS_b`` (−2..2 scale) at normal quantile(s) ``z``."""
    theta_a, theta_b = (a[0] - a[1]) / a[2], (b[0] - b[1]) / b[2]
    low_a, high_a = score_interval_at_z(a[0], a[1], a[2], z)
    low_b, high_b = score_interval_at_z(b[0], b[1], b[2], z)
    d_hat = theta_a - theta_b
    low = d_hat - np.hypot(theta_a - low_a, high_b - theta_b)
    high = d_hat + np.hypot(high_a - theta_a, theta_b - low_b)
    return low, high


#: Beyond this normal quantile the p-value is below 1e-300 and reported as 0.
_Z_MAX = 37.5
#: The z at which the interval touches 0 is bracketed on a grid of this many points, refined
#: _ROUNDS times (64**5 steps over [0, _Z_MAX]: finer than 1e-7 in z).
_GRID, _ROUNDS = 64, 5


def _mover_test(
    a: Counts, b: Counts, confidence: float
) -> tuple[float, float, float, float, float, float]:
    z_conf = z_quantile(confidence)
    low_a, high_a = mover_bounds(a, b, z_conf)
    low, high = float(low_a), float(high_a)
    d_hat = (a[0] - a[1]) / a[2] - (b[0] - b[1]) / b[2]
    se = (high - low) / (2.0 * z_conf)
    if d_hat == 0.0:
        return d_hat, se, low, high, 0.0, 1.0
    # The interval widens with z: find the z at which its end nearer 0 touches 0, on a grid
    # of z values evaluated at once, refined around the crossing.
    z_lo, z_hi = 0.0, _Z_MAX
    for _ in range(_ROUNDS):
        grid = np.linspace(z_lo, z_hi, _GRID)
        ends = mover_bounds(a, b, grid)
        excludes = ends[0] > 0.0 if d_hat > 0 else ends[1] < 0.0
        if excludes[-1]:
            return d_hat, se, low, high, float(np.sign(d_hat) * _Z_MAX), 0.0
        first = int(np.argmin(excludes))  # first grid z whose interval contains 0
        z_lo, z_hi = grid[max(first - 1, 0)], grid[first]
    z_star = 0.5 * (z_lo + z_hi)
    return d_hat, se, low, high, float(np.sign(d_hat) * z_star), float(2.0 * special.ndtr(-z_star))
