"""CSAT (Wilson) and CES (t interval) against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from customer_models.exceptions import ParameterError
from customer_models.feedback import CESResult, CSATResult, ces, csat


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (7, 10), (10, 10), (1, 1), (123, 400)])
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
@pytest.mark.parametrize(
    ("method", "scipy_method"),
    [("wilson", "wilson"), ("wilson_cc", "wilsoncc"), ("clopper_pearson", "exact")],
)
def test_csat_intervals_match_scipy(k, n, confidence, method, scipy_method):
    scores = [5] * k + [2] * (n - k)
    result = csat(scores, confidence=confidence, method=method)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method=scipy_method)
    assert result.score == pytest.approx(100 * k / n)
    assert result.lower == pytest.approx(100 * ci.low, abs=1e-9)
    assert result.upper == pytest.approx(100 * ci.high, abs=1e-9)
    assert result.se == pytest.approx(100 * np.sqrt(k / n * (1 - k / n) / n))
    assert result.satisfied == k
    assert result.method == method


def test_csat_default_is_wilson_cc():
    assert csat([5, 4, 1, 2, 5]).method == "wilson_cc"
    assert csat([5, 4, 1, 2, 5]) == csat([5, 4, 1, 2, 5], method="wilson_cc")


def test_csat_satisfied_range_and_threshold():
    scores = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    top3 = csat(scores, scale=(1, 10), satisfied=(8, 10))
    assert top3.satisfied == 3
    assert csat(scores, scale=(1, 10), satisfied=8) == top3
    assert csat(scores, scale=(1, 10), satisfied=(5, 6)).satisfied == 2


@pytest.mark.parametrize("satisfied", [(4, 6), (5, 4), "top2", (0, 5), None])
def test_csat_bad_satisfied(satisfied):
    with pytest.raises(ParameterError, match="satisfied"):
        csat([1, 5], satisfied=satisfied)


def test_csat_weighted_wilson_uses_kish_n():
    x = np.array([5, 4, 1, 2, 5, 3])
    w = np.array([1.0, 2.0, 1.0, 0.5, 3.0, 1.0])
    result = csat(x, sample_weight=w, method="wilson")
    p = (1 + 2 + 3) / w.sum()
    n_eff = w.sum() ** 2 / (w**2).sum()
    z = stats.norm.ppf(0.975)
    center = (p + z**2 / (2 * n_eff)) / (1 + z**2 / n_eff)
    half = z / (1 + z**2 / n_eff) * np.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2))
    assert result.score == pytest.approx(100 * p)
    assert result.effective_n == pytest.approx(n_eff)
    assert result.lower == pytest.approx(100 * (center - half))
    assert result.upper == pytest.approx(100 * (center + half))


@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_ces_t_interval_matches_scipy(confidence):
    rng = np.random.default_rng(0)
    x = rng.integers(1, 8, 40)
    result = ces(x, confidence=confidence, method="t")
    low, high = stats.t.interval(confidence, df=39, loc=x.mean(), scale=stats.sem(x))
    assert isinstance(result, CESResult)
    assert result.score == pytest.approx(x.mean())
    assert result.std == pytest.approx(x.std(ddof=1))
    assert result.se == pytest.approx(stats.sem(x))
    assert result.lower == pytest.approx(low)
    assert result.upper == pytest.approx(high)
    assert result.method == "t"


def test_ces_interval_clipped_to_scale():
    result = ces([7, 7, 7, 6], method="t")
    assert result.upper == 7.0
    assert result.lower < result.score


def test_ces_weighted():
    x = np.array([1.0, 4.0, 6.0, 7.0, 7.0])
    w = np.array([1.0, 2.0, 1.0, 3.0, 0.5])
    result = ces(x, sample_weight=w, method="t")
    mean = np.average(x, weights=w)
    n_eff = w.sum() ** 2 / (w**2).sum()
    var = np.average((x - mean) ** 2, weights=w) * n_eff / (n_eff - 1)
    se = np.sqrt(var / n_eff)
    t = stats.t.ppf(0.975, n_eff - 1)
    assert result.score == pytest.approx(mean)
    assert result.std == pytest.approx(np.sqrt(var))
    assert result.se == pytest.approx(se)
    assert result.lower == pytest.approx(max(mean - t * se, 1.0))
    assert result.upper == pytest.approx(min(mean + t * se, 7.0))


def test_ces_and_csat_results_share_core_fields_with_nps():
    from customer_models.feedback import nps

    core = {"score", "se", "lower", "upper", "n", "effective_n", "n_dropped", "method"}
    for result in (nps([1, 9]), csat([1, 5]), ces([1, 5])):
        assert core <= set(result.to_dict())
    assert isinstance(csat([4, 5]), CSATResult)
    assert repr(ces([1, 5])).startswith("CESResult(score=3.0")


def test_non_integer_scale_accepts_fractions():
    assert ces([1.5, 2.25, 3.0], scale=(1.0, 5.5)).score == pytest.approx(6.75 / 3)
