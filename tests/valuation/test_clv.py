from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from customer_models import with_time_unit
from customer_models.exceptions import DataValidationError, NotFittedError, ParameterError
from customer_models.valuation import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel
from customer_models.valuation._bgnbd import expected_purchases_kernel
from customer_models.valuation._clv import _cumulative_fn, customer_lifetime_value

lifetimes = pytest.importorskip("lifetimes")
from lifetimes.utils import _customer_lifetime_value  # noqa: E402

CDNOW_BGNBD = {"r": 0.242593, "alpha": 4.413532, "a": 0.792886, "b": 2.425752}


@pytest.fixture(scope="module")
def lifetimes_bg(cdnow_summary):
    s = cdnow_summary
    bg = lifetimes.BetaGeoFitter()
    bg.fit(s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy())
    return bg


@pytest.fixture(scope="module")
def spend(cdnow_summary):
    return pd.Series(cdnow_summary["monetary_value"].to_numpy() + 5.0, index=cdnow_summary.index)


def _model_like(bg, unit="W"):
    return BetaGeoModel.from_params(time_unit=unit, **bg.params_.to_dict())


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.1])
def test_matches_lifetimes_weekly(cdnow_summary, lifetimes_bg, spend, rate):
    s = cdnow_summary
    ref = _customer_lifetime_value(
        lifetimes_bg,
        s["frequency"],
        s["recency"],
        s["T"],
        spend,
        time=12,
        discount_rate=rate,
        freq="W",
    )
    ours = customer_lifetime_value(
        _model_like(lifetimes_bg), spend, s, horizon=12, horizon_unit="4.345W", discount_rate=rate
    )
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-6)
    assert ours.name == "clv"
    assert ours.index.equals(s.index)


def test_matches_lifetimes_daily(cdnow_summary, lifetimes_bg, spend):
    days = cdnow_summary[["frequency", "recency", "T"]].copy()
    days[["recency", "T"]] *= 7.0
    days = with_time_unit(days, "D")  # the columns were weeks, the attrs still say so
    bg = lifetimes.BetaGeoFitter()
    bg.params_ = lifetimes_bg.params_.copy()
    bg.params_["alpha"] *= 7.0  # the same process with time in days
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
    ref = _customer_lifetime_value(
        bg,
        days["frequency"],
        days["recency"],
        days["T"],
        spend,
        time=6,
        discount_rate=0.02,
        freq="D",
    )
    model = BetaGeoModel.from_params(time_unit="D", **bg.params_.to_dict())
    ours = customer_lifetime_value(
        model, spend, days, horizon=6, horizon_unit="30D", discount_rate=0.02
    )
    np.testing.assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-6)


def test_units_convert_through_days(cdnow_summary, spend):
    model = BetaGeoModel.from_params(time_unit="W", **CDNOW_BGNBD)
    yearly = customer_lifetime_value(model, spend, cdnow_summary, horizon=1, horizon_unit="Y")
    monthly = customer_lifetime_value(model, spend, cdnow_summary, horizon=12, horizon_unit="M")
    direct = model.expected_purchases(cdnow_summary, t=365.25 / 7) * spend
    np.testing.assert_allclose(yearly.to_numpy(), direct.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(monthly.to_numpy(), direct.to_numpy(), rtol=1e-10)
    # The same parameters declared daily: a year is 365.25 model units, not 52.18.
    daily = customer_lifetime_value(
        model, spend, cdnow_summary, horizon=1, horizon_unit="Y", model_time_unit="D"
    )
    direct_days = model.expected_purchases(cdnow_summary, t=365.25) * spend
    np.testing.assert_allclose(daily.to_numpy(), direct_days.to_numpy(), rtol=1e-10)


def test_model_without_time_unit_is_an_error(cdnow_summary, spend):
    model = BetaGeoModel.from_params(**CDNOW_BGNBD)
    with pytest.raises(ParameterError, match="model_time_unit"):
        customer_lifetime_value(model, spend, cdnow_summary, horizon=12, horizon_unit="M")
    out = customer_lifetime_value(
        model, spend, cdnow_summary, horizon=12, horizon_unit="M", model_time_unit="W"
    )
    assert np.isfinite(out).all()


def test_bad_arguments(cdnow_summary, spend):
    model = BetaGeoModel.from_params(time_unit="W", **CDNOW_BGNBD)
    with pytest.raises(ParameterError, match="horizon_unit"):
        customer_lifetime_value(model, spend, cdnow_summary, horizon=12, horizon_unit="fortnight")
    with pytest.raises(ParameterError, match="horizon"):
        customer_lifetime_value(model, spend, cdnow_summary, horizon=0)
    with pytest.raises(ParameterError, match="continuous"):
        customer_lifetime_value(model, spend, cdnow_summary, horizon=np.inf, discount_rate=0.1)
    with pytest.raises(DataValidationError, match="discount_rate must be > 0"):
        customer_lifetime_value(
            model, spend, cdnow_summary, horizon=np.inf, discounting="continuous"
        )
    with pytest.raises(DataValidationError, match="discount_rate must be >= 0"):
        customer_lifetime_value(model, spend, cdnow_summary, horizon=12, discount_rate=-0.1)
    with pytest.raises(ParameterError, match="discounting"):
        customer_lifetime_value(model, spend, cdnow_summary, horizon=12, discounting="yearly")
    with pytest.raises(NotFittedError):
        customer_lifetime_value(BetaGeoModel(), spend, cdnow_summary, horizon=12)
    with pytest.raises(ParameterError, match="spend_model"):
        customer_lifetime_value(model, object(), cdnow_summary, horizon=12)


def test_per_customer_rates_and_margins(cdnow_summary, spend):
    model = BetaGeoModel.from_params(time_unit="W", **CDNOW_BGNBD)
    s = cdnow_summary.head(50)
    rates = pd.Series(np.where(np.arange(50) % 2, 0.0, 0.05), index=s.index)
    margins = pd.Series(np.linspace(-0.5, 0.5, 50), index=s.index)
    out = customer_lifetime_value(model, spend, s, horizon=12, discount_rate=rates, margin=margins)
    for rate in (0.0, 0.05):
        rows = (rates == rate).to_numpy()
        one = customer_lifetime_value(model, spend, s, horizon=12, discount_rate=rate)
        np.testing.assert_allclose(
            out[rows].to_numpy(), (one * margins)[rows].to_numpy(), rtol=1e-12
        )
    assert (out[margins < 0] <= 0).all()
    assert (out[margins > 0] >= 0).all()
    with pytest.raises(DataValidationError, match="margin must be given"):
        customer_lifetime_value(model, spend, s, horizon=12, margin=margins.iloc[:10])


def test_monetary_value_column_is_the_default_spend(cdnow_summary):
    model = BetaGeoModel.from_params(time_unit="W", **CDNOW_BGNBD)
    a = customer_lifetime_value(model, None, cdnow_summary, horizon=12)
    b = customer_lifetime_value(model, cdnow_summary["monetary_value"], cdnow_summary, horizon=12)
    pd.testing.assert_series_equal(a, b)


def test_separable_fast_path_is_exact():
    rng = np.random.default_rng(1)
    n = 4000
    x = rng.integers(0, 6, n).astype(float)
    T = rng.choice([20.0, 30.0, 38.0], n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    data = with_time_unit(pd.DataFrame({"frequency": x, "recency": t_x, "T": T}), "W")
    model = BetaGeoModel.from_params(time_unit="W", **CDNOW_BGNBD)
    fast = _cumulative_fn(model, data)
    # the fast path must really be taken (a renamed model helper once disabled it silently)
    assert fast.__name__ == "separable"
    for t in (1.0, 13.0, 52.0):
        direct = model.expected_purchases(data, t=t).to_numpy()
        np.testing.assert_allclose(fast(t), direct, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("parent", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_fast_paths_are_declared_by_the_model_not_found_by_name(parent, cdnow_summary):
    """A subclass under another name keeps the separable and closed-form DERT paths."""
    from customer_models.valuation import _clv

    child = type("RenamedModel", (parent,), {})
    params = dict(zip(parent.param_names, parent().fit(cdnow_summary).params_, strict=True))
    ours, theirs = child.from_params(**params), parent.from_params(**params)
    assert _clv._cumulative_fn(ours, cdnow_summary).__name__ == "separable"
    delta = np.full(len(cdnow_summary), 0.01)
    closed = _clv._closed_form_dert(ours, cdnow_summary, delta, np.inf)
    assert closed is not None
    np.testing.assert_array_equal(
        closed, _clv._closed_form_dert(theirs, cdnow_summary, delta, np.inf)
    )
    no_kernel = type("NoClosedForm", (parent,), {"_dert_kernel": None}).from_params(**params)
    assert _clv._closed_form_dert(no_kernel, cdnow_summary, delta, np.inf) is None


def _dert_by_quad(expected, delta, horizon):
    """Independent: integral of exp(-delta t) dE[X(t)] by adaptive quadrature (by parts).

    delta * int_0^H exp(-delta t) E(t) dt = int_0^(delta H) exp(-u) E(u / delta) du; the
    infinite tail beyond u = 45 is below 1e-17 relative.
    """
    upper = min(delta * horizon, 45.0)
    part = integrate.quad(
        lambda u: np.exp(-u) * expected(u / delta), 0, upper, limit=200, epsabs=0, epsrel=1e-10
    )[0]
    tail = 0.0 if np.isinf(horizon) else np.exp(-delta * horizon) * expected(horizon)
    return tail + part


def _unit_spend_continuous_clv(model, rows, horizon_months, monthly_rate):
    """CLV of one unit of spend per purchase, discounted continuously at ``monthly_rate``.

    Returns it with the force of interest per week and the horizon in weeks, the model's unit.
    """
    clv = customer_lifetime_value(
        model,
        pd.Series(1.0, index=rows.index),
        rows,
        horizon=horizon_months,
        horizon_unit="M",
        discount_rate=monthly_rate,
        discounting="continuous",
    )
    weeks_per_month = 365.25 / 12 / 7
    return clv, np.log1p(monthly_rate) / weeks_per_month, horizon_months * weeks_per_month


@pytest.mark.parametrize("horizon_months", [12.0, pytest.param(np.inf, marks=pytest.mark.slow)])
def test_bgnbd_dert_matches_numerical_integration(cdnow_summary, horizon_months):
    model = BetaGeoModel.from_params(time_unit="W", **CDNOW_BGNBD)
    rows = cdnow_summary.iloc[[0, 2, 150]]
    ours, delta, horizon = _unit_spend_continuous_clv(model, rows, horizon_months, 0.01)
    params = np.array(list(CDNOW_BGNBD.values()))
    for i, (x, t_x, T) in enumerate(rows[["frequency", "recency", "T"]].to_numpy()):
        ref = _dert_by_quad(
            lambda t, x=x, t_x=t_x, T=T: float(expected_purchases_kernel(params, x, t_x, T, t)),
            delta,
            horizon,
        )
        assert ours.iloc[i] == pytest.approx(ref, rel=1e-6)


class LifetimesPareto:
    """Pareto/NBD predictions from lifetimes (an independent implementation)."""

    time_unit_ = "W"

    def __init__(self, params):
        self.fitter = lifetimes.ParetoNBDFitter()
        self.fitter.params_ = pd.Series(params)
        self.params_ = pd.Series(params)

    def _cols(self, data):
        return (
            data["frequency"].to_numpy(float),
            data["recency"].to_numpy(float),
            data["T"].to_numpy(float),
        )

    def probability_alive(self, data):
        return self.fitter.conditional_probability_alive(*self._cols(data))

    def expected_purchases(self, data, *, t):
        return self.fitter.conditional_expected_number_of_purchases_up_to_time(t, *self._cols(data))


@pytest.mark.parametrize("horizon_months", [6.0, 24.0, np.inf])
def test_pareto_dert_closed_form_matches_numerical_integration(cdnow_summary, horizon_months):
    model = LifetimesPareto({"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
    rows = cdnow_summary.iloc[[0, 1, 2, 10, 150]]
    ours, delta, horizon = _unit_spend_continuous_clv(model, rows, horizon_months, 0.015)
    for i in range(len(rows)):
        one = rows.iloc[[i]]
        ref = _dert_by_quad(
            lambda t, one=one: float(model.expected_purchases(one, t=t)[0]), delta, horizon
        )
        assert ours.iloc[i] == pytest.approx(ref, rel=1e-5)


def test_never_nan_on_extreme_histories():
    model = BetaGeoModel.from_params(time_unit="W", **CDNOW_BGNBD)
    data = pd.DataFrame(
        {
            "frequency": [0.0, 1.0, 300.0, 300.0, 50.0],
            "recency": [0.0, 1e-9, 500.0, 1.0, 0.5],
            "T": [1e-9, 1e-9, 500.0, 500.0, 2000.0],
            "monetary_value": [0.0, 1.0, 1e6, 1e6, 3.0],
        }
    )
    data.attrs["time_unit"] = "W"
    for discounting in ("discrete", "continuous"):
        for horizon in (1.0, 120.0):
            out = customer_lifetime_value(
                model, None, data, horizon=horizon, discount_rate=0.01, discounting=discounting
            )
            assert np.isfinite(out).all()
            assert (out >= 0).all()


def _donors() -> pd.DataFrame:
    data = pd.DataFrame(
        {
            "frequency": [0.0, 3.0, 6.0, 1.0],
            "recency": [0.0, 5.0, 6.0, 1.0],
            "n_periods": [6.0, 6.0, 6.0, 6.0],
            "monetary_value": [20.0, 50.0, 10.0, 5.0],
        },
        index=pd.Index(["a", "b", "c", "d"], name="donor"),
    )
    return with_time_unit(data, "Y")


def test_bgbb_discrete_clv_is_the_discounted_sum_of_its_expectations():
    """All period ends in one kernel call: the same numbers as one public call per period."""
    from customer_models.valuation import BetaGeoBetaBinomModel

    model = BetaGeoBetaBinomModel.from_params(
        alpha=1.204, beta=0.75, gamma=0.657, delta=2.783, time_unit="Y"
    )
    data = _donors()
    clv = customer_lifetime_value(
        model, None, data, horizon=30, horizon_unit="Y", discount_rate=0.1
    )
    cumulative = np.array([model.expected_purchases(data, t=k).to_numpy() for k in range(31)])
    by_hand = (np.diff(cumulative, axis=0) / 1.1 ** np.arange(1, 31)[:, None]).sum(axis=0)
    np.testing.assert_allclose(clv.to_numpy(), by_hand * data["monetary_value"], rtol=1e-12)
    flat = customer_lifetime_value(model, None, data, horizon=30, horizon_unit="Y")
    np.testing.assert_allclose(flat.to_numpy(), cumulative[-1] * data["monetary_value"])
    with pytest.raises(ParameterError, match="whole number"):  # months of a yearly model
        customer_lifetime_value(model, None, data, horizon=18, horizon_unit="M")


def test_infinite_horizon_per_customer_rates_in_one_call(cdnow_summary):
    """Distinct rates per customer: one kernel call on every customer's own nodes, the same
    values as one call per distinct rate."""
    from customer_models.valuation import ModifiedBetaGeoModel

    model = ModifiedBetaGeoModel().fit(cdnow_summary)
    data = cdnow_summary.iloc[:200]
    rates = pd.Series(np.linspace(0.005, 0.03, len(data)), index=data.index)
    both = customer_lifetime_value(
        model, None, data, horizon=np.inf, discount_rate=rates, discounting="continuous"
    )
    one_by_one = [
        customer_lifetime_value(
            model,
            None,
            data.iloc[[i]],
            horizon=np.inf,
            discount_rate=float(rates.iloc[i]),
            discounting="continuous",
        ).iloc[0]
        for i in range(0, len(data), 37)
    ]
    np.testing.assert_allclose(both.iloc[::37].to_numpy(), one_by_one, rtol=1e-12)


FINITE_DERT_MODELS = [
    (BetaGeoModel, (0.243, 4.414, 0.793, 2.426)),
    (BetaGeoModel, (2.0, 0.5, 0.3, 5.0)),
    (ModifiedBetaGeoModel, (0.5, 40.0, 1.0, 1.0)),
    (ParetoNBDModel, (1.0, 1.0, 0.05, 0.5)),
]


@pytest.mark.slow
@pytest.mark.parametrize(("model_cls", "params"), FINITE_DERT_MODELS)
def test_finite_horizon_dert_by_integration_over_a_wide_grid(model_cls, params):
    """CLV's integral of E[X(t)] over [0, H], for delta H from 1e-6 to 1e4, to 1e-8.

    The 32-node Legendre rule over [0, H] alone was off by 2.5e-5 at delta H = 10 and by a
    factor 2,000 at delta H = 1e4; the reference is adaptive quadrature of the same E[X(t)]
    (itself checked against mpmath), split where exp(-delta t) bends.
    """
    from customer_models.valuation import _clv

    model = model_cls.from_params(**dict(zip(model_cls.param_names, params, strict=True)))
    data = pd.DataFrame(
        {"frequency": [0.0, 3.0, 20.0], "recency": [0.0, 20.0, 38.0], "T": [1.0, 30.0, 39.0]}
    )
    cumulative = _cumulative_fn(model, data)
    for horizon in (1.0, 52.0, 1e4):
        for rate in (1e-6, 1e-3, 0.1, 1.0):
            delta = np.full(len(data), rate)
            with pytest.MonkeyPatch.context() as patch:  # the closed forms decline (duck type)
                patch.setattr(_clv, "_closed_form_dert", lambda *args: None)
                got = _clv._continuous(model, data, cumulative, horizon, delta)
            for i in range(len(data)):
                row = data.iloc[[i]]

                def expected(t, row=row):
                    return float(model.expected_purchases(row, t=t).iloc[0]) if t > 0 else 0.0

                bends = sorted({k / rate for k in (1.0, 10.0, 40.0) if 0 < k / rate < horizon})
                part = integrate.quad(
                    lambda t, e=expected, d=rate: d * np.exp(-d * t) * e(t),
                    0.0,
                    horizon,
                    points=bends or None,
                    limit=500,
                    epsabs=0,
                    epsrel=1e-11,
                )[0]
                reference = np.exp(-rate * horizon) * expected(horizon) + part
                assert got[i] == pytest.approx(reference, rel=1e-8), (horizon, rate, i)


@pytest.mark.parametrize("model_cls", [BetaGeoModel, ModifiedBetaGeoModel])
def test_bg_family_dert_closed_form_and_integral_agree_at_frequency_1e4(model_cls):
    """Beyond the mpmath grid (frequency <= 50): the closed form and CLV's integral of
    E[X(t)] are independent methods; they agree to 1e-8 at frequencies 1e3..1e4."""
    from customer_models.valuation import _clv

    data = pd.DataFrame(
        {"frequency": [1e3, 1e4, 5e3], "recency": [900.0, 9e3, 1e4], "T": [1e3, 1e4, 1e4]}
    )
    corners = [
        (0.243, 4.414, 0.793, 2.426),
        (1e-3, 1e-3, 1e3, 1e3),
        (1e3, 1e3, 1e-3, 1e-3),
        (1.0, 1e3, 1.0, 1e-3),
    ]
    for params in corners:
        model = model_cls.from_params(**dict(zip(model_cls.param_names, params, strict=True)))
        for rate in (1e-6, 1e-3, 0.1, 1.0):
            delta = np.full(len(data), rate)
            closed = _clv._closed_form_dert(model, data, delta, np.inf)
            assert closed is not None
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(_clv, "_closed_form_dert", lambda *args: None)
                cumulative = _cumulative_fn(model, data)
                integral = _clv._continuous(model, data, cumulative, np.inf, delta)
            np.testing.assert_allclose(closed, integral, rtol=1e-8, err_msg=str((params, rate)))
