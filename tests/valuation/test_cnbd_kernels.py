"""BG/CNBD-k and MBG/CNBD-k kernels: k = 1 is BG/NBD (MBG/NBD); k > 1 against independent
quadratures of the model's definition and against simulations of its generative process."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _cnbd_sim import simulate_cnbd
from scipy import integrate, stats
from scipy.special import betaln, gammainc

from customer_models import load_cdnow_summary
from customer_models.valuation import _bgnbd_likelihood as bg_lik
from customer_models.valuation import _bgnbd_predictions as bg_pred
from customer_models.valuation._cnbd_likelihood import (
    log_likelihood_gradient_kernel,
    log_likelihood_kernel,
    probability_alive_kernel,
)
from customer_models.valuation._cnbd_predictions import (
    expected_purchases_kernel,
    probability_of_purchases_kernel,
)
from customer_models.valuation._derivatives import CentralDifferenceGradient

BG = [0.243, 4.414, 0.793, 2.426]  # FHL (2005) CDNOW estimates, weeks
MODELS = [False, True]  # BG/CNBD-k, MBG/CNBD-k


@pytest.fixture(scope="module")
def cdnow_arrays():
    d = load_cdnow_summary()
    return tuple(d[c].to_numpy(np.float64) for c in ("frequency", "recency", "T"))


# ------------------------------------------------------------------ k = 1 is BG/NBD, MBG/NBD
@pytest.mark.parametrize("modified", MODELS)
def test_k1_likelihood_gradient_and_alive_are_the_bg_kernels(cdnow_arrays, modified):
    x, t_x, T = cdnow_arrays
    params = np.array([1.0, *BG])
    ll = log_likelihood_kernel(params, x, t_x, T, modified=modified)
    ref = bg_lik.log_likelihood_kernel(BG, x, t_x, T, modified=modified)
    np.testing.assert_allclose(ll, ref, rtol=1e-10, atol=1e-10)
    _, grad = log_likelihood_gradient_kernel(params, x, t_x, T, modified=modified)
    _, grad_ref = bg_lik.log_likelihood_gradient_kernel(np.array(BG), x, t_x, T, modified=modified)
    np.testing.assert_allclose(grad[:, 1:], grad_ref, rtol=1e-10, atol=1e-10)
    assert np.all(grad[:, 0] == 0.0)
    alive = probability_alive_kernel(params, x, t_x, T, modified=modified)
    ref = bg_lik.probability_alive_kernel(BG, x, t_x, T, modified=modified)
    np.testing.assert_allclose(alive, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("modified", MODELS)
@pytest.mark.parametrize("t", [0.1, 10.0, 39.0, 260.0])
def test_k1_expectation_is_the_bg_closed_form(cdnow_arrays, modified, t):
    x, t_x, T = cdnow_arrays
    e = expected_purchases_kernel([1.0, *BG], x, t_x, T, t, modified=modified)
    ref = bg_pred.expected_purchases_kernel(BG, x, t_x, T, t, modified=modified)
    np.testing.assert_allclose(e, ref, rtol=1e-10)


@pytest.mark.parametrize("modified", MODELS)
@pytest.mark.parametrize("n", [0, 1, 3, 10])
def test_k1_pmf_is_the_bg_pmf(cdnow_arrays, modified, n):
    x, t_x, T = cdnow_arrays
    p = probability_of_purchases_kernel([1.0, *BG], n, x, t_x, T, 39.0, modified=modified)
    ref = bg_pred.probability_of_purchases_kernel(BG, n, x, t_x, T, 39.0, modified=modified)
    np.testing.assert_allclose(p, ref, rtol=1e-10, atol=1e-13)


# ------------------------------------------------------------------ k > 1: independent checks
K3 = (3, 0.8, 2.0, 0.9, 2.5)
ROWS = [
    (0.0, 0.0, 20.0, 0.0),
    (2.0, 10.0, 20.0, 3.0),
    (5.0, 30.0, 32.0, 9.5),
    (1.0, 2.0, 40.0, 0.7),
]


def _survival(k, lam, s):
    """P(Erlang(k, lam) > s)."""
    return sum(math.exp(-lam * s) * (lam * s) ** j / math.factorial(j) for j in range(k))


def _likelihood_by_quadrature(k, r, alpha, a, b, x, t_x, T, litt, modified):
    """The model's definition integrated over λ (quad) and p (Beta moments)."""
    shift = 1.0 if modified else 0.0
    alive_p = math.exp(betaln(a, b + x + shift) - betaln(a, b))
    dead_p = math.exp(betaln(a + 1, b + x - 1 + shift) - betaln(a, b)) if x > 0 or modified else 0
    const = (k - 1) * litt - x * math.lgamma(k)

    def integrand(lam):
        path = lam ** (k * x) * math.exp(-lam * t_x) * stats.gamma.pdf(lam, r, scale=1 / alpha)
        return path * (alive_p * _survival(k, lam, T - t_x) + dead_p)

    value, _ = integrate.quad(integrand, 0, np.inf, epsabs=0, epsrel=1e-13, limit=400)
    return const + math.log(value)


@pytest.mark.parametrize("modified", MODELS)
@pytest.mark.parametrize("row", ROWS)
def test_likelihood_at_k3_is_the_integral_of_the_definition(modified, row):
    x, t_x, T, litt = row
    ll = log_likelihood_kernel(list(K3), x, t_x, T, litt, modified=modified)
    ref = _likelihood_by_quadrature(*K3, x, t_x, T, litt, modified)
    assert float(ll) == pytest.approx(ref, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("modified", MODELS)
def test_gradient_at_k3_is_the_derivative(cdnow_arrays, modified):
    x, t_x, T = cdnow_arrays
    litt = np.zeros_like(x)  # any value: it does not enter the gradient
    params = np.array(K3, dtype=float)
    ll, grad = log_likelihood_gradient_kernel(params, x, t_x, T, litt, modified=modified)
    diff = CentralDifferenceGradient(lambda p, *c: log_likelihood_kernel(p, *c, modified=modified))
    ll_ref, grad_ref = diff(params, x, t_x, T, litt)
    np.testing.assert_allclose(ll, ll_ref, rtol=1e-14)
    scale = np.abs(grad_ref[:, 1:]).max(axis=0)
    assert np.all(np.abs(grad[:, 1:] - grad_ref[:, 1:]) <= 1e-6 * scale)


def _expected_by_quadrature(k, r, alpha, a, b, x, t_x, T, t, modified):
    """E[X(T, T+t) | x, t_x, T] from the definition, without the phase decomposition.

    Given λ, p and alive at T, the next purchase is at T + τ with density f_k(s+τ)/S_k(s)
    (s = T - t_x), and the m-th after it needs (m-1) k more phases: E[N | λ, p, alive] =
    sum_m (1-p)^(m-1) int_0^t f_k(s+τ) F_((m-1)k)(t-τ) dτ / S_k(s). τ by Gauss-Legendre,
    λ by quad against the λ-part of the likelihood, p by Beta moments.
    """
    shift = 1.0 if modified else 0.0
    s = T - t_x
    nodes, weights = np.polynomial.legendre.leggauss(200)
    tau = 0.5 * t * (nodes + 1.0)
    w_tau = 0.5 * t * weights
    lam_hi = stats.gamma.ppf(1 - 1e-16, r + k * x, scale=1 / (alpha + t_x))
    n_m = math.ceil((lam_hi * t + 30 * math.sqrt(lam_hi * t + 1) + 60) / k)
    m = np.arange(1, n_m + 1)
    coin = np.exp(betaln(a, b + x + shift + m - 1) - betaln(a, b))  # E[(1-p)^(x+s+m-1)]
    alive_p = math.exp(betaln(a, b + x + shift) - betaln(a, b))
    dead_p = math.exp(betaln(a + 1, b + x - 1 + shift) - betaln(a, b)) if x > 0 or modified else 0

    def posterior(lam):  # λ-part of the likelihood, normalised as a Gamma density
        return stats.gamma.pdf(lam, r + k * x, scale=1 / (alpha + t_x))

    def numerator(lam):
        first = stats.gamma.pdf(s + tau, k, scale=1 / lam)  # f_k(s + τ)
        later = np.ones((n_m, tau.size))
        later[1:] = gammainc(((m[1:] - 1) * k)[:, None], lam * (t - tau)[None, :])
        h = later @ (first * w_tau)
        return posterior(lam) * float(coin @ h)

    def denominator(lam):
        return posterior(lam) * (alive_p * _survival(k, lam, s) + dead_p)

    opts = {"epsabs": 0, "epsrel": 1e-12, "limit": 400}
    num, _ = integrate.quad(numerator, 0, lam_hi, **opts)
    den, _ = integrate.quad(denominator, 0, lam_hi, **opts)
    return num / den


@pytest.mark.parametrize("modified", MODELS)
@pytest.mark.parametrize("row", ROWS[:3])
def test_expectation_at_k3_is_the_integral_of_the_definition(modified, row):
    x, t_x, T, _ = row
    for t in (5.0, 26.0):
        e = expected_purchases_kernel(list(K3), x, t_x, T, t, modified=modified)
        ref = _expected_by_quadrature(*K3, x, t_x, T, t, modified)
        assert float(e) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("modified", MODELS)
def test_pmf_at_k3_sums_to_one_and_has_the_expectation_as_mean(modified):
    n = np.arange(400)[:, None]
    x, t_x, T = np.array([0.0, 2.0, 5.0]), np.array([0.0, 10.0, 30.0]), np.array([20.0, 20.0, 32])
    for t in (1.0, 39.0):
        p = probability_of_purchases_kernel(list(K3), n, x, t_x, T, t, modified=modified)
        assert np.all(p >= 0)
        np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-12)
        e = expected_purchases_kernel(list(K3), x, t_x, T, t, modified=modified)
        np.testing.assert_allclose((n * p).sum(axis=0), e, rtol=1e-10)


@pytest.mark.parametrize("modified", MODELS)
def test_expectation_and_alive_match_a_simulation_of_the_model(modified):
    """Law of total expectation: simulated holdout purchases against the conditional means."""
    k, r, alpha, a, b = K3
    sim = simulate_cnbd(
        200_000, k=k, r=r, alpha=alpha, a=a, b=b, T=30.0, horizon=20.0, modified=modified, seed=5
    )
    x, t_x, T = (sim[c].to_numpy() for c in ("frequency", "recency", "T"))
    e = expected_purchases_kernel(list(K3), x, t_x, T, 20.0, modified=modified)
    diff = sim["future"].to_numpy() - e
    assert abs(diff.mean()) < 4 * diff.std() / math.sqrt(diff.size)
    alive = probability_alive_kernel(list(K3), x, t_x, T, modified=modified)
    diff = sim["alive"].to_numpy() - alive
    assert abs(diff.mean()) < 4 * diff.std() / math.sqrt(diff.size)
    # the new-customer expectation: the mean calibration frequency over T = 30
    new = expected_purchases_kernel(list(K3), 0.0, 0.0, 0.0, 30.0, modified=modified)
    sd = sim["frequency"].std() / math.sqrt(len(sim))
    assert abs(sim["frequency"].mean() - float(new)) < 4 * sd


def test_expectation_stays_finite_and_bounded_on_extreme_rows():
    x = np.array([0.0, 200.0, 1.0, 50.0])
    t_x = np.array([0.0, 30.0, 1e-6, 0.5])
    T = np.array([1e-6, 40.0, 100.0, 80.0])
    for k in (2, 12):
        e = expected_purchases_kernel([k, 0.5, 4.0, 0.8, 2.5], x, t_x, T, 52.0)
        assert np.all(np.isfinite(e))
        assert np.all(e >= 0)
        alive = probability_alive_kernel([k, 0.5, 4.0, 0.8, 2.5], x, t_x, T)
        assert np.all((alive >= 0) & (alive <= 1))
