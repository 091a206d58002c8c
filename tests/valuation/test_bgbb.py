"""BG/BB (beta-geometric/beta-binomial) model: kernels, golden values, parity, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime
from scipy.special import betaln, comb, digamma

from customer_models.datasets import load_donations
from customer_models.exceptions import (
    DataValidationError,
    MissingColumnError,
    NotFittedError,
    ParameterError,
)
from customer_models.valuation import _bgbb as k
from customer_models.valuation._bgbb import BetaGeoBetaBinomModel

PAPER = np.array([1.204, 0.750, 0.657, 2.783])  # Fader, Hardie & Shang (2010), Table 2


def _donations_arrays():
    d = load_donations()
    return tuple(d[c].to_numpy() for c in ["frequency", "recency", "n_periods", "weight"])


def _all_histories(n: int):
    """Every (x, t_x) a customer can show after n opportunities, with its number of sequences."""
    xs, txs, counts = [0], [0], [1]
    for t_x in range(1, n + 1):
        for x in range(1, t_x + 1):
            xs.append(x)
            txs.append(t_x)
            counts.append(comb(t_x - 1, x - 1, exact=True))
    return np.array(xs), np.array(txs), np.array(counts, dtype=float)


# --- direct reference implementation (one special-function call per row and term) ---


def _log_death_term(params, x, t_x, i):
    """log B_i of eq. (5): alive through t_x + i opportunities, then gone."""
    alpha, beta, gamma, delta = (float(v) for v in params)
    return (
        betaln(alpha + x, beta + t_x - x + i)
        - betaln(alpha, beta)
        + betaln(gamma + 1.0, delta + t_x + i)
        - betaln(gamma, delta)
    )


def _direct_log_terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Straightforward loop over the terms of eq. (5) with scipy.special.betaln."""
    alpha, beta, gamma, delta = (float(v) for v in params)
    ln_ab = betaln(alpha, beta)
    ln_gd = betaln(gamma, delta)
    log_a = betaln(alpha + x, beta + n - x) - ln_ab + betaln(gamma, delta + n) - ln_gd
    log_l = log_a.copy()
    n_terms = n - t_x  # terms i = 0 .. n - t_x - 1
    k_max = int(n_terms.max()) if n_terms.size else 0
    for i in range(k_max):
        active = n_terms > i
        log_b = _log_death_term(params, x, t_x, i)
        log_l = np.where(active, np.logaddexp(log_l, log_b), log_l)
    return log_a, log_l


def _direct_gradient(params, x, t_x, n):
    alpha, beta, gamma, delta = (float(v) for v in params)
    x, t_x, n = (np.asarray(v, dtype=float) for v in (x, t_x, n))
    ln_ab = betaln(alpha, beta)
    ln_gd = betaln(gamma, delta)
    _, log_l = _direct_log_terms(params, x, t_x, n)
    psi_ab = digamma(alpha + beta)
    psi_gd = digamma(gamma + delta)
    psi_a, psi_b, psi_g, psi_d = digamma(alpha), digamma(beta), digamma(gamma), digamma(delta)
    psi_ax = digamma(alpha + x)
    grad_t = np.zeros((4, x.size))  # filled row-wise, returned as an (n, 4) view

    # term A: alive through all n opportunities
    log_a = betaln(alpha + x, beta + n - x) - ln_ab + betaln(gamma, delta + n) - ln_gd
    w = np.exp(log_a - log_l)
    psi_abn = digamma(alpha + beta + n)
    psi_gdn = digamma(gamma + delta + n)
    grad_t[0] += w * (psi_ax - psi_abn - psi_a + psi_ab)
    grad_t[1] += w * (digamma(beta + n - x) - psi_abn - psi_b + psi_ab)
    grad_t[2] += w * (psi_gd - psi_gdn)
    grad_t[3] += w * (digamma(delta + n) - psi_gdn - psi_d + psi_gd)

    # terms B_i: died at the start of opportunity t_x + i + 1
    n_terms = n - t_x
    k_max = int(n_terms.max()) if n_terms.size else 0
    for i in range(k_max):
        active = n_terms > i
        log_b = _log_death_term(params, x, t_x, i)
        w = np.where(active, np.exp(log_b - log_l), 0.0)
        psi_abt = digamma(alpha + beta + t_x + i)
        psi_gdt = digamma(gamma + delta + t_x + i + 1.0)
        grad_t[0] += w * (psi_ax - psi_abt - psi_a + psi_ab)
        grad_t[1] += w * (digamma(beta + t_x - x + i) - psi_abt - psi_b + psi_ab)
        grad_t[2] += w * (digamma(gamma + 1.0) - psi_gdt - psi_g + psi_gd)
        grad_t[3] += w * (digamma(delta + t_x + i) - psi_gdt - psi_d + psi_gd)

    return log_l, grad_t.T


# ----------------------------------------------------------------------------- kernels


def test_log_likelihood_matches_paper_on_donations():
    x, t_x, n, w = _donations_arrays()
    total = float((k.log_likelihood_kernel(PAPER, x, t_x, n) * w).sum())
    assert total == pytest.approx(-33225.6, abs=0.05)  # FHS 2010 report LL = -33,225.6


@pytest.mark.parametrize("n", [1, 3, 6, 11])
@pytest.mark.parametrize(
    "params", [PAPER, np.array([0.3, 2.0, 1.0, 0.5]), np.array([5.0, 1.0, 3.0, 9.0])]
)
def test_likelihood_sums_to_one_over_all_sequences(n, params):
    # Independent check of eq. (5): the probabilities of every possible purchase string of
    # length n add up to 1 (each (x, t_x) stands for C(t_x - 1, x - 1) strings).
    xs, txs, counts = _all_histories(n)
    ll = k.log_likelihood_kernel(params, xs, txs, np.full(xs.size, n))
    assert float((counts * np.exp(ll)).sum()) == pytest.approx(1.0, rel=1e-12)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    n = rng.integers(1, 15, size=40)
    t_x = rng.integers(0, n + 1)
    x = np.minimum(rng.integers(0, 15, size=40), t_x)
    x = np.where(t_x == 0, 0, np.maximum(x, 1))
    for params in (PAPER, np.array([0.4, 3.0, 1.5, 0.7])):
        _, grad = k.log_likelihood_gradient_kernel(params, x, t_x, n)
        for i in range(x.size):

            def f(p, i=i):
                return k.log_likelihood_kernel(p, x[i : i + 1], t_x[i : i + 1], n[i : i + 1])[0]

            h = 1e-6 * params
            num = np.array(
                [
                    (f(params + hj * e) - f(params - hj * e)) / (2 * hj)
                    for hj, e in zip(h, np.eye(4), strict=True)
                ]
            )
            np.testing.assert_allclose(grad[i], num, rtol=1e-6, atol=1e-7)


def test_gradient_of_total_matches_approx_fprime_on_donations():
    x, t_x, n, w = _donations_arrays()

    def total(p):
        return float((k.log_likelihood_kernel(p, x, t_x, n) * w).sum())

    _, grad = k.log_likelihood_gradient_kernel(PAPER, x, t_x, n)
    num = approx_fprime(PAPER, total, 1e-7)
    np.testing.assert_allclose((grad * w[:, None]).sum(axis=0), num, rtol=1e-3, atol=2e-2)


def test_expected_purchases_equals_sum_of_alive_probabilities():
    # E[X(n, n+t)] = sum_k P(alive at n+k) * E[p | history] with E[p | .] = (a+x)/(a+b+n).
    x, t_x, n, _ = _donations_arrays()
    for t in (1, 4, 10):
        brute = sum(
            k.probability_alive_kernel(PAPER, x, t_x, n, j)
            * (PAPER[0] + x)
            / (PAPER[0] + PAPER[1] + n)
            for j in range(1, t + 1)
        )
        np.testing.assert_allclose(
            k.expected_purchases_kernel(PAPER, x, t_x, n, t), brute, rtol=1e-12
        )


@pytest.mark.parametrize("gamma", [0.657, 1.0, 1.0 + 1e-9, 1.00005, 0.99995, 1.3, 4.0])
def test_new_customer_purchases_against_brute_force(gamma):
    params = PAPER.copy()
    params[2] = gamma
    for n in (1, 2, 6, 10):
        xs, txs, counts = _all_histories(n)
        probs = counts * np.exp(k.log_likelihood_kernel(params, xs, txs, np.full(xs.size, n)))
        brute = float((probs * xs).sum())
        got = float(k.expected_purchases_new_customer_kernel(params, n))
        assert got == pytest.approx(brute, rel=1e-9)


def test_survival_sum_long_horizon_stays_finite_and_exact():
    params = PAPER.copy()
    params[2] = 1.0 + 2e-5
    t = 5000
    direct = (
        params[0]
        / (params[0] + params[1])
        * np.exp(
            betaln(params[2], params[3] + np.arange(1, t + 1)) - betaln(params[2], params[3])
        ).sum()
    )
    got = float(k.expected_purchases_new_customer_kernel(params, t))
    assert got == pytest.approx(direct, rel=1e-9)


# ----------------------------------------------------------------------------- lifetimes parity


@pytest.fixture(scope="module")
def lifetimes_bgbb():
    lifetimes = pytest.importorskip("lifetimes")
    import pandas as pd

    fitter = lifetimes.BetaGeoBetaBinomFitter()
    fitter.params_ = pd.Series(PAPER, index=list(k.PARAM_NAMES))
    return fitter


def test_parity_with_lifetimes_at_fixed_params(lifetimes_bgbb):
    x, t_x, n, _ = _donations_arrays()
    ours = k.log_likelihood_kernel(PAPER, x, t_x, n)
    theirs = lifetimes_bgbb._loglikelihood(PAPER, x, t_x, n)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    for m in (1, 2, 5, 10):
        np.testing.assert_allclose(
            k.expected_purchases_kernel(PAPER, x, t_x, n, m),
            lifetimes_bgbb.conditional_expected_number_of_purchases_up_to_time(m, x, t_x, n),
            rtol=1e-6,
        )
        np.testing.assert_allclose(
            k.probability_alive_kernel(PAPER, x, t_x, n, m),
            lifetimes_bgbb.conditional_probability_alive(m, x, t_x, n),
            rtol=1e-6,
        )


# ----------------------------------------------------------------------------- properties

params_st = st.tuples(*[st.floats(1e-2, 1e2) for _ in range(4)]).map(np.array)


@st.composite
def histories(draw):
    n = draw(st.integers(0, 400))
    t_x = draw(st.integers(0, n))
    x = 0 if t_x == 0 else draw(st.integers(1, t_x))
    return x, t_x, n


@settings(max_examples=150, deadline=None)
@given(params=params_st, history=histories(), t=st.integers(0, 300))
# found by hypothesis: the telescoped sum left -4e-47 at t=0
@example(params=np.array([1.0, 1.0, 69.0, 1.5]), history=(0, 0, 41), t=0)
def test_predictions_finite_and_in_range(params, history, t):
    x, t_x, n = (np.array([v]) for v in history)
    ll = k.log_likelihood_kernel(params, x, t_x, n)
    assert np.all(np.isfinite(ll))
    assert np.all(ll <= 1e-12)
    p_alive = k.probability_alive_kernel(params, x, t_x, n)
    assert np.all((p_alive >= 0) & (p_alive <= 1))
    e1 = k.expected_purchases_kernel(params, x, t_x, n, t)
    e2 = k.expected_purchases_kernel(params, x, t_x, n, t + 1)
    assert np.all(np.isfinite(e1))
    assert np.all(e1 >= 0)
    assert np.all(e2 >= e1 * (1 - 1e-12))
    assert np.all(e2 - e1 <= 1 + 1e-9)  # at most one purchase per opportunity
    new = k.expected_purchases_new_customer_kernel(params, np.array([t, t + 1]))
    assert np.all(np.isfinite(new))
    assert new[1] >= new[0] * (1 - 1e-12)


# ----------------------------------------------------------------------------- estimator


@pytest.fixture(scope="module")
def donations():
    return load_donations()


@pytest.fixture(scope="module")
def fitted(donations):
    return BetaGeoBetaBinomModel().fit(donations, sample_weight="weight")


def _expand(donations):
    return donations.loc[donations.index.repeat(donations["weight"])].drop(columns="weight")


def test_fit_matches_published_estimates(fitted):
    # Fader, Hardie & Shang (2010): alpha 1.204, beta 0.750, gamma 0.657, delta 2.783.
    assert fitted.params_.index.tolist() == ["alpha", "beta", "gamma", "delta"]
    np.testing.assert_array_equal(fitted.params_.round(3).to_numpy(), PAPER)
    assert fitted.log_likelihood_ == pytest.approx(-33225.6, abs=0.05)
    assert fitted.n_customers_ == 11104
    assert fitted.convergence_.success
    assert fitted.convergence_.hessian_positive_definite
    assert fitted.time_unit_ == "period"  # from load_donations().attrs
    assert fitted.summary_.columns.tolist() == ["coef", "se", "lower", "upper"]
    assert (fitted.summary_["se"] > 0).all()
    cov = fitted.covariance_.to_numpy()
    np.testing.assert_allclose(cov, cov.T)


def test_log_likelihood_method(donations, fitted):
    ll = fitted.log_likelihood(donations, sample_weight="weight")
    assert ll == pytest.approx(fitted.log_likelihood_, rel=1e-12)
    m = BetaGeoBetaBinomModel.from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    assert m.log_likelihood(donations, sample_weight="weight") == pytest.approx(-33225.6, abs=0.05)


def test_predictions_are_series_on_the_index_and_match_lifetimes(donations, fitted, lifetimes_bgbb):
    df = donations.set_index(pd.Index([f"c{i}" for i in range(len(donations))], name="id"))
    params = fitted.params_.to_numpy()
    lifetimes_bgbb.params_ = fitted.params_.copy()
    x, t_x, n = (df[c].to_numpy() for c in ["frequency", "recency", "n_periods"])
    alive = fitted.probability_alive(df)
    assert isinstance(alive, pd.Series)
    assert alive.name == "probability_alive"
    assert alive.index.equals(df.index)
    np.testing.assert_allclose(
        alive, lifetimes_bgbb.conditional_probability_alive(1, x, t_x, n), rtol=1e-6
    )
    np.testing.assert_allclose(
        fitted.probability_alive(df, periods_ahead=3),
        lifetimes_bgbb.conditional_probability_alive(3, x, t_x, n),
        rtol=1e-6,
    )
    expected = fitted.expected_purchases(df, t=5)
    assert expected.name == "expected_purchases"
    np.testing.assert_allclose(
        expected,
        lifetimes_bgbb.conditional_expected_number_of_purchases_up_to_time(5, x, t_x, n),
        rtol=1e-6,
    )
    # per-row horizons
    horizons = np.arange(len(df)) % 4
    np.testing.assert_allclose(
        fitted.expected_purchases(df, t=horizons),
        k.expected_purchases_kernel(params, x, t_x, n, horizons),
        rtol=1e-12,
    )
    # array input gives arrays
    arr = fitted.probability_alive(df[["frequency", "recency", "n_periods"]].to_numpy())
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, alive.to_numpy())


def test_probability_of_purchases_sums_to_one_and_gives_the_mean(donations, fitted):
    t = 5
    probs = np.column_stack(
        [fitted.probability_of_purchases(donations, n=j, t=t).to_numpy() for j in range(t + 1)]
    )
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    mean = probs @ np.arange(t + 1)
    np.testing.assert_allclose(mean, fitted.expected_purchases(donations, t=t), rtol=1e-10)
    assert np.all(fitted.probability_of_purchases(donations, n=t + 1, t=t) == 0)


def test_expected_purchases_new_customer(fitted):
    # in-sample check: the model's mean over the 6 observed opportunities is close to the data's
    # (FHS 2010, Figure 3 shows the close in-sample fit of the frequency distribution)
    value = fitted.expected_purchases_new_customer(t=6)
    assert isinstance(value, float)
    d = load_donations()
    observed = float((d["frequency"] * d["weight"]).sum() / d["weight"].sum())
    assert value == pytest.approx(observed, rel=0.01)
    arr = fitted.expected_purchases_new_customer(t=[0, 1, 6])
    assert isinstance(arr, np.ndarray)
    assert arr[0] == 0.0
    assert arr[2] == pytest.approx(value)


def test_fit_recovers_simulated_parameters():
    rng = np.random.default_rng(2024)
    true = np.array([0.8, 1.6, 0.5, 2.5])
    n_customers, n = 30_000, 12
    p = rng.beta(true[0], true[1], n_customers)
    theta = rng.beta(true[2], true[3], n_customers)
    alive_for = rng.geometric(theta) - 1  # P(alive through j opportunities) = (1 - theta)^j
    j = np.arange(1, n + 1)
    buys = (rng.random((n_customers, n)) < p[:, None]) & (j[None, :] <= alive_for[:, None])
    x = buys.sum(axis=1)
    t_x = np.where(x > 0, (buys * j).max(axis=1), 0)
    data = pd.DataFrame({"frequency": x, "recency": t_x, "n_periods": n})
    model = BetaGeoBetaBinomModel().fit(data)
    z = (model.params_.to_numpy() - true) / model.summary_["se"].to_numpy()
    assert np.all(np.abs(z) < 4), (model.params_, z)


def test_not_fitted_and_from_params_errors(donations):
    with pytest.raises(NotFittedError, match="fit"):
        BetaGeoBetaBinomModel().probability_alive(donations)
    with pytest.raises(ParameterError, match="delta"):
        BetaGeoBetaBinomModel.from_params(alpha=1.0, beta=1.0, gamma=1.0)
    m = BetaGeoBetaBinomModel.from_params(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0)
    for bad in (-1, 1.5, np.nan):
        with pytest.raises(ParameterError, match="whole number"):
            m.expected_purchases(donations, t=bad)
    with pytest.raises(ParameterError, match="periods_ahead"):
        m.probability_alive(donations, periods_ahead=-2)


@pytest.mark.parametrize(
    ("columns", "column", "rule"),
    [  # (frequency, recency, n_periods) of two customers, one of whom breaks the rule
        (([1, 2], [3, 7], [6, 6]), "recency", "recency <= n_periods"),
        (([0, 2], [2, 3], [6, 6]), "recency", "recency == 0 when frequency == 0"),
        (([4, 2], [3, 3], [6, 6]), "frequency", "frequency <= recency"),
        (([1.5, 2], [3, 3], [6, 6]), "frequency", "whole number"),
        (([1, 2], [3, 3], [6, 6.5]), "n_periods", "whole number"),
        (([-1, 2], [0, 3], [6, 6]), "frequency", ">= 0"),
        (([1, np.nan], [3, 3], [6, 6]), "frequency", "missing"),
    ],
)
def test_bad_inputs_raise_clear_errors(columns, column, rule):
    names = ("frequency", "recency", "n_periods")
    df = pd.DataFrame(dict(zip(names, columns, strict=True)), index=["a", "b"])
    with pytest.raises(DataValidationError, match=rule) as info:
        BetaGeoBetaBinomModel().fit(df)
    assert info.value.column == column
    assert info.value.n_rows == 1
    model = BetaGeoBetaBinomModel.from_params(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0)
    with pytest.raises(DataValidationError, match=rule):
        model.probability_alive(df)


def test_empty_and_missing_columns():
    empty = pd.DataFrame({"frequency": [], "recency": [], "n_periods": []})
    with pytest.raises(DataValidationError, match="empty"):
        BetaGeoBetaBinomModel().fit(empty)
    with pytest.raises(MissingColumnError, match="n_periods"):
        BetaGeoBetaBinomModel().fit(pd.DataFrame({"frequency": [1], "recency": [1], "T": [2]}))


def test_table_kernels_match_the_direct_implementation():
    rng = np.random.default_rng(17)
    n = rng.integers(0, 60, size=500)
    t_x = rng.integers(0, n + 1)
    x = np.where(t_x == 0, 0, rng.integers(1, np.maximum(t_x, 1) + 1))
    for params in (PAPER, np.array([0.05, 30.0, 4.0, 0.02]), np.array([300.0, 2.0, 0.5, 90.0])):
        xf, tf, nf = (v.astype(float) for v in (x, t_x, n))
        _, ref_ll = _direct_log_terms(params, xf, tf, nf)
        ref_ll2, ref_grad = _direct_gradient(params, xf, tf, nf)
        ll, grad = k.log_likelihood_gradient_kernel(params, x, t_x, n)
        np.testing.assert_allclose(ll, ref_ll, rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(
            k.log_likelihood_kernel(params, x, t_x, n), ref_ll2, rtol=1e-11, atol=1e-11
        )
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-8, atol=1e-9)
