"""Hooks a model leaves out are derived: log-likelihood, numeric gradient, new-customer mean."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from customer_models import make_transactions, rfm_summary
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    PurchaseModel,
    _optimize,
)
from customer_models.valuation._derivatives import (
    CentralDifferenceDerivatives,
    CentralDifferenceGradient,
    FirstOutput,
    NewCustomerFromConditional,
)
from customer_models.valuation._discrete import DiscretePurchaseModel


class LoglikOnlyBetaGeo(PurchaseModel):
    """BG/NBD declared by its per-row log-likelihood alone: no gradient, no Hessian."""

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)
    _loglik_kernel = staticmethod(BetaGeoModel._loglik_kernel)
    _alive_kernel = staticmethod(BetaGeoModel._alive_kernel)
    _expected_kernel = staticmethod(BetaGeoModel._expected_kernel)


class GradientOnlyBetaGeo(PurchaseModel):
    """BG/NBD declared by its per-row (log-likelihood, gradient) alone."""

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)
    _loglik_gradient_kernel = staticmethod(BetaGeoModel._loglik_gradient_kernel)


def _rows(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 30, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, rng.uniform(0.0, 1.0, n) * T, 0.0)
    return x, t_x, T


def test_loglik_only_model_gets_a_difference_gradient_and_hessian():
    assert isinstance(LoglikOnlyBetaGeo._loglik_gradient_kernel, CentralDifferenceGradient)
    assert isinstance(LoglikOnlyBetaGeo._loglik_derivatives(), CentralDifferenceDerivatives)
    assert isinstance(GradientOnlyBetaGeo._loglik_kernel, FirstOutput)


@pytest.mark.parametrize("model", [BetaGeoModel, ParetoNBDModel])
@pytest.mark.parametrize("params", [[0.243, 4.414, 0.793, 2.426], [2.0, 0.3, 5.0, 40.0]])
def test_row_difference_gradient_matches_the_analytic_one(model, params):
    x, t_x, T = _rows(1)
    p = np.array(params)
    ll, grad = CentralDifferenceGradient(model._loglik_kernel)(p, x, t_x, T)
    ll_ref, grad_ref = model._loglik_gradient_kernel(p, x, t_x, T)
    np.testing.assert_array_equal(ll, ll_ref)
    scale = np.abs(grad_ref).max(axis=0)  # per parameter, so near-zero entries are judged fairly
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-6, atol=1e-8 * scale.max())
    assert np.all(np.abs(grad - grad_ref) <= 1e-6 * scale + 1e-12)


def test_difference_hessian_matches_the_analytic_bgnbd_hessian():
    x, t_x, T = _rows(2)
    w = np.random.default_rng(3).integers(1, 5, x.size).astype(float)
    p = np.array([0.6, 3.0, 1.2, 2.5])
    ll, grad, hess = CentralDifferenceDerivatives(BetaGeoModel._loglik_kernel)(
        p, w, x, t_x, T, hessian=True
    )
    ll_ref, grad_ref, hess_ref = BetaGeoModel._loglik_derivatives()(p, w, x, t_x, T, hessian=True)
    assert ll == pytest.approx(ll_ref, rel=1e-13)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-6, atol=1e-7 * np.abs(grad_ref).max())
    # compared in log space, where the fit inverts it: H_log = P H P + diag(P g)
    log_hess = p[:, None] * hess * p[None, :] + np.diag(p * grad)
    log_ref = p[:, None] * hess_ref * p[None, :] + np.diag(p * grad_ref)
    np.testing.assert_allclose(log_hess, log_ref, rtol=1e-5, atol=1e-6 * np.abs(log_ref).max())


def test_loglik_only_bgnbd_fits_cdnow_like_the_analytic_model(cdnow):
    analytic = BetaGeoModel().fit(cdnow)
    numeric = LoglikOnlyBetaGeo().fit(cdnow)
    assert numeric.convergence_.success
    np.testing.assert_allclose(numeric.params_, analytic.params_, rtol=1e-6)
    np.testing.assert_allclose(numeric.summary_["se"], analytic.summary_["se"], rtol=1e-4)
    np.testing.assert_allclose(numeric.covariance_, analytic.covariance_, rtol=1e-4)
    assert numeric.log_likelihood_ == pytest.approx(analytic.log_likelihood_, rel=1e-12)
    assert numeric.log_likelihood(cdnow) == pytest.approx(analytic.log_likelihood_, rel=1e-12)
    # the predictions it declared work as the model's
    pd.testing.assert_series_equal(
        numeric.probability_alive(cdnow.head(20)),
        BetaGeoModel.from_params(**numeric.params_).probability_alive(cdnow.head(20)),
    )


def test_loglik_only_bgnbd_through_the_coarse_sample(monkeypatch):
    """On large data the coarse L-BFGS-B stage runs on a sample, with difference gradients too."""
    monkeypatch.setattr(_optimize, "COARSE_SAMPLE", 2_000)
    data = rfm_summary(make_transactions(30_000, random_state=11), time_unit="W")
    analytic = BetaGeoModel().fit(data)
    numeric = LoglikOnlyBetaGeo().fit(data)
    assert "a sample of 2,000 customers" in numeric.convergence_.message
    assert numeric.convergence_.success
    np.testing.assert_allclose(numeric.params_, analytic.params_, rtol=1e-6)
    np.testing.assert_allclose(numeric.summary_["se"], analytic.summary_["se"], rtol=1e-4)


def test_gradient_only_model_gets_its_loglik_from_the_first_output(cdnow):
    x, t_x, T = _rows(4)
    p = np.array([0.243, 4.414, 0.793, 2.426])
    np.testing.assert_array_equal(
        GradientOnlyBetaGeo._loglik_kernel(p, x, t_x, T), BetaGeoModel._loglik_kernel(p, x, t_x, T)
    )
    fitted = GradientOnlyBetaGeo().fit(cdnow)
    reference = BetaGeoModel().fit(cdnow)
    np.testing.assert_allclose(fitted.params_, reference.params_, rtol=1e-7)
    assert fitted.log_likelihood_ == pytest.approx(reference.log_likelihood_, rel=1e-12)


def test_a_subclass_with_a_new_loglik_gets_a_new_difference_gradient():
    class Tempered(LoglikOnlyBetaGeo):
        @staticmethod
        def _loglik_kernel(params: np.ndarray, *columns: np.ndarray) -> np.ndarray:
            return 0.5 * BetaGeoModel._loglik_kernel(params, *columns)

    x, t_x, T = _rows(5)
    p = np.array([0.6, 3.0, 1.2, 2.5])
    _, grad = Tempered._loglik_gradient_kernel(p, x, t_x, T)
    _, parent = LoglikOnlyBetaGeo._loglik_gradient_kernel(p, x, t_x, T)
    np.testing.assert_allclose(grad, 0.5 * parent, rtol=1e-6, atol=1e-12)


def test_a_model_without_a_likelihood_says_what_to_declare(cdnow):
    class Empty(PurchaseModel):
        param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
        _default_initial_params: ClassVar[tuple[float, ...]] = (1.0, 1.0, 1.0, 1.0)

    assert Empty._loglik_kernel is None
    with pytest.raises(NotImplementedError, match="_loglik_kernel"):
        Empty().fit(cdnow)


@pytest.mark.parametrize(
    ("model", "params"),
    [
        (BetaGeoModel, [[0.243, 4.414, 0.793, 2.426], [2.0, 0.3, 5.0, 40.0], [0.05, 50, 0.1, 0.2]]),
        (ModifiedBetaGeoModel, [[0.5, 4.0, 0.8, 2.5], [3.0, 0.7, 0.2, 9.0]]),
        (ParetoNBDModel, [[0.553, 10.578, 0.606, 11.669], [2.0, 0.5, 0.05, 300.0]]),
    ],
)
def test_new_customer_mean_is_the_conditional_mean_at_zero_history(model, params):
    """E[X(t)] = E[X(T, T + t) | x = 0, t_x = 0, T = 0]: the identity behind the default."""
    derived = NewCustomerFromConditional(model._expected_kernel)
    t = np.array([0.0, 0.5, 1.0, 13.0, 39.0, 52.0, 500.0])
    for p in params:
        p = np.array(p, dtype=float)
        declared = np.asarray(model._new_customer_kernel(p, t))
        np.testing.assert_allclose(derived(p, t), declared, rtol=1e-12, atol=1e-300)
        assert np.ndim(derived(p, 39.0)) == 0
        assert float(derived(p, 39.0)) == pytest.approx(float(declared[4]), rel=1e-12)


def test_a_model_without_a_new_customer_kernel_gets_the_derived_one():
    assert isinstance(LoglikOnlyBetaGeo._new_customer_kernel, NewCustomerFromConditional)
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    derived = LoglikOnlyBetaGeo.from_params(**params)
    declared = BetaGeoModel.from_params(**params)
    value = derived.expected_purchases_new_customer(t=39)
    assert isinstance(value, float)
    assert value == pytest.approx(declared.expected_purchases_new_customer(t=39), rel=1e-12)
    t = np.array([[1.0, 2.0], [10.0, 0.0]])
    np.testing.assert_allclose(
        derived.expected_purchases_new_customer(t=t),
        declared.expected_purchases_new_customer(t=t),
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    "params", [[1.204, 0.75, 0.657, 2.783], [0.3, 5.0, 2.0, 0.4], [20.0, 1.0, 0.05, 30.0]]
)
def test_discrete_new_customer_mean_is_the_conditional_mean_at_zero_opportunities(params):
    """BG/BB: E[X(0, t)] = E[X(n, n + t) | x = 0, t_x = 0, n = 0]."""
    p = np.array(params)
    t = np.array([0.0, 1.0, 2.0, 6.0, 30.0, 200.0])
    derived = NewCustomerFromConditional(BetaGeoBetaBinomModel._expected_kernel)
    declared = BetaGeoBetaBinomModel._new_customer_kernel(p, t)
    np.testing.assert_allclose(derived(p, t), declared, rtol=1e-12, atol=1e-300)

    class ExpectedOnlyBGBB(DiscretePurchaseModel):
        param_names: ClassVar[tuple[str, ...]] = BetaGeoBetaBinomModel.param_names
        _loglik_kernel = staticmethod(BetaGeoBetaBinomModel._loglik_kernel)
        _expected_kernel = staticmethod(BetaGeoBetaBinomModel._expected_kernel)

    values = dict(zip(ExpectedOnlyBGBB.param_names, params, strict=True))
    got = ExpectedOnlyBGBB.from_params(**values).expected_purchases_new_customer(t=6)
    assert isinstance(got, float)
    assert got == pytest.approx(float(declared[3]), rel=1e-12)
