"""Invariants of the discrete and spend models' predictions, over the whole parameter space.

Property tests (hypothesis; parameters log-uniform over 1e-3..1e3, histories with up to 1e4
opportunities): the BG/BB purchase-count pmf sums to 1, expected purchases are finite, >= 0
and non-decreasing in t, P(alive) is in [0, 1]; the sBG survival curve is in [0, 1] and
non-increasing, DERL is finite and positive; the Gamma-Gamma expected spend lies between the
customer's own mean and the population mean; the discrete CLV of BG/BB is finite and >= 0 for
non-negative margins (a decreasing expectation would raise, nothing is clipped). Under
``HYPOTHESIS_PROFILE=rotating`` these get a larger budget and a per-commit seed (see
tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    _bgbb,
    _gamma_gamma,
    _sbg,
    customer_lifetime_value,
)

log_param = st.floats(-3.0, 3.0).map(lambda e: float(10.0**e))
params4 = st.tuples(log_param, log_param, log_param, log_param)
periods = st.integers(0, 10_000)


@st.composite
def bgbb_histories(draw: st.DrawFn) -> tuple[float, float, float]:
    """(x, t_x, n): 0 <= x <= t_x <= n, t_x = 0 when x = 0."""
    n = draw(periods)
    t_x = draw(st.integers(0, n))
    x = draw(st.integers(0, t_x)) if t_x > 0 else 0
    if x == 0:
        t_x = 0
    return float(x), float(t_x), float(n)


def _columns(hist: tuple[float, float, float]) -> tuple[np.ndarray, ...]:
    return tuple(np.array([v]) for v in hist)


@settings(deadline=None)
@given(params4, bgbb_histories(), st.integers(0, 60))
@example((1e-3, 1e-3, 1e-3, 1.0), (1e4, 1e4, 1e4), 1)  # P(0) = 2e-7 once came from 1 - P(alive)
@example((1e3, 1e-3, 1e3, 1e-3), (0.0, 0.0, 1e4), 60)
def test_bgbb_pmf_sums_to_one(
    params: tuple[float, ...], hist: tuple[float, float, float], t: int
) -> None:
    x, t_x, n = _columns(hist)
    k = np.arange(t + 1.0)
    p = _bgbb.probability_of_purchases_kernel(np.array(params), x, t_x, n, t, k)
    assert np.all(np.isfinite(p))
    assert np.all((p >= 0.0) & (p <= 1.0))
    assert abs(float(p.sum()) - 1.0) <= 1e-9, float(p.sum())
    # its mean is the expected number of purchases
    mean = float((k * p).sum())
    expected = float(_bgbb.expected_purchases_kernel(np.array(params), x, t_x, n, t)[0])
    assert abs(mean - expected) <= 1e-8 * max(expected, 1e-300) + 1e-12 * t, (mean, expected)


@settings(deadline=None)
@given(params4, bgbb_histories(), periods, periods)
@example((1e-3, 1e3, 1e-3, 1e3), (0.0, 0.0, 1e4), 1, 10_000)  # overflowed to inf * 0 once
def test_bgbb_expectation_finite_non_negative_and_grows(
    params: tuple[float, ...], hist: tuple[float, float, float], t1: int, t2: int
) -> None:
    x, t_x, n = _columns(hist)
    lo, hi = sorted((t1, t2))
    e = _bgbb.expected_purchases_kernel(np.array(params), x, t_x, n, np.array([[lo], [hi]]))
    e = np.asarray(e).ravel()
    assert np.all(np.isfinite(e)), e
    assert e[0] >= 0.0
    assert e[1] >= e[0] * (1.0 - 1e-12), e
    new = _bgbb.expected_purchases_new_customer_kernel(np.array(params), np.array([lo, hi]))
    assert np.all(np.isfinite(new))
    assert new[0] >= 0.0
    assert new[1] >= new[0] * (1.0 - 1e-12)
    assert e[1] <= hi * (1.0 + 1e-12)
    assert new[1] <= hi * (1.0 + 1e-12)


@settings(deadline=None)
@given(params4, bgbb_histories(), st.integers(0, 10_000))
def test_bgbb_probability_alive_in_unit_interval_and_falls_ahead(
    params: tuple[float, ...], hist: tuple[float, float, float], ahead: int
) -> None:
    x, t_x, n = _columns(hist)
    p = np.array(
        [_bgbb.probability_alive_kernel(np.array(params), x, t_x, n, m)[0] for m in (0, ahead)]
    )
    assert np.all(np.isfinite(p))
    assert np.all((p >= 0.0) & (p <= 1.0)), p
    assert p[1] <= p[0] * (1.0 + 1e-12), p


@settings(deadline=None)
@given(st.tuples(log_param, log_param), st.lists(periods, min_size=1, max_size=20))
def test_sbg_survival_in_unit_interval_and_non_increasing(
    params: tuple[float, float], times: list[int]
) -> None:
    t = np.sort(np.array(times, dtype=float))
    s = _sbg.survival_kernel(np.array(params), t)
    assert np.all(np.isfinite(s))
    assert np.all((s >= 0.0) & (s <= 1.0)), s
    assert np.all(np.diff(s) <= 0.0), s
    r = _sbg.retention_rate_kernel(np.array(params), t + 1.0)
    assert np.all((r > 0.0) & (r < 1.0))
    assert np.all(np.diff(r) >= 0.0)


@settings(deadline=None)
@given(
    st.tuples(log_param, log_param),
    st.lists(periods, min_size=1, max_size=20),
    st.floats(-3.0, 1.0).map(lambda e: float(10.0**e)),
)
@example((1.0, 1e3), [10_000, 0], 1e-3)  # integer alpha, large b + s, x = 1/(1+d) near 1
@example((2.0, 1e-3), [0, 5_000, 10_000], 1e-3)
def test_sbg_derl_finite_positive_and_grows_with_tenure(
    params: tuple[float, float], survived: list[int], rate: float
) -> None:
    """DERL grows with tenure (the survivors are the loyal), up to 1/d + 1 (no churn)."""
    s = np.sort(np.array(survived, dtype=float))
    derl = _sbg.discounted_expected_residual_lifetime_kernel(np.array(params), s, rate)
    assert np.all(np.isfinite(derl)), derl
    assert np.all(derl > 0.0), derl
    assert np.all(np.diff(derl) >= -1e-12 * derl[1:]), derl
    assert np.all(derl <= (1.0 + rate) / rate * (1.0 + 1e-12)), derl
    life = _sbg.discounted_expected_lifetime_kernel(np.array(params), rate)
    assert np.isfinite(life)
    assert 1.0 <= life <= (1.0 + rate) / rate * (1.0 + 1e-12)


@settings(deadline=None)
@given(
    st.tuples(log_param, st.floats(0.0, 3.0).map(lambda e: 1.0 + float(10.0**e) / 1e3), log_param),
    st.integers(1, 10_000),
    st.floats(-3.0, 4.0).map(lambda e: float(10.0**e)),
)
def test_gamma_gamma_spend_between_own_and_population_mean(
    params: tuple[float, float, float], x: int, m: float
) -> None:
    """q > 1 (a finite population mean): the estimate is a weighted average of the two."""
    spend = float(_gamma_gamma.expected_spend_kernel(np.array(params), [float(x)], [m])[0])
    population = _gamma_gamma.population_mean_spend_kernel(np.array(params))
    assert np.isfinite(spend)
    assert spend > 0.0
    lo, hi = sorted((m, population))
    assert lo * (1.0 - 1e-12) <= spend <= hi * (1.0 + 1e-12), (spend, m, population)


@settings(deadline=None, max_examples=25)
@given(params4, st.integers(1, 200), st.floats(0.0, 0.5))
def test_bgbb_discrete_clv_finite_and_non_negative(
    params: tuple[float, ...], horizon: int, rate: float
) -> None:
    """Without clipping: a decreasing E[X(t)] would raise CustomerModelsError."""
    model = BetaGeoBetaBinomModel.from_params(
        time_unit="Y", **dict(zip(BetaGeoBetaBinomModel.param_names, params, strict=True))
    )
    data = pd.DataFrame(
        {
            "frequency": [0.0, 3.0, 50.0, 1e4, 0.0],
            "recency": [0.0, 5.0, 100.0, 1e4, 0.0],
            "n_periods": [0.0, 6.0, 1e4, 1e4, 1e4],
            "monetary_value": [20.0, 50.0, 10.0, 1.0, 5.0],
        }
    )
    data.attrs["time_unit"] = "Y"
    clv = customer_lifetime_value(
        model, None, data, horizon=horizon, horizon_unit="Y", discount_rate=rate
    )
    assert np.all(np.isfinite(clv)), clv
    assert np.all(clv >= 0.0), clv
    # at most one purchase per opportunity, each worth the customer's monetary value
    assert np.all(clv <= data["monetary_value"] * horizon * (1.0 + 1e-12))
