"""NPS point estimates and intervals against hand computation, scipy and simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from customer_models.feedback import NPSResult, nps, nps_test
from customer_models.feedback._nps import nps_interval

Z95 = stats.norm.ppf(0.975)


def answers(promoters: int, passives: int, detractors: int) -> list[int]:
    return [10] * promoters + [8] * passives + [3] * detractors


def test_hand_values_half_third_sixth():
    # shares (1/2, 1/3, 1/6): NPS = 1/2 - 1/6 = 1/3, per-answer variance 1/2 + 1/6 - 1/9 = 5/9
    for scale in (1, 100):
        result = nps(answers(3 * scale, 2 * scale, 1 * scale), method="wald")
        n = 6 * scale
        assert result.score == pytest.approx(100 / 3)
        assert (result.se / 100) ** 2 * n == pytest.approx(5 / 9)
        assert result.lower == pytest.approx(100 / 3 - Z95 * 100 * math.sqrt(5 / 9 / n))
        assert result.upper == pytest.approx(100 / 3 + Z95 * 100 * math.sqrt(5 / 9 / n))
        assert (result.promoters, result.passives, result.detractors) == (
            3 * scale,
            2 * scale,
            scale,
        )
        assert result.promoter_share == pytest.approx(1 / 2)
        assert result.passive_share == pytest.approx(1 / 3)
        assert result.detractor_share == pytest.approx(1 / 6)
        assert result.n == n


def test_wald_se_equals_sd_of_trinomial_values():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 11, 500)
    values = np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0))
    result = nps(x, method="wald")
    assert result.score == pytest.approx(100 * values.mean())
    assert result.se == pytest.approx(100 * values.std(ddof=0) / math.sqrt(500))


def test_adjusted_wald_by_hand():
    # Rocks (2016): add 3/4 to promoters and to detractors and 3 to n
    result = nps(answers(3, 2, 1), confidence=0.9, method="adjusted_wald")
    p, d, n = (3 + 0.75) / 9, (1 + 0.75) / 9, 9
    center = p - d
    se = math.sqrt((p + d - center**2) / n)
    z = stats.norm.ppf(0.95)
    assert result.score == pytest.approx(100 / 3)  # the point estimate is not adjusted
    assert result.se == pytest.approx(100 * se)
    assert result.lower == pytest.approx(100 * (center - z * se))
    assert result.upper == pytest.approx(100 * (center + z * se))
    assert result.method == "adjusted_wald"
    assert result.confidence == 0.9


def test_unanimous_sample_wald_collapses_adjusted_does_not():
    wald = nps([10] * 20, method="wald")
    assert (wald.score, wald.lower, wald.upper, wald.se) == (100.0, 100.0, 100.0, 0.0)
    adjusted = nps([10] * 20, method="adjusted_wald")
    p, d = 20.75 / 23, 0.75 / 23
    expected_low = 100 * (p - d - Z95 * math.sqrt((p + d - (p - d) ** 2) / 23))
    assert adjusted.upper == 100.0  # clipped
    assert adjusted.lower == pytest.approx(expected_low)
    low = nps([0] * 20, method="adjusted_wald")
    assert low.lower == -100.0
    assert low.upper == pytest.approx(-expected_low)


def test_clipping_on_small_samples():
    for method in ("wald", "adjusted_wald", "score", "score_cc"):
        result = nps([10, 10, 9, 2], method=method)
        assert -100 <= result.lower <= result.upper <= 100


def test_bootstrap_seeded_and_close_to_wald_for_large_n():
    rng = np.random.default_rng(3)
    x = rng.choice(11, 3000, p=[0.04] * 7 + [0.13, 0.13, 0.23, 0.23])
    a = nps(x, method="bootstrap", random_state=0)
    b = nps(x, method="bootstrap", random_state=0)
    c = nps(x, method="bootstrap", random_state=1)
    assert a == b
    assert a.lower != c.lower
    wald = nps(x, method="wald")
    assert a.score == wald.score
    assert a.se == pytest.approx(wald.se, rel=0.1)
    assert a.lower == pytest.approx(wald.lower, abs=1.0)
    assert a.upper == pytest.approx(wald.upper, abs=1.0)


def test_weighted_bootstrap_matches_weighted_wald_roughly():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 11, 800)
    w = rng.uniform(0.5, 2.0, 800)
    boot = nps(x, sample_weight=w, method="bootstrap", n_draws=400, random_state=0)
    wald = nps(x, sample_weight=w, method="wald")
    assert boot.score == pytest.approx(wald.score)
    assert boot.se == pytest.approx(wald.se, rel=0.2)


def test_weights_use_weighted_shares_and_kish_n():
    x = [10, 10, 5, 8]
    w = np.array([1.0, 3.0, 2.0, 2.0])
    result = nps(x, sample_weight=w, method="wald")
    p, d = 4 / 8, 2 / 8
    n_eff = w.sum() ** 2 / (w**2).sum()
    assert result.effective_n == pytest.approx(n_eff)
    assert result.score == pytest.approx(100 * (p - d))
    assert result.se == pytest.approx(100 * math.sqrt((p + d - (p - d) ** 2) / n_eff))
    assert (result.promoters, result.passives, result.detractors, result.n) == (2, 1, 1, 4)
    assert result.passive_share == pytest.approx(2 / 8)


def test_frequency_weights_give_same_score_as_repeated_answers():
    x = np.array([10, 7, 2, 9])
    w = np.array([3, 1, 2, 5])
    assert nps(x, sample_weight=w).score == pytest.approx(nps(np.repeat(x, w)).score)


@pytest.mark.parametrize(
    "shares",
    [(0.5, 0.3, 0.2), (0.7, 0.2, 0.1), (0.3, 0.3, 0.4), (0.85, 0.1, 0.05), (0.05, 0.1, 0.85)],
)
@pytest.mark.parametrize("n", [30, 100])
def test_adjusted_wald_coverage_near_nominal(shares, n):
    rng = np.random.default_rng(2016)
    counts = rng.multinomial(n, shares, size=20_000)
    truth = shares[0] - shares[2]
    _, low, high = nps_interval(
        counts[:, 0] / n, counts[:, 2] / n, n, confidence=0.95, method="adjusted_wald"
    )
    coverage = np.mean((low <= truth) & (truth <= high))
    assert 0.93 <= coverage <= 0.975
    # the plain Wald interval under-covers at the extremes for n = 30; adjusted does better
    _, wl, wh = nps_interval(counts[:, 0] / n, counts[:, 2] / n, n, confidence=0.95, method="wald")
    wald_coverage = np.mean((wl <= truth) & (truth <= wh))
    assert abs(coverage - 0.95) <= abs(wald_coverage - 0.95) + 0.005


def test_public_nps_uses_the_kernel():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 11, 57)
    result = nps(x, confidence=0.8)
    assert result.method == "score_cc"
    se, low, high = nps_interval(
        result.promoter_share, result.detractor_share, 57, confidence=0.8, method="score_cc"
    )
    assert (result.se, result.lower, result.upper) == pytest.approx(
        (100 * se, 100 * low, 100 * high)
    )


def test_result_object_is_frozen_and_serializable():
    result = nps(answers(3, 2, 1), dropna=True)
    assert isinstance(result, NPSResult)
    with pytest.raises(AttributeError):
        result.score = 0  # type: ignore[misc]
    d = result.to_dict()
    assert d["metric"] == "nps"
    assert d["promoters"] == 3
    assert d["n_dropped"] == 0
    s = result.to_series()
    assert isinstance(s, pd.Series)
    assert s.name == "nps"
    assert s["score"] == pytest.approx(100 / 3)
    assert "NPSResult(score=33.3" in repr(result)
    assert "95%" in repr(result)


def test_nps_test_wald_against_hand_formula():
    a = answers(60, 25, 15)
    b = answers(40, 30, 30)
    test = nps_test(a, b, method="wald", confidence=0.9)
    va = 0.6 + 0.15 - 0.45**2
    vb = 0.4 + 0.3 - 0.1**2
    se = math.sqrt(va / 100 + vb / 100)
    z = 0.35 / se
    assert test.difference == pytest.approx(35.0)
    assert test.score_a == pytest.approx(45.0)
    assert test.score_b == pytest.approx(10.0)
    assert test.se == pytest.approx(100 * se)
    assert test.z == pytest.approx(z)
    assert test.p_value == pytest.approx(2 * stats.norm.sf(z))
    zq = stats.norm.ppf(0.95)
    assert test.lower == pytest.approx(100 * (0.35 - zq * se))
    assert test.upper == pytest.approx(100 * (0.35 + zq * se))
    assert "NPSTestResult(difference=35.0" in repr(test)
    assert test.to_series()["n_a"] == 100


def test_nps_test_adjusted_by_hand_and_symmetry():
    a, b = answers(12, 5, 3), answers(6, 8, 6)
    test = nps_test(a, b, method="adjusted_wald")
    pa, da = (12.75) / 23, (3.75) / 23
    pb, db = (6.75) / 23, (6.75) / 23
    d_hat = (pa - da) - (pb - db)
    se = math.sqrt((pa + da - (pa - da) ** 2) / 23 + (pb + db - (pb - db) ** 2) / 23)
    assert test.se == pytest.approx(100 * se)
    assert test.z == pytest.approx(d_hat / se)
    assert test.lower == pytest.approx(100 * (d_hat - Z95 * se))
    reverse = nps_test(b, a, method="adjusted_wald")
    assert reverse.difference == pytest.approx(-test.difference)
    assert reverse.p_value == pytest.approx(test.p_value)


def test_nps_test_identical_and_unanimous_samples():
    same = nps_test(answers(5, 5, 5), answers(5, 5, 5))
    assert same.difference == 0
    assert same.p_value == pytest.approx(1.0)
    both_top = nps_test([10] * 5, [10] * 7, method="wald")
    assert (both_top.p_value, both_top.z) == (1.0, 0.0)
    apart = nps_test([10] * 5, [0] * 7, method="wald")
    assert apart.p_value == 0.0
    assert nps_test([10] * 5, [0] * 7, method="adjusted_wald").p_value < 1e-4
    assert nps_test([10] * 5, [0] * 7).p_value < 1e-3  # the MOVER default
    assert nps_test([10] * 5, [10] * 7).p_value == 1.0
