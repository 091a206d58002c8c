"""GGompertz/NBD: the published CDNOW fit, mpmath, its generative process, its Pareto/NBD limit."""

from __future__ import annotations

import warnings

import _mpref_ggompertz as ref
import numpy as np
import pandas as pd
import pytest
from _ggompertz_sim import gompertz_lifetimes, simulate_ggompertz, simulate_poisson_log
from scipy.integrate import quad
from scipy.special import gammaln

from customer_models import customer_lifetime_value
from customer_models.valuation import ParetoNBDModel, _pareto_nbd, load_model
from customer_models.valuation import _ggompertz_likelihood as lik
from customer_models.valuation import _ggompertz_predictions as pred
from customer_models.valuation._ggompertz_nbd import GGompertzNBDModel
from customer_models.valuation._registry import MODEL_CLASSES

#: Bemmaor and Glady (2012), Table 2, CDNOW (as CLVTools' test_correctness_ggomnbd.R cites it).
PUBLISHED = {"r": 0.553, "alpha": 10.578, "b": 0.0002, "s": 0.603, "beta": 0.0026}
PUBLISHED_LL = -9594.98
#: CLVTools' own estimate on CDNOW (same test file): LL -9594.9762.
CLVTOOLS_LL = -9594.9762
#: A customer base with real Gompertz ageing: the lifetime density has an interior mode.
TRUE = {"r": 0.8, "alpha": 6.0, "b": 0.05, "s": 1.5, "beta": 3.0}


def _fit(data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CDNOW's optimum is on the Pareto/NBD ridge
        return GGompertzNBDModel(**kwargs).fit(data)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow):
    return _fit(cdnow)


def test_registered_in_the_package():
    assert MODEL_CLASSES["GGompertzNBDModel"] is GGompertzNBDModel


def test_cdnow_reproduces_bemmaor_glady_table_2(cdnow_fit):
    """r, alpha and the log-likelihood to the published digits; b and beta along the ridge.

    On CDNOW the maximum is the Pareto/NBD limit (b -> 0 with beta/b fixed): the data pin
    only beta/b, which the published b = 0.0002 and beta = 0.0026 (rounded to one digit)
    bound to [0.00255/0.00025, 0.00265/0.00015] = [10.2, 17.7].
    """
    params = cdnow_fit.params_
    assert round(params["r"], 3) == PUBLISHED["r"]
    assert round(params["alpha"], 3) == PUBLISHED["alpha"]
    assert cdnow_fit.log_likelihood_ == pytest.approx(PUBLISHED_LL, abs=0.01)
    assert cdnow_fit.log_likelihood_ == pytest.approx(CLVTOOLS_LL, abs=0.005)
    assert cdnow_fit.log_likelihood_ >= CLVTOOLS_LL  # the supremum of the ridge
    assert params["b"] < 0.00025
    assert 10.2 < params["beta"] / params["b"] < 17.7
    # s is on the ridge too: the paper's 0.603 is at its finite b; the limit is 0.606
    assert params["s"] == pytest.approx(PUBLISHED["s"], abs=0.005)
    assert cdnow_fit.convergence_.at_boundary == ("b", "beta")


def test_cdnow_limit_is_pareto_nbd(cdnow, cdnow_fit):
    """As b -> 0 with beta/b = Pareto's beta, GGompertz/NBD is Pareto/NBD (independent code)."""
    pareto = ParetoNBDModel().fit(cdnow)
    assert cdnow_fit.log_likelihood_ == pytest.approx(pareto.log_likelihood_, abs=1e-3)
    p = cdnow_fit.params_
    np.testing.assert_allclose(
        [p["r"], p["alpha"], p["s"], p["beta"] / p["b"]], pareto.params_.to_numpy(), rtol=2e-3
    )


@pytest.mark.parametrize("row", [0, 1, 5, 17, 100, 1000, 2356])
def test_cdnow_rows_match_mpmath_at_the_published_parameters(cdnow, row):
    x, t_x, T = (float(cdnow[c].iloc[row]) for c in ("frequency", "recency", "T"))
    params = list(PUBLISHED.values())
    ll_ref, alive_ref = ref.log_likelihood_and_alive(params, x, t_x, T)
    one = np.ones(1)
    assert lik.log_likelihood_kernel(params, x * one, t_x * one, T * one)[0] == pytest.approx(
        float(ll_ref), rel=1e-12
    )
    assert lik.probability_alive_kernel(params, x, t_x, T) == pytest.approx(float(alive_ref), 1e-11)
    e_ref = float(alive_ref * ref.expected_given_alive(params, x, T, 39.0))
    assert pred.expected_purchases_kernel(params, x, t_x, T, 39.0) == pytest.approx(
        e_ref, rel=1e-11
    )


def test_log_likelihood_at_published_parameters_matches_scipy_quad(cdnow):
    """A hand-written likelihood (scipy quad per distinct row) gives the same CDNOW total."""
    params = list(PUBLISHED.values())
    r, alpha, b, s, beta = params
    rows = cdnow[["frequency", "recency", "T"]].drop_duplicates()
    counts = cdnow.groupby(["frequency", "recency", "T"]).size()
    total = 0.0
    for x, t_x, T in rows.itertuples(index=False):

        def f(tau, x=x):
            return (
                (alpha + tau) ** (-(r + x))
                * np.exp(b * tau)
                / (beta + np.expm1(b * tau)) ** (s + 1)
            )

        integral = quad(f, t_x, T, epsabs=0, epsrel=1e-12, limit=200)[0] if t_x < T else 0.0
        first = (alpha + T) ** (-(r + x)) * (beta / (beta + np.expm1(b * T))) ** s
        ll = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        ll += np.log(first + s * b * beta**s * integral)
        total += counts[(x, t_x, T)] * ll
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    ours = lik.log_likelihood_kernel(params, x, t_x, T).sum()
    assert ours == pytest.approx(total, rel=1e-11)
    assert round(ours, 2) == -9595.77  # the rounded published b and beta cost 0.8


def test_analytic_gradient_matches_differences_of_the_likelihood():
    data, _, _ = simulate_ggompertz(300, TRUE, seed=3)
    x, t_x, T = (data[c].to_numpy() for c in ("frequency", "recency", "T"))
    params = np.array(list(TRUE.values()))
    ll, grad = lik.log_likelihood_gradient_kernel(params, x, t_x, T)
    np.testing.assert_allclose(ll, lik.log_likelihood_kernel(params, x, t_x, T), rtol=1e-14)
    for k in range(5):
        step = 1e-5 * params[k]
        up, down = params.copy(), params.copy()
        up[k] += step
        down[k] -= step
        numeric = lik.log_likelihood_kernel(up, x, t_x, T) - lik.log_likelihood_kernel(
            down, x, t_x, T
        )
        np.testing.assert_allclose(grad[:, k], numeric / (2 * step), rtol=1e-6, atol=1e-8)


@pytest.fixture(scope="module")
def simulated_fit():
    data, _, _ = simulate_ggompertz(20_000, TRUE, seed=1)
    return data, _fit(data)


@pytest.mark.slow
def test_simulated_parameters_recovered_within_three_standard_errors(simulated_fit):
    _, model = simulated_fit
    assert model.convergence_.success
    for name, value in TRUE.items():
        estimate, se = model.summary_.loc[name, ["coef", "se"]]
        assert abs(estimate - value) < 3 * se, (name, estimate, se)


@pytest.mark.slow
def test_simulated_optimum_is_a_zero_of_the_hand_written_gradient(simulated_fit):
    """A scipy-quad likelihood equals ours row by row at the optimum, where the total
    gradient vanishes."""
    data, model = simulated_fit
    head = data.head(1500)
    params = model.params_.to_numpy()
    x, t_x, T = (head[c].to_numpy() for c in ("frequency", "recency", "T"))
    ours = lik.log_likelihood_kernel(params, x, t_x, T)

    def hand(p, i):
        r, alpha, b, s, beta = p
        xi, lo, hi = x[i], t_x[i], T[i]

        def f(tau):
            return (
                (alpha + tau) ** (-(r + xi))
                * np.exp(b * tau)
                / (beta + np.expm1(b * tau)) ** (s + 1)
            )

        integral = quad(f, lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]
        first = (alpha + hi) ** (-(r + xi)) * (beta / (beta + np.expm1(b * hi))) ** s
        return (
            gammaln(r + xi)
            - gammaln(r)
            + r * np.log(alpha)
            + np.log(first + s * b * beta**s * integral)
        )

    for i in range(0, 1500, 50):
        assert ours[i] == pytest.approx(hand(params, i), rel=1e-10, abs=1e-12)
    # and the total gradient of the fit (all rows) vanishes relative to its per-row scale
    x, t_x, T = (data[c].to_numpy() for c in ("frequency", "recency", "T"))
    _, grad = lik.log_likelihood_gradient_kernel(params, x, t_x, T)
    scale = np.abs(grad).sum(axis=0)
    assert np.all(np.abs(grad.sum(axis=0)) < 1e-6 * scale)


@pytest.mark.slow
def test_predictions_match_simulated_futures():
    t = 26.0
    data, future, alive_true = simulate_ggompertz(60_000, TRUE, seed=2, horizon=t)
    model = GGompertzNBDModel.from_params(time_unit="W", **TRUE)
    alive = model.probability_alive(data).to_numpy()
    bins = np.digitize(alive, [0.2, 0.4, 0.6, 0.8, 0.95])
    for k in np.unique(bins):
        rows = bins == k
        spread = np.sqrt(alive[rows].mean() * (1 - alive[rows].mean()) / rows.sum())
        assert abs(alive_true[rows].mean() - alive[rows].mean()) < 4 * spread + 1e-3, k
    by_frequency = pd.DataFrame(
        {"future": future, "expected": model.expected_purchases(data, t=t).to_numpy()}
    ).groupby(np.minimum(data["frequency"].to_numpy(), 8))
    means, spread = by_frequency.mean(), by_frequency["future"].sem(ddof=0)
    assert (abs(means["future"] - means["expected"]) < 4 * spread).all(), means
    for n in (0, 1, 2, 5):
        pmf = model.probability_of_purchases(data, n=n, t=t).to_numpy()
        share = np.mean(future == n)
        assert abs(share - pmf.mean()) < 4 * np.sqrt(share * (1 - share) / future.size), n


def test_new_customer_expectation_matches_simulation_and_mpmath():
    n, t = 200_000, 52.0
    purchases = simulate_ggompertz(n, TRUE, seed=5, T=t)[0]["frequency"].to_numpy()
    params = list(TRUE.values())
    got = float(pred.expected_purchases_new_customer_kernel(params, t))
    assert abs(purchases.mean() - got) < 4 * purchases.std() / np.sqrt(n)
    assert got == pytest.approx(float(ref.expected_given_alive(params, 0, 0, t)), rel=1e-12)
    model = GGompertzNBDModel.from_params(time_unit="W", **TRUE)
    horizons = np.array([0.0, 1.0, 52.0])
    np.testing.assert_allclose(
        model.expected_purchases_new_customer(t=horizons),
        [float(ref.expected_given_alive(params, 0, 0, h)) if h else 0.0 for h in horizons],
        rtol=1e-12,
    )


def test_purchase_by_purchase_simulation_matches_the_new_customer_expectation():
    """The event-level simulator (used by the model-choice tests) against E[X(t)]."""
    n, T, holdout = 100_000, 30.0, 39.0
    rng = np.random.default_rng(8)
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], n)
    tau = gompertz_lifetimes(rng, n, TRUE["b"], TRUE["s"], TRUE["beta"])
    data = simulate_poisson_log(rng, lam, tau, np.full(n, T), holdout)
    params = list(TRUE.values())
    for counts, t in (
        (data["frequency"], T),
        (data["frequency"] + data["frequency_holdout"], T + holdout),
    ):
        expected = float(pred.expected_purchases_new_customer_kernel(params, t))
        assert abs(counts.mean() - expected) < 4 * counts.std() / np.sqrt(n), t
    assert (data["recency"] <= T).all()
    assert (data["frequency"] > 0).any()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"), [(0, 0, 39, 39), (3, 30, 39, 100), (40, 35, 80, 5)]
)
def test_pmf_sums_to_one_and_its_mean_is_the_expectation(x, t_x, T, t):
    params = list(TRUE.values())
    n = np.arange(400.0)
    pmf = pred.probability_of_purchases_kernel(params, n, x, t_x, T, t)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-10)
    mean = float(pred.expected_purchases_kernel(params, x, t_x, T, t))
    assert float(n @ pmf) == pytest.approx(mean, rel=1e-9)
    alive = float(lik.probability_alive_kernel(params, x, t_x, T))
    for k in (0, 1, 4):
        expected = alive * float(ref.pmf_given_alive(params, k, x, T, t)) + (1 - alive) * (k == 0)
        assert pmf[k] == pytest.approx(expected, rel=1e-9)


def test_small_b_is_pareto_nbd_in_every_prediction(cdnow):
    """b = 1e-9, beta = 11.669 b: Pareto/NBD's kernels (independent code) to O(b T)."""
    r, alpha, s, beta = 0.553, 10.578, 0.606, 11.669
    b = 1e-9
    params = [r, alpha, b, s, beta * b]
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    pareto = [r, alpha, s, beta]
    np.testing.assert_allclose(
        lik.log_likelihood_kernel(params, x, t_x, T),
        _pareto_nbd.log_likelihood_kernel(pareto, x, t_x, T),
        rtol=1e-7,
    )
    np.testing.assert_allclose(
        lik.probability_alive_kernel(params, x, t_x, T),
        _pareto_nbd.probability_alive_kernel(pareto, x, t_x, T),
        rtol=1e-7,
    )
    np.testing.assert_allclose(
        pred.expected_purchases_kernel(params, x, t_x, T, 52.0),
        _pareto_nbd.expected_purchases_kernel(pareto, x, t_x, T, 52.0),
        rtol=1e-7,
    )


def test_reloads_with_identical_predictions(cdnow, tmp_path):
    model = GGompertzNBDModel.from_params(time_unit="W", **TRUE)
    model.save(tmp_path / "gg.json")
    loaded = load_model(tmp_path / "gg.json")
    assert type(loaded) is GGompertzNBDModel
    pd.testing.assert_series_equal(loaded.params_, model.params_, check_exact=True)
    pd.testing.assert_series_equal(
        loaded.expected_purchases(cdnow, t=10), model.expected_purchases(cdnow, t=10)
    )


def test_customer_lifetime_value_is_the_discounted_expectation(cdnow):
    """Discrete CLV: the monthly increments of E[X(t)], discounted (separable fast path)."""
    model = GGompertzNBDModel.from_params(time_unit="W", **TRUE)
    data = cdnow.head(300)
    spend = pd.Series(20.0, index=data.index)
    months, d = 12, 0.01
    clv = customer_lifetime_value(model, spend, data, horizon=months, discount_rate=d)
    weeks = 365.25 / 12 / 7
    cumulative = [
        model.expected_purchases(data, t=i * weeks).to_numpy() if i else np.zeros(len(data))
        for i in range(months + 1)
    ]
    expected = sum(
        (cumulative[i] - cumulative[i - 1]) * 20.0 / (1 + d) ** i for i in range(1, months + 1)
    )
    np.testing.assert_allclose(clv.to_numpy(), expected, rtol=1e-9)


@pytest.mark.slow
def test_compare_models_on_cdnow_takes_both_new_models():
    """39-week calibration: the NBD ranks last among the models, GGompertz/NBD ties Pareto/NBD.

    On CDNOW GGompertz/NBD's fit is Pareto/NBD's limit, so their holdout scores agree; the
    NBD, with no dropout, overpredicts the holdout and ranks below every BTYD model.
    """
    from customer_models import compare_models, load_cdnow_transactions
    from customer_models.valuation import BetaGeoModel
    from customer_models.valuation._nbd import NegativeBinomialModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare_models(
            [NegativeBinomialModel, BetaGeoModel, ParetoNBDModel, GGompertzNBDModel],
            transactions=load_cdnow_transactions(sample=True),
            calibration_end="1997-09-30",
            observation_end="1998-06-30",
            time_unit="W",
        )
    table = result.table
    assert {"NegativeBinomialModel", "GGompertzNBDModel"} <= set(table.index)
    assert table.loc["NegativeBinomialModel", "n_params"] == 2
    assert table.loc["GGompertzNBDModel", "n_params"] == 5
    btyd = ["BetaGeoModel", "ParetoNBDModel", "GGompertzNBDModel"]
    assert (table.loc[btyd, "rank"] < table.loc["NegativeBinomialModel", "rank"]).all()
    gg, pnbd = table.loc["GGompertzNBDModel"], table.loc["ParetoNBDModel"]
    assert gg["log_likelihood"] == pytest.approx(pnbd["log_likelihood"], abs=1e-3)
    assert gg["holdout_log_score"] == pytest.approx(pnbd["holdout_log_score"], rel=1e-4)
    assert table.loc["NegativeBinomialModel", "bias_pct"] > 40  # no dropout: overpredicts
