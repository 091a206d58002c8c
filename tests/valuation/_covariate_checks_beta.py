"""Checks the BG/BB and sBG covariate models' tests share (test helper).

Both models put covariates on the two parameters of a beta distribution; these checks take
a fitted model (or a factory of it) and the caller's simulated data and assert against
values computed independently there (the plain model's fit, the truth of the simulation);
the scipy-optimum check is the purchase models' one in _covariate_checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _covariate_checks import (
    assert_bad_covariate_data_refused,
    assert_compressed_fit_is_the_row_fit,
)

from customer_models.exceptions import ParameterError


def assert_weights_are_repeated_rows(make: Callable[[], Any], data: pd.DataFrame) -> None:
    """Weight 2 on every row is the fit of each row twice (and compression changes nothing)."""
    once = assert_compressed_fit_is_the_row_fit(make, data)
    weighted = make().fit(data, sample_weight=np.full(len(data), 2.0))
    np.testing.assert_allclose(weighted.params_, once.params_, rtol=1e-6, atol=1e-8)
    assert np.isclose(weighted.log_likelihood_, 2 * once.log_likelihood_, rtol=1e-10)


def assert_likelihood_ratio_test(model: Any, null: Any, data: pd.DataFrame, df: int) -> None:
    """The test is against the plain model's fit, ``2 (ll - ll_null)`` on ``df`` coefficients."""
    lr = model.likelihood_ratio_test_
    assert lr["df"] == float(df)
    assert lr["null_log_likelihood"] == null.log_likelihood_
    assert np.isclose(lr["statistic"], 2 * (model.log_likelihood_ - null.log_likelihood_))
    assert np.isclose(model.log_likelihood(data), model.log_likelihood_, rtol=1e-12)


def assert_z_scores_calibrated(z_scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """Recovery z-scores look N(0, 1): mean, sd and 95% coverage per parameter (the table)."""
    table = pd.DataFrame(
        {k: [zs.mean(), zs.std(), np.mean(np.abs(zs) < 1.96)] for k, zs in z_scores.items()},
        index=["z mean", "z sd", "95% coverage"],
    ).T
    # 40 fits: the mean of N(0,1) z-scores has sd 0.16, the coverage of 95% sd 0.034
    off = (
        (table["z mean"].abs() >= 0.5)
        | (table["z sd"] <= 0.65)
        | (table["z sd"] >= 1.4)
        | (table["95% coverage"] < 0.85)
    )
    assert not off.any(), table.round(2)
    return table


def assert_categorical_weights_are_repeated_rows(
    make: Callable[[], Any], simulate: Callable[[int, int], pd.DataFrame]
) -> None:
    """z1 rounded to a few levels (compressed rows): weight 2 is each row twice."""
    assert_weights_are_repeated_rows(make, simulate(3000, 8).assign(z1=lambda d: np.round(d["z1"])))


def assert_nests_the_plain_fit(
    model: Any, null: Any, data: pd.DataFrame, coefficients: list[str]
) -> None:
    """``model`` has the plain ``null`` fit's parameters then ``coefficients``, and its
    likelihood-ratio test is against ``null`` on ``len(coefficients)`` degrees of freedom."""
    assert list(model.params_.index) == [*null.params_.index, *coefficients]
    assert_likelihood_ratio_test(model, null, data, df=len(coefficients))


def assert_covariates_refused(
    make: Callable[[], Any], data: pd.DataFrame, own: Any, categorical: str = "z2"
) -> None:
    """:func:`assert_bad_covariate_data_refused`, and ``own`` (the model on one of its own
    columns as a covariate) refused when fitted."""
    assert_bad_covariate_data_refused(make, data, categorical)
    with pytest.raises(ParameterError, match="own columns"):
        own.fit(data)
