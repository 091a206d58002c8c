"""make_holdout_summary: the calibration/holdout frame of each model's generative process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from customer_models import make_holdout_summary
from customer_models.exceptions import CustomerModelsError
from customer_models.valuation import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

BG = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}
PARETO = {"r": 0.5, "alpha": 4.0, "s": 1.5, "beta": 20.0}


def test_nbd_counts_have_the_gamma_poisson_mean_and_variance():
    # nobody leaves: x | lambda ~ Poisson(lambda T), lambda ~ Gamma(r, alpha), so
    # E[x] = r T / alpha and Var[x] = r T / alpha + r T^2 / alpha^2 at a fixed T.
    r, alpha, T = 2.0, 5.0, 10.0
    data = make_holdout_summary(
        200_000,
        {"r": r, "alpha": alpha},
        process="nbd",
        calibration_span=(T, T),
        holdout=T,
        random_state=1,
    )
    mean, var = r * T / alpha, r * T / alpha + r * T**2 / alpha**2
    for column in ("frequency", "frequency_holdout"):
        x = data[column].to_numpy(dtype=float)
        assert abs(x.mean() - mean) < 4 * np.sqrt(var / x.size)
        assert x.var() == pytest.approx(var, rel=0.03)
    assert (data["recency"] <= data["T"]).all()
    assert (data.loc[data["frequency"] == 0, "recency"] == 0).all()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("process", "model", "params"),
    [
        ("bgnbd", BetaGeoModel, BG),
        ("mbgnbd", ModifiedBetaGeoModel, BG),
        ("pareto_nbd", ParetoNBDModel, PARETO),
    ],
)
def test_each_model_recovers_the_process_that_made_the_data(process, model, params):
    data = make_holdout_summary(30_000, params, process=process, random_state=7)
    fitted = model().fit(data)
    se = np.sqrt(np.diag(fitted.covariance_.to_numpy()))
    z = (fitted.params_.to_numpy() - np.array([params[k] for k in fitted.params_.index])) / se
    assert np.all(np.abs(z) < 4.0), dict(zip(fitted.params_.index, z, strict=True))


def test_holdout_counts_follow_the_models_expectation():
    data = make_holdout_summary(40_000, BG, process="bgnbd", random_state=3)
    model = BetaGeoModel.from_params(**BG, time_unit="W")
    expected = model.expected_purchases(data, t=39.0)
    assert data["frequency_holdout"].mean() == pytest.approx(float(expected.mean()), rel=0.03)


def test_output_is_a_pure_function_of_the_seed_and_typed_like_the_split():
    a = make_holdout_summary(500, PARETO, process="pareto_nbd", random_state=5)
    b = make_holdout_summary(500, PARETO, process="pareto_nbd", random_state=5)
    pd.testing.assert_frame_equal(a, b)
    assert a["frequency"].dtype == np.int64
    assert a["frequency_holdout"].dtype == np.int64
    assert a.attrs["time_unit"] == "W"
    assert a["T"].between(26.0, 39.0).all()
    assert (a["duration_holdout"] == 39.0).all()


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"process": "gompertz"}, "process"),
        ({"params": {"r": 0.5, "alpha": 4.0}}, "missing ['a', 'b']"),
        ({"params": {**BG, "s": 1.0}}, "unknown ['s']"),
        ({"params": {**BG, "a": -1.0}}, "params['a']"),
        ({"params": [0.5, 4.0, 0.8, 2.5]}, "mapping"),
        ({"calibration_span": (10.0, 5.0)}, "calibration_span[1]"),
        ({"calibration_span": 30.0}, "calibration_span"),
        ({"holdout": 0.0}, "holdout"),
        ({"n_customers": 0}, "n_customers"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, needle):
    arguments = {"n_customers": 10, "params": BG, **kwargs}
    with pytest.raises(CustomerModelsError, match=None) as info:
        make_holdout_summary(arguments.pop("n_customers"), arguments.pop("params"), **arguments)
    assert needle in str(info.value)
