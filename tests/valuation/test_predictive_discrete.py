"""BG/BB: the number of opportunities until the next transaction (next_purchase_cdf/quantile).

Independent checks: the CDF against the pmf identity ``1 - P(X(n, n+m) = 0)`` (the model's
own count pmf, eq. 12 of Fader, Hardie & Shang 2010, a different sum), against an mpmath
double integral over the posterior of (p, θ), and against a seeded simulation of BG/BB's
generative process (at each opportunity a living customer first survives w.p. 1 - θ, then
transacts w.p. p).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from test_predictive import BGBB, _within, simulate_bgbb

import customer_models as cm
from customer_models.exceptions import CustomerModelsError
from customer_models.valuation import BetaGeoBetaBinomModel


def _model():
    return BetaGeoBetaBinomModel.from_params(**BGBB)


def _histories():
    rows = [(x, t_x, n) for n in (1, 6, 11) for x in range(n + 1) for t_x in (x, n) if t_x <= n]
    rows = [(x, t_x if x > 0 else 0, n) for x, t_x, n in rows]
    return pd.DataFrame(rows, columns=["frequency", "recency", "n_periods"]).astype(float)


@pytest.mark.parametrize("m", [0, 1, 2, 7, 40, 300])
def test_cdf_is_one_minus_no_purchase_pmf(m):
    model, data = _model(), _histories()
    cdf = cm.next_purchase_cdf(model, data, t=m).to_numpy()
    p0 = model.probability_of_purchases(data, n=0, t=m).to_numpy()
    np.testing.assert_allclose(cdf, 1.0 - p0, rtol=0, atol=1e-13)


def test_fitted_donations_cdf_is_one_minus_no_purchase_pmf():
    data = cm.load_donations()
    model = BetaGeoBetaBinomModel().fit(data, sample_weight="weight")
    for m in (1, 5, 25):
        cdf = cm.next_purchase_cdf(model, data, t=m).to_numpy()
        p0 = model.probability_of_purchases(data, n=0, t=m).to_numpy()
        np.testing.assert_allclose(cdf, 1.0 - p0, rtol=0, atol=1e-13)


def _cdf_mpmath(x, t_x, n, m):
    """P(J <= m) by mpmath: P(alive at n) × E[Σ_i (1-θ)^i (1-p)^(i-1) p] over the posterior."""
    mp.mp.dps = 30
    a, b, g, d = (mp.mpf(BGBB[k]) for k in ("alpha", "beta", "gamma", "delta"))

    def lik(p, th):  # the history's likelihood given (p, θ): alive through n, or died after t_x
        alive = p**x * (1 - p) ** (n - x) * (1 - th) ** n
        died = sum(
            p**x * (1 - p) ** (t_x - x + i) * th * (1 - th) ** (t_x + i) for i in range(n - t_x)
        )
        return alive, alive + died

    def prior(p, th):
        return p ** (a - 1) * (1 - p) ** (b - 1) * th ** (g - 1) * (1 - th) ** (d - 1)

    def after(p, th):
        c = (1 - th) * (1 - p)
        return (1 - th) * p * (1 - c**m) / (1 - c)

    num = mp.quad(lambda p, th: prior(p, th) * lik(p, th)[0] * after(p, th), [0, 1], [0, 1])
    den = mp.quad(lambda p, th: prior(p, th) * lik(p, th)[1], [0, 1], [0, 1])
    return float(num / den)


@pytest.mark.parametrize(("x", "t_x", "n", "m"), [(0, 0, 6, 3), (3, 5, 6, 1), (6, 6, 6, 10)])
def test_cdf_against_mpmath(x, t_x, n, m):
    data = pd.DataFrame({"frequency": [x], "recency": [t_x], "n_periods": [n]}).astype(float)
    got = float(cm.next_purchase_cdf(_model(), data, t=m).iloc[0])
    assert got == pytest.approx(_cdf_mpmath(x, t_x, n, m), rel=1e-8)


def test_quantile_is_the_smallest_count_reaching_the_level():
    model, data = _model(), _histories()
    for q in (0.1, 0.3, 0.6):
        k = cm.next_purchase_quantile(model, data, q=q, max_time=5000).to_numpy()
        finite = np.isfinite(k)
        assert finite.any()
        assert (~finite).any()
        for m in np.unique(k[finite]):
            rows = k == m
            at = cm.next_purchase_cdf(model, data[rows], t=int(m)).to_numpy()
            before = cm.next_purchase_cdf(model, data[rows], t=int(m) - 1).to_numpy()
            assert np.all(at >= q)
            assert np.all(before < q)
        reach = cm.next_purchase_cdf(model, data[~finite], t=5000).to_numpy()
        assert np.all(reach < q)


def test_quantile_refuses_an_unbounded_walk():
    with pytest.raises(CustomerModelsError, match="max_time"):
        cm.next_purchase_quantile(_model(), _histories(), q=0.5, max_time=10**7)


def test_next_purchase_matches_simulation():
    data, _, _, nxt = simulate_bgbb(20_000, BGBB, 40, seed=11)
    model = _model()
    for m in (1, 3, 10, 40):
        _within(cm.next_purchase_cdf(model, data, t=m).to_numpy(), nxt <= m)
    for q in (0.2, 0.5):
        k = cm.next_purchase_quantile(model, data, q=q, max_time=40).to_numpy()
        finite = np.isfinite(k)
        assert finite.sum() > 2_000
        # P(J <= k) >= q (discrete): the model's own probability at k is the reference
        predicted = np.zeros(k.size)
        for m in np.unique(k[finite]):
            rows = k == m
            predicted[rows] = cm.next_purchase_cdf(model, data[rows], t=int(m)).to_numpy()
        assert np.all(predicted[finite] >= q)
        _within(predicted[finite], nxt[finite] <= k[finite])
