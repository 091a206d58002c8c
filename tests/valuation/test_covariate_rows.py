"""Per-row parameters of the covariate models: values by hand, the input checks of predictions.

The scoring path reads each covariate column once (``CovariateParamsMixin._row_params``);
these tests compare its per-customer parameters and P(alive) with formulas written out here
(BG/NBD's closed form at ``alpha_i = alpha exp(-gamma'z)``, ``a_i``, ``b_i``), with links
that share columns and a link acting on two parameters, and check that bad covariates in
predictions raise the library's errors naming the column while the input is left as given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models.exceptions import CustomerModelsError, DataValidationError
from customer_models.valuation._bgnbd_covariates import BetaGeoCovariateModel
from customer_models.valuation._gamma_gamma_covariates import GammaGammaCovariateModel

BASE = {"r": 0.8, "alpha": 5.0, "a": 0.8, "b": 3.0}


def _frame(n: int = 50, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.uniform(10.0, 40.0, n)
    x = rng.integers(0, 6, n).astype(float)
    recency = np.where(x > 0, T * rng.uniform(0.1, 1.0, n), 0.0)
    frame = pd.DataFrame(
        {
            "frequency": x,
            "recency": recency,
            "T": T,
            "age": rng.normal(size=n),
            "web": rng.integers(0, 2, n).astype(float),
            "visits": rng.poisson(3.0, n).astype(float),
        },
        index=[f"c{i}" for i in range(n)],
    )
    frame.attrs["time_unit"] = "W"
    return frame


def _alive_by_hand(frame: pd.DataFrame, r, alpha, a, b) -> np.ndarray:
    """BG/NBD P(alive) (Fader, Hardie and Lee 2005, eq. 13), per customer."""
    x, t_x, T = (frame[c].to_numpy() for c in ("frequency", "recency", "T"))
    odds = a / (b + x - 1.0) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return np.where(x > 0, 1.0 / (1.0 + odds), 1.0)


def test_separate_links_sharing_columns_match_the_parametrization_by_hand():
    coefs = {"gamma:age": 0.4, "gamma:web": -0.3, "gamma:visits": 0.1}
    coefs |= {"delta_a:web": 0.5, "delta_a:age": -0.2, "delta_b:web": -0.3, "delta_b:age": 0.7}
    model = BetaGeoCovariateModel.from_params(time_unit="W", **BASE, **coefs)
    frame = _frame()
    age, web, visits = (frame[c].to_numpy() for c in ("age", "web", "visits"))
    alpha_i = 5.0 * np.exp(-(0.4 * age - 0.3 * web + 0.1 * visits))
    a_i = 0.8 * np.exp(0.5 * web - 0.2 * age)
    b_i = 3.0 * np.exp(-0.3 * web + 0.7 * age)
    params = model._row_params(frame, "data")
    np.testing.assert_allclose(params[0], 0.8, rtol=1e-15)
    np.testing.assert_allclose(params[1], alpha_i, rtol=1e-13)
    np.testing.assert_allclose(params[2], a_i, rtol=1e-13)
    np.testing.assert_allclose(params[3], b_i, rtol=1e-13)
    alive = model.probability_alive(frame)
    np.testing.assert_allclose(alive, _alive_by_hand(frame, 0.8, alpha_i, a_i, b_i), rtol=1e-12)
    assert alive.index.equals(frame.index)


def test_a_shared_link_moves_both_dropout_shapes_by_the_same_factor():
    coefs = {"gamma:visits": 0.2, "delta:age": 0.6, "delta:web": -0.4}
    model = BetaGeoCovariateModel.from_params(time_unit="W", **BASE, **coefs)
    frame = _frame(seed=8)
    age, web, visits = (frame[c].to_numpy() for c in ("age", "web", "visits"))
    factor = np.exp(0.6 * age - 0.4 * web)
    params = model._row_params(frame, "data")
    np.testing.assert_allclose(params[1], 5.0 * np.exp(-0.2 * visits), rtol=1e-13)
    np.testing.assert_allclose(params[2], 0.8 * factor, rtol=1e-13)
    np.testing.assert_allclose(params[3], 3.0 * factor, rtol=1e-13)


def test_zero_coefficients_and_integer_or_boolean_columns():
    """A zero coefficient leaves the parameter; int and bool columns count as their numbers."""
    coefs = {"gamma:visits": 0.0, "gamma:web": 0.3, "delta_a:web": 0.0, "delta_b:web": 0.0}
    model = BetaGeoCovariateModel.from_params(time_unit="W", **BASE, **coefs)
    frame = _frame(seed=5)
    typed = frame.assign(visits=frame["visits"].astype(int), web=frame["web"].astype(bool))
    params = model._row_params(typed, "data")
    np.testing.assert_allclose(
        params[[0, 2, 3]], np.array([[0.8], [0.8], [3.0]]) + 0 * params[:3], rtol=1e-15
    )
    np.testing.assert_allclose(params[1], 5.0 * np.exp(-0.3 * frame["web"].to_numpy()), rtol=1e-13)
    pd.testing.assert_series_equal(
        model.expected_purchases(typed, t=10.0), model.expected_purchases(frame, t=10.0)
    )


def test_predictions_leave_the_input_frame_as_given():
    model = BetaGeoCovariateModel.from_params(
        time_unit="W", **BASE, **{"gamma:age": 0.4, "delta_a:age": 0.2, "delta_b:age": -0.1}
    )
    frame = _frame(seed=11)
    before = frame.copy()
    alive = model.probability_alive(frame)
    model.expected_purchases(frame, t=5.0)
    params = model._row_params(frame, "data")
    params[:] = -1.0  # the per-row parameters are a new array, not a view of the frame
    pd.testing.assert_frame_equal(frame, before)
    np.testing.assert_array_equal(model.probability_alive(frame), alive)


_MODEL = BetaGeoCovariateModel.from_params(
    time_unit="W", **BASE, **{"gamma:age": 0.4, "delta_a:web": 0.5, "delta_b:web": -0.3}
)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda f: f.drop(columns="web"), CustomerModelsError, "web"),
        (
            lambda f: f.assign(age=f["age"].where(f.index != "c4")),
            DataValidationError,
            r"age.*finite.*c4",
        ),
        (
            lambda f: f.assign(web=f["web"].mask(f.index == "c7", np.inf)),
            DataValidationError,
            r"web.*finite.*c7",
        ),
        (
            lambda f: f.assign(age=f["age"].astype("Float64").mask(f.index == "c2", pd.NA)),
            DataValidationError,
            r"age.*finite.*c2",
        ),
        (
            lambda f: f.assign(web=np.where(f["web"] > 0, "web", "shop")),
            DataValidationError,
            "one_hot_covariates",
        ),
        (lambda f: f.assign(recency=f["T"] + 1.0), DataValidationError, "recency"),
        (
            lambda f: f.assign(frequency=f["frequency"].where(f.index != "c1")),
            DataValidationError,
            "frequency",
        ),
    ],
    ids=["missing", "nan", "inf", "pd.NA", "non-numeric", "recency>T", "nan frequency"],
)
@pytest.mark.parametrize("method", ["probability_alive", "expected_purchases"])
def test_bad_rows_in_predictions_raise_naming_the_column(change, error, match, method):
    bad = change(_frame())
    call = getattr(_MODEL, method)
    with pytest.raises(error, match=match):
        call(bad) if method == "probability_alive" else call(bad, t=5.0)


def test_gamma_gamma_spend_scale_by_hand():
    """``v_i = v exp(theta'z)``; E[spend | x, mean m] = p (v_i + x m) / (p x + q - 1)."""
    model = GammaGammaCovariateModel.from_params(
        time_unit="W", p=6.0, q=4.0, v=15.0, **{"theta:age": 0.3, "theta:web": -0.2}
    )
    frame = _frame(seed=4)
    frame["monetary_value"] = np.where(frame["frequency"] > 0, 20.0 + frame["visits"], 0.0)
    age, web = frame["age"].to_numpy(), frame["web"].to_numpy()
    v_i = 15.0 * np.exp(0.3 * age - 0.2 * web)
    params = model._row_params(frame, "data")
    np.testing.assert_allclose(params[:2], np.array([[6.0], [4.0]]) + 0 * params[:2], rtol=1e-15)
    np.testing.assert_allclose(params[2], v_i, rtol=1e-13)
    x, m = frame["frequency"].to_numpy(), frame["monetary_value"].to_numpy()
    np.testing.assert_allclose(
        model.expected_spend(frame), 6.0 * (v_i + x * m) / (6.0 * x + 4.0 - 1.0), rtol=1e-12
    )
