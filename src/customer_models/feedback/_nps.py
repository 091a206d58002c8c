"""Net Promoter Score with Wald, adjusted-Wald and bootstrap intervals; two-sample test."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy import special

from customer_models._validation import (
    as_generator,
    check_choice,
    check_number,
    check_random_state,
)
from customer_models.feedback._result import NPSResult, NPSTestResult
from customer_models.feedback._scores import (
    MAX_BOOTSTRAP,
    check_confidence,
    clean_scores,
    kish_effective_n,
)

__all__ = ["nps", "nps_interval", "nps_test"]

NPSMethod = Literal["wald", "adjusted_wald", "bootstrap"]
NPS_SCALE = (0.0, 10.0, True)
#: Answers >= PROMOTER_MIN are promoters, answers <= DETRACTOR_MAX are detractors.
PROMOTER_MIN = 9.0
DETRACTOR_MAX = 6.0
#: Rocks (2016) pseudo-observations: 3/4 promoter, 3/2 passive, 3/4 detractor (3 in all).
ADJ_PROMOTERS = 0.75
ADJ_N = 3.0


def z_quantile(confidence: float) -> float:
    """Two-sided standard-normal quantile ``Φ⁻¹((1 + confidence) / 2)``."""
    return float(special.ndtri(0.5 + confidence / 2.0))


def nps_interval(
    p_pro: np.ndarray | float,
    p_det: np.ndarray | float,
    n: np.ndarray | float,
    *,
    confidence: float,
    method: Literal["wald", "adjusted_wald"],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized Wald / adjusted-Wald interval of the NPS on the −1..1 scale.

    Parameters
    ----------
    p_pro, p_det : array of float
        Promoter and detractor shares.
    n : array of float
        Sample size (Kish effective n with weights).
    confidence : float
        Confidence level.
    method : {"wald", "adjusted_wald"}
        ``"adjusted_wald"`` first adds 3/4 promoter, 3/4 detractor and 3/2 passive
        pseudo-answers (3 in all) as in Rocks (2016).

    Returns
    -------
    se, low, high : ndarray
        Standard error and clipped interval, on −1..1 (NaN where ``n == 0``).
    """
    p_pro = np.asarray(p_pro, dtype=np.float64)
    p_det = np.asarray(p_det, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if method == "adjusted_wald":
        n_adj = n + ADJ_N
        p_pro = (n * p_pro + ADJ_PROMOTERS) / n_adj
        p_det = (n * p_det + ADJ_PROMOTERS) / n_adj
        n = n_adj
    center = p_pro - p_det
    variance = np.maximum(p_pro + p_det - center**2, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(variance / n)
    half = z_quantile(confidence) * se
    return se, np.clip(center - half, -1.0, 1.0), np.clip(center + half, -1.0, 1.0)


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
    n_bootstrap: int,
    random_state: Any,
) -> tuple[float, float, float]:
    rng = as_generator(random_state)
    n = x.size
    if w is None:
        # Resampling n answers with replacement = one multinomial draw of the three counts.
        counts = rng.multinomial(n, np.asarray(shares), size=n_bootstrap)
        stats = (counts[:, 0] - counts[:, 2]) / n
    else:
        value = np.where(x >= PROMOTER_MIN, 1.0, np.where(x <= DETRACTOR_MAX, -1.0, 0.0))
        wv, stats = w * value, np.empty(n_bootstrap)
        chunk = max(1, min(n_bootstrap, 5_000_000 // max(n, 1)))
        for start in range(0, n_bootstrap, chunk):  # loop over replicate blocks, not answers
            size = min(chunk, n_bootstrap - start)
            counts = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(np.float64)
            den = counts @ w
            with np.errstate(invalid="ignore", divide="ignore"):
                stats[start : start + size] = (counts @ wv) / den
        stats = stats[np.isfinite(stats)]
    alpha = 1.0 - confidence
    low, high = np.quantile(stats, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(np.std(stats, ddof=1)), float(low), float(high)


def nps(
    scores: Any,
    *,
    confidence: float = 0.95,
    method: NPSMethod = "adjusted_wald",
    weights: Any = None,
    dropna: bool = False,
    n_bootstrap: int = 2000,
    random_state: Any = None,
) -> NPSResult:
    r"""Compute the Net Promoter Score of 0-10 answers with a confidence interval.

    Parameters
    ----------
    scores : array-like of int
        Answers on the 0..10 scale (list, numpy array, pandas or polars Series). Answers
        9-10 are promoters, 7-8 passives, 0-6 detractors.
    confidence : float, default 0.95
        Confidence level of the interval.
    method : {"adjusted_wald", "wald", "bootstrap"}, default "adjusted_wald"
        How the interval is computed (see Notes).
    weights : array-like of float, optional
        Non-negative survey weights, one per answer.
    dropna : bool, default False
        Missing answers raise :class:`~customer_models.exceptions.DataValidationError` unless
        ``dropna=True``, which drops them and reports how many in ``n_dropped``.
    n_bootstrap : int, default 2000
        Bootstrap replicates (``method="bootstrap"`` only).
    random_state : int or numpy.random.Generator, optional
        Seed of the bootstrap.

    Returns
    -------
    NPSResult
        ``score``, ``se``, ``ci_low``, ``ci_high`` (−100..100), counts and shares of promoters,
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
    :math:`\text{score} \pm z\,\mathrm{se}`. ``"adjusted_wald"`` (Rocks, 2016) first adds
    pseudo-answers, 3/4 promoter, 3/4 detractor and 3/2 passive:
    :math:`\tilde p_P = (n p_P + 3/4) / (n + 3)`, :math:`\tilde p_D = (n p_D + 3/4)/(n + 3)`,
    :math:`\tilde n = n + 3`, and builds the Wald interval around
    :math:`\tilde p_P - \tilde p_D` with those values (``se`` is that adjusted standard
    error; ``score`` stays the observed NPS). Rocks found it to have coverage close to nominal
    and to behave well at small n and extreme shares, where the plain Wald interval collapses
    (e.g. all promoters gives a zero-width interval). ``"bootstrap"`` resamples the answers
    (one multinomial draw of the three counts per replicate, vectorized; with weights the
    answers themselves are resampled) and returns the percentile interval; ``se`` is the
    standard deviation of the replicates. Intervals are clipped to [−100, 100].

    With ``weights``, shares are weighted and :math:`n` is replaced by Kish's effective sample
    size :math:`n_\text{eff} = (\sum w)^2 / \sum w^2`; counts stay numbers of answers.

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter score".
       *The American Statistician*, 70(4), 365-372. doi:10.1080/00031305.2016.1158124
    .. [2] Kish, L. (1965). *Survey Sampling*. Wiley.

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
    >>> nps([10, 9, 10, 7, 8, 3])  # default: Rocks' adjusted Wald
    NPSResult(score=33.3, ci=[-26.7, 71.2] (95%, adjusted_wald), n=6, promoters=3,
              passives=2, detractors=1)
    """
    confidence = check_confidence(confidence)
    check_choice(method, "method", ["adjusted_wald", "wald", "bootstrap"])
    if method == "bootstrap":
        n_bootstrap = check_number(
            n_bootstrap, "n_bootstrap", low=100, high=MAX_BOOTSTRAP, integer=True
        )
        check_random_state(random_state)
    x, w, n_dropped = clean_scores(scores, scale=NPS_SCALE, dropna=dropna, weights=weights)
    n_pro, n_pas, n_det, s_pro, s_pas, s_det = _shares(x, w)
    n_eff = float(x.size) if w is None else kish_effective_n(w)
    if method == "bootstrap":
        se, low, high = _bootstrap(
            x,
            w,
            (s_pro, s_pas, s_det),
            confidence=confidence,
            n_bootstrap=int(n_bootstrap),
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
        ci_low=100.0 * low,
        ci_high=100.0 * high,
        n=int(x.size),
        effective_n=n_eff,
        n_dropped=n_dropped,
        method=method,
        confidence=confidence,
        promoters=n_pro,
        passives=n_pas,
        detractors=n_det,
        promoter_share=s_pro,
        passive_share=s_pas,
        detractor_share=s_det,
    )


def nps_test(
    a: Any,
    b: Any,
    *,
    confidence: float = 0.95,
    method: Literal["wald", "adjusted_wald"] = "adjusted_wald",
    dropna: bool = False,
) -> NPSTestResult:
    r"""Compare the Net Promoter Scores of two independent samples (z-test and interval).

    Parameters
    ----------
    a, b : array-like of int
        0..10 answers of the two samples (e.g. two segments, two quarters with different
        respondents).
    confidence : float, default 0.95
        Confidence level of the interval of the difference.
    method : {"adjusted_wald", "wald"}, default "adjusted_wald"
        Whether each sample's shares get Rocks' (2016) pseudo-answers before the variance is
        computed (see :func:`nps`).
    dropna : bool, default False
        Drop missing answers (reported in the raised error otherwise).

    Returns
    -------
    NPSTestResult
        ``difference`` (``score_a - score_b``), ``se``, ``ci_low``, ``ci_high``, ``z``,
        ``p_value`` and both scores and sizes.

    Notes
    -----
    With per-answer variances :math:`v_a, v_b` (see :func:`nps`) the two samples are
    independent, so the difference of their (adjusted) estimates
    :math:`\hat d = \tilde s_a - \tilde s_b` has standard error
    :math:`\sqrt{v_a / n_a + v_b / n_b}`. The interval is :math:`\hat d \pm z\,\mathrm{se}`
    and the test statistic :math:`z = \hat d / \mathrm{se}` gives the two-sided p-value
    :math:`2\,(1 - \Phi(|z|))`, so ``p_value < 1 - confidence`` exactly when the
    (unclipped) interval excludes 0. With ``method="wald"`` this is the two-sample Wald test
    of R's ``NPS::nps.test``; the adjusted version shrinks both estimates slightly toward 0,
    which keeps the test usable when a sample is all promoters or all detractors. The reported
    ``difference`` is the observed ``score_a - score_b``. Do not use it for the same
    respondents measured twice (paired answers are not independent).

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter score".
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
    check_choice(method, "method", ["adjusted_wald", "wald"])
    parts = []
    for name, sample in (("a", a), ("b", b)):
        x, _, _ = clean_scores(sample, scale=NPS_SCALE, dropna=dropna, what=f"sample {name}")
        n_pro, _, n_det, s_pro, _, s_det = _shares(x, None)
        n = float(x.size)
        if method == "adjusted_wald":
            s_pro = (n_pro + ADJ_PROMOTERS) / (n + ADJ_N)
            s_det = (n_det + ADJ_PROMOTERS) / (n + ADJ_N)
            n_var = n + ADJ_N
        else:
            n_var = n
        center = s_pro - s_det
        variance = max(s_pro + s_det - center**2, 0.0)
        parts.append((100.0 * (n_pro - n_det) / n, int(x.size), center, variance / n_var))
    (score_a, n_a, center_a, var_a), (score_b, n_b, center_b, var_b) = parts
    d_hat = center_a - center_b
    se = float(np.sqrt(var_a + var_b))
    half = z_quantile(confidence) * se
    if se > 0:
        z = d_hat / se
        p_value = float(2.0 * special.ndtr(-abs(z)))
    else:  # both samples unanimous under the plain Wald method
        z = 0.0 if d_hat == 0 else float(np.sign(d_hat) * np.inf)
        p_value = 1.0 if d_hat == 0 else 0.0
    return NPSTestResult(
        score_a=score_a,
        score_b=score_b,
        n_a=n_a,
        n_b=n_b,
        difference=score_a - score_b,
        se=100.0 * se,
        ci_low=100.0 * max(d_hat - half, -2.0),
        ci_high=100.0 * min(d_hat + half, 2.0),
        z=float(z),
        p_value=p_value,
        method=method,
        confidence=confidence,
    )
