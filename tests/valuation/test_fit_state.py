"""One "not fitted" check for every valuation model, and the fitted state it guards."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from customer_models import NotFittedError
from customer_models.valuation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
)
from customer_models.valuation._fit_result import (
    estimate_tables,
    information_criteria,
    require_fitted,
)

MODELS = [
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    BetaGeoBetaBinomModel,
    ShiftedBetaGeoModel,
    GammaGammaModel,
]


@pytest.mark.parametrize("model", MODELS)
def test_every_model_says_it_is_not_fitted_the_same_way(model, tmp_path):
    fresh = model()
    expected = (
        rf"^This {model.__name__} is not fitted yet; call fit\(data\) or build it with "
        rf"{model.__name__}\.from_params\(\.\.\.\)\.$"
    )
    with pytest.raises(NotFittedError, match=expected):
        fresh._params_array()
    with pytest.raises(NotFittedError, match=expected):
        fresh.save(tmp_path / "m.json")


def test_role_names_the_argument_of_a_function():
    with pytest.raises(
        NotFittedError,
        match=r"^This BetaGeoModel is not fitted yet; fit the transaction_model \(or use "
        r"from_params\(\.\.\.\)\) first\.$",
    ):
        require_fitted(BetaGeoModel(), role="transaction_model")
    require_fitted(BetaGeoModel.from_params(r=1, alpha=1, a=1, b=1), role="transaction_model")


def test_summary_interval_is_on_the_log_scale_and_nan_without_covariance():
    values = np.array([2.0, 0.5])
    cov = np.diag([0.04, 0.0025])
    params, cov_frame, summary = estimate_tables(["a", "b"], values, cov)
    se = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(summary["se"], se)
    np.testing.assert_allclose(summary["lower"] * summary["upper"], values**2)  # symmetric in log
    np.testing.assert_allclose(np.log(summary["upper"] / values), 1.959963984540054 * se / values)
    assert list(params.index) == ["a", "b"]
    assert cov_frame is not None
    _, none, bare = estimate_tables(["a", "b"], values, None)
    assert none is None
    assert bare[["se", "lower", "upper"]].isna().all().all()
    # an estimate at the boundary (GGompertz/NBD's b on CDNOW): unbounded, no overflow warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, edge = estimate_tables(["b"], np.array([1e-9]), np.array([[1e-6]]))
    assert edge["upper"].iloc[0] == np.inf
    assert edge["lower"].iloc[0] == 0.0
    aic, bic = information_criteria(2, -10.0, float("nan"))
    assert aic == 24.0
    assert np.isnan(bic)
