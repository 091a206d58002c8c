"""customer_lifetime_value(start=): the value of the purchases in a window (start, horizon].

Independent checks: the continuous Pareto/NBD window against an mpmath integral of the
discounted expected purchase rate ``P(alive) (r+x)/(α+T) (1 + t/(β+T))^-s`` (Fader, Hardie &
Lee 2005); the discrete window against the sum written out from ``expected_purchases`` at each
clipped period end; and the additivity ``CLV(start=s) = CLV(horizon) - CLV(horizon=s)``.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pandas as pd
import pytest

import customer_models as cm
from customer_models.exceptions import ParameterError
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
)

PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


@pytest.mark.parametrize("cls", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
@pytest.mark.parametrize("discounting", ["discrete", "continuous"])
def test_a_window_is_the_difference_of_two_values_from_now(cls, discounting, cdnow_summary):
    model = cls().fit(cdnow_summary)
    data = cdnow_summary.iloc[::20]
    kw = {"horizon_unit": "W", "discount_rate": 0.01, "discounting": discounting}
    window = cm.customer_lifetime_value(model, None, data, horizon=52, start=13, **kw)
    full = cm.customer_lifetime_value(model, None, data, horizon=52, **kw)
    early = cm.customer_lifetime_value(model, None, data, horizon=13, **kw)
    np.testing.assert_allclose(window, full - early, rtol=1e-12, atol=1e-12)
    buyers = full > 0  # (monetary_value is 0 without a repeat purchase)
    assert buyers.sum() > 20
    assert ((window[buyers] > 0) & (window[buyers] < full[buyers])).all()


def test_continuous_window_against_mpmath():
    model = ParetoNBDModel.from_params(time_unit="W", **PNBD)
    data = cm.with_time_unit(
        pd.DataFrame(
            {
                "frequency": [0.0, 2.0, 9.0],
                "recency": [0.0, 30.43, 36.0],
                "T": [38.86] * 3,
                "monetary_value": [10.0, 20.0, 30.0],
            }
        ),
        "W",
    )
    d = 0.02
    got = cm.customer_lifetime_value(
        model,
        None,
        data,
        horizon=60,
        start=8.5,
        horizon_unit="W",
        discount_rate=d,
        discounting="continuous",
    ).to_numpy()
    alive = model.probability_alive(data).to_numpy()
    r, alpha, s, beta = PNBD.values()
    mp.mp.dps = 30
    delta = math.log1p(d)
    for j, row in enumerate(data.itertuples()):
        a, b = float(alive[j]), beta + row.T

        def rate(t, x=row.frequency, T=row.T, a=a, b=b):
            return a * (r + x) / (alpha + T) * (1 + t / b) ** (-s) * mp.exp(-delta * t)

        exact = float(mp.quad(rate, [8.5, 60])) * row.monetary_value
        assert got[j] == pytest.approx(exact, rel=1e-10)


@pytest.mark.parametrize("start", [2.5, 3.0])
def test_discrete_window_against_the_written_out_sum(start, cdnow_summary):
    model = BetaGeoModel().fit(cdnow_summary)
    data = cdnow_summary.iloc[::50]
    horizon, d = 7.25, 0.03
    got = cm.customer_lifetime_value(
        model, None, data, horizon=horizon, start=start, horizon_unit="W", discount_rate=d
    ).to_numpy()
    spend = data["monetary_value"].to_numpy()

    def e(t):
        return model.expected_purchases(data, t=t).to_numpy() if t > 0 else 0.0

    want = np.zeros(len(data))
    for i in range(1, math.ceil(horizon) + 1):
        lo, hi = min(max(i - 1, start), horizon), min(max(i, start), horizon)
        want += (e(hi) - e(lo)) / (1 + d) ** min(i, horizon)  # a last part period: at H
    np.testing.assert_allclose(got, want * spend, rtol=1e-12)


def test_discrete_time_model_window():
    data = cm.load_donations()
    model = BetaGeoBetaBinomModel().fit(data, sample_weight="weight")
    kw = {"horizon_unit": "Y", "model_time_unit": "Y", "discount_rate": 0.1}
    ones = pd.Series(1.0, index=data.index)  # value = discounted expected transactions
    window = cm.customer_lifetime_value(model, ones, data, horizon=5, start=2, **kw)
    full = cm.customer_lifetime_value(model, ones, data, horizon=5, **kw)
    early = cm.customer_lifetime_value(model, ones, data, horizon=2, **kw)
    assert (window > 0).all()
    np.testing.assert_allclose(window, full - early, rtol=1e-12, atol=1e-14)


def test_start_is_checked(cdnow_summary):
    model = BetaGeoModel().fit(cdnow_summary)
    data = cdnow_summary.head(5)
    with pytest.raises(ParameterError, match="start"):
        cm.customer_lifetime_value(model, None, data, horizon=4, start=4, horizon_unit="W")
    with pytest.raises(ParameterError, match="start"):
        cm.customer_lifetime_value(model, None, data, horizon=4, start=-1, horizon_unit="W")
