from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from customer_models import ConvergenceWarning, DataValidationError, ParameterError
from customer_models.valuation import BetaGeoModel, ParetoNBDModel, compress_patterns


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from([0.0, 1.5, 2.0])), min_size=1, max_size=40
    ),
    st.randoms(use_true_random=False),
)
def test_compress_patterns_round_trip_and_order_invariance(rows, rnd):
    a = np.array([r[0] for r in rows], dtype=float)
    b = np.array([r[1] for r in rows])
    p = compress_patterns([a, b])
    np.testing.assert_array_equal(p.columns[0][p.inverse], a)
    np.testing.assert_array_equal(p.columns[1][p.inverse], b)
    assert p.weights.sum() == len(rows)
    expected = sorted(set(zip(a.tolist(), b.tolist(), strict=True)))
    assert list(zip(p.columns[0].tolist(), p.columns[1].tolist(), strict=True)) == expected
    perm = list(range(len(rows)))
    rnd.shuffle(perm)
    q = compress_patterns([a[perm], b[perm]])
    np.testing.assert_array_equal(q.columns[0], p.columns[0])
    np.testing.assert_array_equal(q.weights, p.weights)


def test_init_only_stores_and_clone_works():
    model = BetaGeoModel(penalizer_coef=0.1, time_unit="D")
    assert model.get_params() == {"penalizer_coef": 0.1, "time_unit": "D"}
    assert clone(model).get_params() == model.get_params()


def test_covariance_is_delta_method_of_log_space_hessian(cdnow):
    from customer_models.valuation import _bgnbd

    model = BetaGeoModel().fit(cdnow)
    p = model.params_.to_numpy()
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))

    def total(theta):
        return _bgnbd.log_likelihood_kernel(np.exp(theta), x, t_x, T).sum()

    # Hessian of the log-likelihood in log space by second differences of the function only.
    theta, h, k = np.log(p), 1e-4, 4
    H = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = (
                total(theta + ei + ej)
                - total(theta + ei - ej)
                - total(theta - ei + ej)
                + total(theta - ei - ej)
            ) / (4 * h * h)
    expected = np.diag(p) @ np.linalg.inv(-H) @ np.diag(p)
    np.testing.assert_allclose(model.covariance_.to_numpy(), expected, rtol=1e-3)
    lower, upper = model.summary_["lower"], model.summary_["upper"]
    assert np.all(lower < model.params_)
    assert np.all(model.params_ < upper)


def test_penalizer_shrinks_parameters(cdnow):
    free = BetaGeoModel().fit(cdnow)
    penalized = BetaGeoModel(penalizer_coef=0.05).fit(cdnow)
    assert (penalized.params_**2).sum() < (free.params_**2).sum()
    assert penalized.log_likelihood_ < free.log_likelihood_


def test_bad_penalizer_raises(cdnow):
    with pytest.raises(ParameterError, match="penalizer_coef"):
        BetaGeoModel(penalizer_coef=-1).fit(cdnow)


def test_boundary_fit_warns_with_advice():
    # Nobody ever drops out and everybody buys at the same steady rate: the dropout
    # parameters run to the boundary.
    n = 400
    T = np.full(n, 50.0)
    x = np.full(n, 25)
    data = pd.DataFrame({"frequency": x, "recency": np.full(n, 49.5), "T": T})
    with pytest.warns(ConvergenceWarning, match="penalizer_coef") as record:
        model = BetaGeoModel().fit(data)
    assert "time unit" in str(record[0].message)
    assert str(record[0].message).startswith("BetaGeoModel fit: ")
    assert record[0].filename == __file__  # stacklevel: the caller's line
    assert not model.convergence_.success
    assert model.convergence_.at_boundary


def test_bad_weights_raise(cdnow):
    with pytest.raises(DataValidationError, match="sample_weight must be >= 0"):
        BetaGeoModel().fit(cdnow, sample_weight=-np.ones(len(cdnow)))
    with pytest.raises(ParameterError, match="entries"):
        BetaGeoModel().fit(cdnow, sample_weight=np.ones(3))


def test_from_params_validation():
    with pytest.raises(ParameterError, match="missing"):
        ParetoNBDModel.from_params(r=1.0, alpha=1.0, a=1.0, b=1.0)
    with pytest.raises(ParameterError, match=r"numbers in \[1\.39e-11, 7\.2e\+10\]"):
        BetaGeoModel.from_params(r=1.0, alpha=0.0, a=1.0, b=1.0)


def test_prediction_arguments_validated(cdnow):
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(ParameterError, match="t must be a number >= 0"):
        model.expected_purchases(cdnow, t=-1)
    with pytest.raises(ParameterError, match="whole number"):
        model.probability_of_purchases(cdnow, n=1.5, t=2)
    with pytest.raises(ParameterError, match="2-D"):
        model.probability_alive(np.zeros(3))


def test_array_and_mapping_input_return_ndarray(cdnow):
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    arr = cdnow[["frequency", "recency", "T"]].to_numpy(float)
    out = model.probability_alive(arr)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, model.probability_alive(cdnow).to_numpy())
    out2 = model.probability_alive({c: cdnow[c].to_numpy() for c in ("frequency", "recency", "T")})
    np.testing.assert_allclose(out2, out)


def test_polars_input_is_accepted(cdnow):
    pl = pytest.importorskip("polars")
    model = BetaGeoModel().fit(pl.from_pandas(cdnow.reset_index()))
    assert model.params_["r"] == pytest.approx(0.243, abs=5e-4)


def test_cdnow_published_summary_passes_validation(cdnow):
    # the published table is rounded to 2 decimals; it must still satisfy every rule
    BetaGeoModel.from_params(r=1, alpha=1, a=1, b=1)._prepare(cdnow)
